/**
 * Runtimes as Lambda ships them: each nodejsNN.x on a Node of that major (the host's, or an
 * official build from npm installed once into the cache directory), the AWS SDK for
 * JavaScript v3 and boto3 available without bundling yet overridden by a bundled copy, each
 * Python runtime saying what runs it, and provided.* without the host's node and python.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
  type Runtime,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { TEST_ROLE } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { zipOf } from './support/zips.js';

const linux = process.platform === 'linux' && process.geteuid?.() === 0;
const json = (out: InvokeCommandOutput) => JSON.parse(Buffer.from(out.Payload ?? []).toString()) as never;
const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

describe('runtimes', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
  });
  after(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  async function deploy(
    name: string,
    runtime: Runtime,
    handler: string,
    files: Record<string, string>,
    modes: Record<string, number> = {},
  ): Promise<void> {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Handler: handler,
        Role: TEST_ROLE,
        Timeout: 30,
        Code: { ZipFile: await zipOf(files, modes) },
      }),
    );
    // A Node major this machine has not used yet is installed from npm while the function is
    // Pending (~50 MB download): room for a slow registry.
    await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: 300, minDelay: 0.1, maxDelay: 1 } as never,
      {
        FunctionName: name,
      },
    );
  }

  const invoke = async (name: string, payload: unknown = {}) => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: Buffer.from(JSON.stringify(payload)),
        LogType: 'Tail',
      }),
    );
    assert.equal(
      out.FunctionError,
      undefined,
      `${name}: ${Buffer.from(out.Payload ?? []).toString()}\n${tail(out)}`,
    );
    return out;
  };

  /** The first line of the function's log group (stored a few ms after the invocation). */
  async function firstLogLine(name: string): Promise<string> {
    // Generous: a CI machine running two test files at once has been seen far slower than this one.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const out = await server
        .logs()
        .send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}` }));
      const events = out.events ?? [];
      if (events.some((e) => e.message?.startsWith('REPORT'))) return events[0]?.message ?? '';
      if (Date.now() > deadline) throw new Error(`no REPORT in the log of ${name}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const NODE_VERSION = `exports.handler = async () => ({
    version: process.version,
    execPath: process.execPath,
    env: process.env.AWS_EXECUTION_ENV,
  });\n`;

  for (const major of [22, 24]) {
    test(`nodejs${major}.x runs on Node ${major}`, { timeout: 360_000 }, async () => {
      await deploy(`node${major}`, `nodejs${major}.x` as Runtime, 'index.handler', {
        'index.js': NODE_VERSION,
      });
      const out = json(await invoke(`node${major}`)) as { version: string; execPath: string; env: string };
      assert.match(out.version, new RegExp(`^v${major}\\.`));
      assert.equal(out.env, `AWS_Lambda_nodejs${major}.x`);
      // A second environment (the pool of that major, once defined) runs the same Node.
      const again = json(await invoke(`node${major}`)) as { version: string };
      assert.equal(again.version, out.version);
    });
  }

  test('a Node function uses the built-in AWS SDK v3 without bundling it', { timeout: 60_000 }, async () => {
    const code = `
const { LambdaClient, ListFunctionsCommand } = require('@aws-sdk/client-lambda');
const { S3Client } = require('@aws-sdk/client-s3');
exports.handler = async () => {
  const names = [];
  const lambda = new LambdaClient({});
  const out = await lambda.send(new ListFunctionsCommand({}));
  for (const f of out.Functions ?? []) names.push(f.FunctionName);
  return {
    names,
    s3: typeof S3Client,
    resolved: require.resolve('@aws-sdk/client-lambda'),
    endpoint: process.env.AWS_ENDPOINT_URL,
  };
};\n`;
    await deploy('sdk-builtin', 'nodejs20.x', 'index.handler', { 'index.js': code });
    const out = json(await invoke('sdk-builtin')) as { names: string[]; s3: string; resolved: string };
    assert.ok(out.names.includes('sdk-builtin'), JSON.stringify(out));
    assert.equal(out.s3, 'function');
    if (linux) assert.match(out.resolved, /^\/var\/runtime\/node_modules\/@aws-sdk\/client-lambda\//);
  });

  test('the runtime has the AWS SDK and nothing else of Lambent', { timeout: 60_000 }, async () => {
    const code = `
const probe = (name) => {
  try {
    require(name);
    return 'ok';
  } catch (err) {
    return err.code;
  }
};
exports.handler = async () => ({
  sdk: ['@aws-sdk/client-s3', '@aws-sdk/client-lambda', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-dynamodb'].map(probe),
  lambent: ['zod', 'better-sqlite3', 'fast-glob', 'commander', 'yauzl', 'typescript', 'lambda-local'].map(probe),
  listing: require('fs').readdirSync('/var/runtime/node_modules').sort(),
});\n`;
    await deploy('sdk-only', 'nodejs20.x', 'index.handler', { 'index.js': code });
    const out = json(await invoke('sdk-only')) as { sdk: string[]; lambent: string[]; listing: string[] };
    assert.deepEqual(out.sdk, ['ok', 'ok', 'ok', 'ok']);
    assert.deepEqual(out.lambent, Array(7).fill('MODULE_NOT_FOUND'));
    if (linux) {
      assert.ok(out.listing.includes('@aws-sdk') && out.listing.includes('@smithy'), out.listing.join(' '));
      for (const name of ['zod', 'better-sqlite3', 'commander', '.bin'])
        assert.ok(!out.listing.includes(name), name);
    }
    // A pooled sandbox of another Node major sees the same tree.
    await deploy('sdk-only-22', 'nodejs22.x', 'index.handler', { 'index.js': code });
    const again = json(await invoke('sdk-only-22')) as { sdk: string[]; lambent: string[] };
    assert.deepEqual(again, out);
  });

  test('a bundled (older) AWS SDK in the zip wins over the built-in one', { timeout: 60_000 }, async () => {
    const code = `
exports.handler = async () => ({
  bundled: require('@aws-sdk/client-lambda').BUNDLED,
  version: require('@aws-sdk/client-lambda/package.json').version,
  s3: require.resolve('@aws-sdk/client-s3'),
});\n`;
    await deploy('sdk-bundled', 'nodejs20.x', 'index.handler', {
      'index.js': code,
      'node_modules/@aws-sdk/client-lambda/package.json': JSON.stringify({
        name: '@aws-sdk/client-lambda',
        version: '3.0.0',
        main: 'index.js',
      }),
      'node_modules/@aws-sdk/client-lambda/index.js': 'exports.BUNDLED = true;\n',
    });
    const out = json(await invoke('sdk-bundled')) as { bundled: boolean; version: string; s3: string };
    assert.equal(out.bundled, true);
    assert.equal(out.version, '3.0.0');
    // What the zip does not bundle still comes from the runtime.
    if (linux) assert.match(out.s3, /^\/var\/runtime\/node_modules\//);
  });

  const PY_INFO = `import sys
import boto3

def handler(event, context):
    return {
        "version": "%d.%d.%d" % sys.version_info[:3],
        "executable": sys.executable,
        "boto3": boto3.__file__,
        "boto3_version": boto3.__version__,
        "pyenv": any(".pyenv" in p for p in sys.path),
    }
`;

  test('python3.12 and python3.11 say what runs them; boto3 comes from the system package', {
    timeout: 240_000,
  }, async () => {
    for (const runtime of ['python3.12', 'python3.11'] as const) {
      const name = `py-${runtime.replace('.', '')}`;
      await deploy(name, runtime, 'app.handler', { 'app.py': PY_INFO });
      const res = await invoke(name);
      const out = json(res) as { version: string; executable: string; boto3: string; pyenv: boolean };
      assert.equal(out.pyenv, false, 'the host pyenv is not on the path');
      assert.match(out.boto3, /^\/usr\/lib\/python3\/dist-packages\/boto3\//);
      const first = await firstLogLine(name);
      const [major, minor] = out.version.split('.');
      if (`python${major}.${minor}` === runtime) {
        assert.doesNotMatch(first, /runs on Python/);
      } else {
        // No such interpreter here: it runs on the nearest, and its log stream says so first.
        assert.match(
          first,
          new RegExp(`^Lambent: ${runtime.replace('.', '\\.')} runs on Python ${out.version} `),
        );
      }
    }
  });

  test('a bundled boto3 wins over the runtime one', { timeout: 60_000 }, async () => {
    await deploy('py-bundled', 'python3.12', 'app.handler', {
      'app.py': PY_INFO,
      'boto3/__init__.py': "__version__ = '0.0.1-bundled'\n",
    });
    const out = json(await invoke('py-bundled')) as { boto3: string; boto3_version: string };
    assert.equal(out.boto3_version, '0.0.1-bundled');
    if (linux) assert.equal(out.boto3, '/var/task/boto3/__init__.py');
  });

  test('provided.al2023 has a shell and curl but not the host node or python', {
    skip: linux ? false : 'the process sandbox shows the host as it is',
    timeout: 60_000,
  }, async () => {
    const bootstrap = [
      '#!/bin/sh',
      'set -eu',
      'probe() { if "$@" >/dev/null 2>&1; then echo yes; else echo no; fi; }',
      'NODE=$(probe node --version); PY=$(probe python3 -c 1); CURL=$(probe curl --version)',
      // Absent, not blanked: the shell finds no such command, and /usr/lib has no python3 or node_modules.
      'FOUND=$(command -v node nodejs npm python3 python3.11 pip3 | tr "\\n" " ")',
      'LIBS=$(ls /usr/lib /usr/bin | grep -E "^(python3|node_modules|node|python3\\.[0-9]+)$" | tr "\\n" " " || true)',
      'NOTFOUND=$(node --version 2>&1 | grep -c "not found" || true)',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script, not a template
      'ISBASH=${BASH_VERSION:+yes}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script, not a template
      'API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"',
      'H="$(mktemp)"',
      'curl -sS -LD "$H" "$API/next" >/dev/null',
      'ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$H" | tr -d \'[:space:]\' | cut -d: -f2)',
      'curl -sS "$API/$ID/response" -d "{\\"node\\":\\"$NODE\\",\\"python\\":\\"$PY\\",\\"curl\\":\\"$CURL\\",\\"found\\":\\"$FOUND\\",\\"libs\\":\\"$LIBS\\",\\"notFound\\":\\"$NOTFOUND\\",\\"bash\\":\\"$ISBASH\\"}" >/dev/null',
      'sleep 5',
      '',
    ].join('\n');
    await deploy('custom', 'provided.al2023', 'x.y', { bootstrap }, { bootstrap: 0o100755 });
    assert.deepEqual(json(await invoke('custom')), {
      node: 'no',
      python: 'no',
      curl: 'yes',
      found: '',
      libs: '',
      notFound: '1',
      // /bin/sh is still bash under the view of /usr/bin.
      bash: 'yes',
    });
  });

  test('after a restart, the pools of the Node majors in use are there at once and serve them', {
    skip: linux ? false : 'pools need the Linux sandbox',
    timeout: 120_000,
  }, async () => {
    const dataDir = server.dataDir;
    await server.stop();
    server = await startServer({}, dataDir);
    lambda = server.lambda();
    type Pool = { name: string; size: number; ready: number; taken: number };
    const pools = async (): Promise<Pool[]> => {
      const res = await fetch(`${server.url}/_lambent/health`);
      const doc = (await res.json()) as { parts: { sandbox: { pools?: Pool[] } } };
      return doc.parts.sandbox.pools ?? [];
    };
    // No function has run since the start: the pools come from the functions stored.
    const deadline = Date.now() + 60_000;
    let status = await pools();
    while (!['nodejs22', 'nodejs24'].every((n) => status.some((p) => p.name === n && p.ready === p.size))) {
      if (Date.now() > deadline) throw new Error(`pools: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 50));
      status = await pools();
    }
    const before = status.find((p) => p.name === 'nodejs22')?.taken ?? 0;
    const out = json(await invoke('node22')) as { version: string };
    assert.match(out.version, /^v22\./);
    const later = (await pools()).find((p) => p.name === 'nodejs22')?.taken ?? 0;
    assert.equal(later, before + 1, 'the cold start took a sandbox of the nodejs22 pool');
  });
});
