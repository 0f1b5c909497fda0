import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SandboxLayout } from '../sandbox/sandbox.js';
import { configFromEnv } from '../shared/config.js';
import { type FunctionTarget, lambdaEnvironment, poolFor } from './launch.js';
import { familyOf } from './runtimes.js';

const layout: SandboxLayout = {
  task: '/var/task',
  opt: '/opt',
  runtime: '/var/runtime',
  tmp: '/tmp',
  langBin: '/var/lang/bin',
  runtimeModules: '/var/runtime/node_modules',
};

function target(runtime: string, environment: Record<string, string> = {}): FunctionTarget {
  return {
    accountId: '000000000000',
    region: 'us-east-1',
    name: 'f',
    version: '$LATEST',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    runtime,
    handler: 'index.handler',
    memoryMb: 128,
    timeoutSeconds: 3,
    ephemeralMb: 512,
    environment,
    logGroup: '/aws/lambda/f',
    logFormat: 'Text',
    codeDir: '/code',
    outbound: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

const poolOf = (runtime: string, environment: Record<string, string> = {}, outbound = true) => {
  const t = target(runtime, environment);
  const env = lambdaEnvironment(t, layout, {
    runtimeApi: '127.0.0.1:1',
    logStream: 's',
    endpointUrl: 'http://x',
  });
  // A pool per interpreter; here named after the family.
  const family = familyOf(runtime);
  return poolFor(family ? { family, pool: family } : undefined, env, outbound, layout);
};

test('Node and Python functions may take a pre-started sandbox of their family', () => {
  assert.equal(poolOf('nodejs20.x'), 'nodejs');
  assert.equal(poolOf('nodejs24.x', { ANYTHING: 'x', NODE_PATH: '/custom' }), 'nodejs');
  assert.equal(poolOf('python3.12', { PYTHONPATH: '/extra' }), 'python');
  assert.equal(poolOf('python3.9'), 'python');
});

test('functions whose start differs are never pooled', () => {
  assert.equal(poolOf('provided.al2023'), undefined);
  assert.equal(poolOf('nodejs20.x', {}, false), undefined); // no outbound access: own network namespace
  for (const [runtime, env] of [
    ['nodejs20.x', { NODE_OPTIONS: '--max-old-space-size=100' }],
    ['nodejs20.x', { NODE_EXTRA_CA_CERTS: '/var/task/ca.pem' }],
    ['nodejs20.x', { TZ: 'Europe/Paris' }],
    ['nodejs20.x', { LD_PRELOAD: '/var/task/x.so' }],
    ['nodejs20.x', { AWS_LAMBDA_EXEC_WRAPPER: '/opt/wrapper' }],
    ['python3.12', { PYTHONDONTWRITEBYTECODE: '1' }],
    ['python3.12', { LANG: 'C' }],
    ['python3.12', { LC_ALL: 'C.UTF-8' }],
  ] as const) {
    assert.equal(poolOf(runtime, env), undefined, JSON.stringify(env));
  }
});

test('LAMBENT_PREWARM_POOL sets every family or each one', () => {
  assert.deepEqual(configFromEnv({}, {}).lambda.prewarmPoolSize, { nodejs: 2, python: 1 });
  assert.equal(configFromEnv({ LAMBENT_PREWARM_POOL: '0' }, {}).lambda.prewarmPoolSize, 0);
  assert.deepEqual(configFromEnv({ LAMBENT_PREWARM_POOL: 'nodejs=4' }, {}).lambda.prewarmPoolSize, {
    nodejs: 4,
    python: 1,
  });
});
