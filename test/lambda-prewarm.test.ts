/**
 * The pool of pre-started sandboxes, seen from outside: a server with pools and one without
 * run the same functions, and a function served by a pooled sandbox must not be told apart
 * from one started normally (code, environment, cwd, module paths, INIT errors, timeouts),
 * must see only its own code, environment and /tmp, and the pool must refill behind it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import type { PoolStatus } from '../src/sandbox/sandbox.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';
const skip =
  process.platform === 'linux' && process.geteuid?.() === 0 ? false : 'pools need the Linux sandbox';

const NODE_INTROSPECT = `
const fs = require('node:fs');
exports.handler = async (event) => {
  if (event.write) fs.writeFileSync('/tmp/' + event.write, 'x');
  return {
    env: process.env,
    cwd: process.cwd(),
    argv: process.argv,
    paths: module.paths,
    globalPaths: require('node:module').globalPaths,
    task: fs.readdirSync('/var/task').sort(),
    tmp: fs.readdirSync('/tmp').sort(),
    uid: process.getuid(),
    execArgv: process.execArgv,
  };
};
`;

const PY_INTROSPECT = `
import os, sys
def handler(event, context):
    if event.get("write"):
        open("/tmp/" + event["write"], "w").write("x")
    return {
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "path": sys.path,
        "task": sorted(os.listdir("/var/task")),
        "tmp": sorted(os.listdir("/tmp")),
        "main": sys.modules["__main__"].__file__,
        "encoding": [sys.getfilesystemencoding(), sys.stdout.encoding],
    }
`;

/** Values that differ between any two environments, pooled or not. */
const PER_ENVIRONMENT = [
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ENDPOINT_URL',
  '_X_AMZN_TRACE_ID',
  // Each environment's own session of the execution role (compared by shape below).
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

function withoutPerEnvironment(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !PER_ENVIRONMENT.includes(k)));
}

const json = (out: InvokeCommandOutput) =>
  JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

async function pools(server: TestServer): Promise<PoolStatus[]> {
  const res = await fetch(`${server.url}/_lambent/health`);
  const body = (await res.json()) as { parts: { sandbox: { pools?: PoolStatus[] } } };
  return body.parts.sandbox.pools ?? [];
}

async function poolsFull(server: TestServer): Promise<PoolStatus[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await pools(server);
    if (status.every((p) => p.ready === p.size)) return status;
    if (Date.now() > deadline) throw new Error(`pools not refilled: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sandboxes taken from the pools of a family (one pool per interpreter: `nodejs20`, `python3.11`). */
const taken = (status: PoolStatus[], family: string) =>
  status.filter((p) => p.name.startsWith(family)).reduce((n, p) => n + p.taken, 0);

describe('pre-started sandboxes (prewarm pool)', { skip }, () => {
  let pooled: TestServer;
  let plain: TestServer;
  let lp: LambdaClient;
  let lu: LambdaClient;

  async function deployBoth(
    name: string,
    runtime: Runtime,
    handler: string,
    files: Record<string, string>,
    extra: {
      Timeout?: number;
      Environment?: { Variables: Record<string, string> };
      Tags?: Record<string, string>;
    } = {},
  ): Promise<void> {
    for (const lambda of [lp, lu]) {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: runtime,
          Handler: handler,
          Role: ROLE,
          Code: { ZipFile: await zipOf(files) },
          ...extra,
        }),
      );
      await active(lambda, name);
    }
  }

  const invoke = (lambda: LambdaClient, name: string, payload: unknown = {}) =>
    lambda.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: Buffer.from(JSON.stringify(payload)),
        LogType: 'Tail',
      }),
    );

  /** Invokes on the pooled server (asserting a pooled sandbox served it) and on the plain one. */
  async function invokeBoth(name: string, payload: unknown = {}, family = 'nodejs') {
    const before = taken(await poolsFull(pooled), family);
    const p = await invoke(lp, name, payload);
    assert.equal(
      taken(await pools(pooled), family),
      before + 1,
      `${name} was not served by the ${family} pool`,
    );
    const u = await invoke(lu, name, payload);
    return { p, u };
  }

  before(async () => {
    pooled = await startServer({ lambda: { prewarmPoolSize: { nodejs: 1, python: 1 } } });
    plain = await startServer({ lambda: { prewarmPoolSize: 0 } });
    lp = pooled.lambda();
    lu = plain.lambda();
  });
  after(async () => {
    for (const s of [pooled, plain]) {
      await s?.stop();
      if (s) removeDataDir(s.dataDir);
    }
  });

  test('health shows the pools; a server with size 0 has none', async () => {
    const status = await poolsFull(pooled);
    // One pool per interpreter in use: at start, the host's Node and the newest installed Python.
    assert.deepEqual(
      status.map((p) => [p.name.replace(/\d.*$/, ''), p.size, p.ready]),
      [
        ['nodejs', 1, 1],
        ['python', 1, 1],
      ],
    );
    assert.equal(status[0]?.name, `nodejs${process.versions.node.split('.')[0]}`);
    assert.match(status[1]?.name ?? '', /^python3\.\d+$/);
    assert.deepEqual(await pools(plain), []);
  });

  test('node: a pooled environment is the same as a normal one', async () => {
    await deployBoth(
      'same-node',
      'nodejs20.x',
      'index.handler',
      { 'index.js': NODE_INTROSPECT },
      {
        Environment: { Variables: { GREETING: 'hello' } },
      },
    );
    const { p, u } = await invokeBoth('same-node');
    assert.equal(p.FunctionError, undefined, tail(p));
    const a = json(p);
    const b = json(u);
    assert.deepEqual(withoutPerEnvironment(a.env), withoutPerEnvironment(b.env));
    assert.deepEqual(Object.keys(a.env).sort(), Object.keys(b.env).sort());
    for (const env of [a.env, b.env]) {
      assert.match(env.AWS_ACCESS_KEY_ID, /^ASIA/, 'role session credentials, pooled or not');
      assert.ok(env.AWS_SESSION_TOKEN.length > 0);
    }
    for (const k of ['cwd', 'argv', 'paths', 'globalPaths', 'task', 'execArgv'] as const) {
      assert.deepEqual(a[k], b[k], k);
    }
    assert.equal(a.env.GREETING, 'hello');
    assert.match(tail(p), /Init Duration: [\d.]+ ms/);
  });

  test('python: a pooled environment is the same as a normal one', async () => {
    await deployBoth(
      'same-py',
      'python3.12',
      'app.handler',
      { 'app.py': PY_INTROSPECT },
      {
        Environment: { Variables: { GREETING: 'hello' } },
      },
    );
    const { p, u } = await invokeBoth('same-py', {}, 'python');
    assert.equal(p.FunctionError, undefined, tail(p));
    const a = json(p);
    const b = json(u);
    assert.deepEqual(withoutPerEnvironment(a.env), withoutPerEnvironment(b.env));
    for (const k of ['cwd', 'argv', 'path', 'task', 'main', 'encoding'] as const)
      assert.deepEqual(a[k], b[k], k);
  });

  test("a pooled environment sees exactly its function's code, environment and /tmp, none of another's", async () => {
    for (const [name, secret] of [
      ['iso-a', 'secret-of-a'],
      ['iso-b', 'secret-of-b'],
    ] as const) {
      await lp.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await zipOf({ 'index.js': NODE_INTROSPECT, [`only-${name}.txt`]: secret }) },
          Environment: {
            Variables: { SECRET: secret, [`ONLY_${name.toUpperCase().replace('-', '_')}`]: '1' },
          },
        }),
      );
      await active(lp, name);
    }
    const seen: Record<string, { env: Record<string, string>; task: string[]; tmp: string[]; uid: number }> =
      {};
    for (const name of ['iso-a', 'iso-b']) {
      const before = taken(await poolsFull(pooled), 'nodejs');
      const out = await invoke(lp, name, { write: `written-by-${name}` });
      assert.equal(taken(await pools(pooled), 'nodejs'), before + 1);
      assert.equal(out.FunctionError, undefined, tail(out));
      seen[name] = json(out);
    }
    const a = seen['iso-a'];
    const b = seen['iso-b'];
    assert.ok(a && b);
    assert.equal(a.env.SECRET, 'secret-of-a');
    assert.equal(b.env.SECRET, 'secret-of-b');
    assert.equal(a.env.ONLY_ISO_A, '1');
    assert.equal(a.env.ONLY_ISO_B, undefined);
    assert.equal(b.env.ONLY_ISO_A, undefined);
    assert.equal(a.env.AWS_LAMBDA_FUNCTION_NAME, 'iso-a');
    assert.equal(b.env.AWS_LAMBDA_FUNCTION_NAME, 'iso-b');
    assert.deepEqual(a.task, ['index.js', 'only-iso-a.txt']);
    assert.deepEqual(b.task, ['index.js', 'only-iso-b.txt']);
    assert.deepEqual(a.tmp, ['written-by-iso-a']);
    assert.deepEqual(b.tmp, ['written-by-iso-b']);
    assert.notEqual(a.uid, b.uid);
    assert.ok(!JSON.stringify(b).includes('secret-of-a'));
  });

  test('INIT errors and timeouts through a pooled sandbox are reported as without the pool', async () => {
    await deployBoth('init-error', 'nodejs20.x', 'index.handler', {
      'index.js': "console.log('loading'); throw new Error('broken at init');\n",
    });
    await deployBoth(
      'too-slow',
      'nodejs20.x',
      'index.handler',
      { 'index.js': 'exports.handler = () => new Promise((r) => setTimeout(r, 5000));\n' },
      { Timeout: 1 },
    );
    await deployBoth('py-init-error', 'python3.12', 'app.handler', { 'app.py': 'import no_such_module\n' });
    const lines = (out: InvokeCommandOutput) =>
      tail(out)
        .split('\n')
        .map((l) =>
          l
            .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
            .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME')
            .replace(/[\d.]+ (ms|MB)/g, 'N $1'),
        )
        .filter((l) => !l.startsWith('REPORT')); // durations and memory vary
    for (const [name, family] of [
      ['init-error', 'nodejs'],
      ['too-slow', 'nodejs'],
      ['py-init-error', 'python'],
    ] as const) {
      const { p, u } = await invokeBoth(name, {}, family);
      assert.equal(p.StatusCode, u.StatusCode, name);
      assert.equal(p.FunctionError, u.FunctionError, name);
      assert.ok(p.FunctionError, `${name} should fail`);
      const ids = (v: unknown) =>
        JSON.parse(
          JSON.stringify(v).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID'),
        );
      assert.deepEqual(ids(json(p)), ids(json(u)), name);
      assert.deepEqual(lines(p), lines(u), name);
    }
  });

  test('functions whose start differs (NODE_OPTIONS, no outbound access) start normally', async () => {
    await lp.send(
      new CreateFunctionCommand({
        FunctionName: 'own-node-options',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await zipOf({ 'index.js': NODE_INTROSPECT }) },
        Environment: { Variables: { NODE_OPTIONS: '--no-warnings' } },
      }),
    );
    await lp.send(
      new CreateFunctionCommand({
        FunctionName: 'no-outbound',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await zipOf({ 'index.js': NODE_INTROSPECT }) },
        Tags: { 'lambent:outbound': 'false' },
      }),
    );
    for (const name of ['own-node-options', 'no-outbound']) {
      await active(lp, name);
      const before = taken(await poolsFull(pooled), 'nodejs');
      const out = await invoke(lp, name);
      assert.equal(out.FunctionError, undefined, tail(out));
      assert.equal(taken(await pools(pooled), 'nodejs'), before, `${name} must not use the pool`);
    }
    const out = await invoke(lp, 'own-node-options');
    assert.deepEqual(json(out).execArgv, []);
    assert.equal(json(out).env.NODE_OPTIONS, '--no-warnings');
  });

  test('the pool refills in the background after each start', async () => {
    await lp.send(
      new CreateFunctionCommand({
        FunctionName: 'refill',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler = async () => 1;\n' }) },
      }),
    );
    await active(lp, 'refill');
    const start = await poolsFull(pooled);
    const out = await invoke(lp, 'refill');
    assert.equal(out.FunctionError, undefined);
    const after = await poolsFull(pooled); // refilled: ready back at size
    assert.equal(taken(after, 'nodejs'), taken(start, 'nodejs') + 1);
    assert.equal(after.find((p) => p.name.startsWith('nodejs'))?.failures, 0);
  });
});
