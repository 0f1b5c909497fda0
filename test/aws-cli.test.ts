/**
 * The newcomer's path with the real AWS CLI against `lambent up`'s server: create, wait,
 * list, update, layers, restart (state kept), delete. CI installs the CLI (.ci/run).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { awsCli, awsCliText, awsCliTool, createNodeFunctionArgs, findAwsCli } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { NODE_HANDLER, zipOf } from './support/zips.js';

const cli = findAwsCli();
const ROLE = 'arn:aws:iam::000000000000:role/r';

/** A minimal custom runtime: bash and curl against the Runtime API. */
const SHELL_BOOTSTRAP = `#!/bin/sh
set -euo pipefail
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$ID/response" -d "shell got $EVENT" >/dev/null
done
`;

test('AWS CLI lifecycle', {
  skip: awsCliTool().skip,
  timeout: 120_000,
}, async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-awscli-'));
  const zipPath = path.join(home, 'code.zip');
  fs.writeFileSync(zipPath, await zipOf({ 'index.js': NODE_HANDLER }));
  let server: TestServer = await startServer();
  try {
    let aws = awsCli(cli as string, server.url, home);
    const created = (await aws(...createNodeFunctionArgs('cli-fn', zipPath))) as Record<string, unknown>;
    assert.equal(created.FunctionName, 'cli-fn');
    assert.equal(created.State, 'Pending');
    await aws('lambda', 'wait', 'function-active-v2', '--function-name', 'cli-fn');

    // Run it, and the Python and shell-script functions beside it, with `aws lambda invoke`.
    const runtimes: Array<[string, string, string, Record<string, string>]> = [
      [
        'cli-py',
        'python3.12',
        'app.handler',
        { 'app.py': 'def handler(event, context):\n    return {"py": event["n"] * 2}\n' },
      ],
      ['cli-sh', 'provided.al2023', 'unused', { bootstrap: SHELL_BOOTSTRAP }],
    ];
    for (const [name, runtime, handler, files] of runtimes) {
      const zip = path.join(home, `${name}.zip`);
      fs.writeFileSync(zip, await zipOf(files, { bootstrap: 0o100755 }));
      await aws(
        'lambda',
        'create-function',
        '--function-name',
        name,
        '--runtime',
        runtime,
        '--handler',
        handler,
        '--role',
        ROLE,
        '--zip-file',
        `fileb://${zip}`,
      );
      await aws('lambda', 'wait', 'function-active-v2', '--function-name', name);
    }
    const outFile = path.join(home, 'out.json');
    const invoke = async (name: string, payload: string) => {
      const meta = (await aws(
        'lambda',
        'invoke',
        '--function-name',
        name,
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        payload,
        '--log-type',
        'Tail',
        outFile,
      )) as { StatusCode: number; LogResult: string; FunctionError?: string };
      return {
        meta,
        body: fs.readFileSync(outFile, 'utf8'),
        log: Buffer.from(meta.LogResult, 'base64').toString(),
      };
    };
    const node = await invoke('cli-fn', '{"via":"cli"}');
    assert.equal(node.meta.StatusCode, 200);
    assert.deepEqual(JSON.parse(node.body), { ok: true, event: { via: 'cli' } });
    assert.match(
      node.log,
      /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration/m,
    );
    assert.deepEqual(JSON.parse((await invoke('cli-py', '{"n":21}')).body), { py: 42 });
    assert.equal((await invoke('cli-sh', '{"s":1}')).body, 'shell got {"s":1}');

    // The log lines are in CloudWatch Logs, as `aws logs tail` shows them.
    const tailed = await awsCliText(cli as string, server.url, home)(
      'logs',
      'tail',
      '/aws/lambda/cli-fn',
      '--since',
      '5m',
    );
    assert.match(tailed, /START RequestId: \S+ Version: \$LATEST/);
    assert.match(tailed, /REPORT RequestId: \S+\tDuration/);

    const listed = (await aws('lambda', 'list-functions')) as { Functions: Array<{ FunctionName: string }> };
    assert.deepEqual(listed.Functions.map((f) => f.FunctionName).sort(), ['cli-fn', 'cli-py', 'cli-sh']);

    await aws(
      'lambda',
      'update-function-configuration',
      '--function-name',
      'cli-fn',
      '--memory-size',
      '256',
      '--environment',
      'Variables={STAGE=test}',
    );
    await aws('lambda', 'wait', 'function-updated-v2', '--function-name', 'cli-fn');

    const layer = (await aws(
      'lambda',
      'publish-layer-version',
      '--layer-name',
      'deps',
      '--zip-file',
      `fileb://${zipPath}`,
      '--compatible-runtimes',
      'nodejs20.x',
    )) as { Version: number; LayerVersionArn: string };
    assert.equal(layer.Version, 1);
    const layers = (await aws('lambda', 'list-layers')) as { Layers: Array<{ LayerName: string }> };
    assert.deepEqual(
      layers.Layers.map((l) => l.LayerName),
      ['deps'],
    );

    // Restart on the same data dir: everything is still there.
    server = await server.restart();
    aws = awsCli(cli as string, server.url, home);
    const got = (await aws('lambda', 'get-function', '--function-name', 'cli-fn')) as {
      Configuration: {
        MemorySize: number;
        Environment: { Variables: Record<string, string> };
        State: string;
      };
    };
    assert.equal(got.Configuration.MemorySize, 256);
    assert.deepEqual(got.Configuration.Environment.Variables, { STAGE: 'test' });
    assert.equal(got.Configuration.State, 'Active');
    const layerAgain = (await aws('lambda', 'get-layer-version-by-arn', '--arn', layer.LayerVersionArn)) as {
      Version: number;
    };
    assert.equal(layerAgain.Version, 1);

    for (const name of ['cli-fn', 'cli-py', 'cli-sh'])
      await aws('lambda', 'delete-function', '--function-name', name);
    await aws('lambda', 'delete-layer-version', '--layer-name', 'deps', '--version-number', '1');
    assert.deepEqual(((await aws('lambda', 'list-functions')) as { Functions: unknown[] }).Functions, []);
    await assert.rejects(
      aws('lambda', 'get-function', '--function-name', 'cli-fn'),
      /ResourceNotFoundException/,
    );
  } finally {
    await server.stop();
    removeDataDir(server.dataDir);
    fs.rmSync(home, { recursive: true, force: true });
  }
});
