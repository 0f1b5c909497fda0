/**
 * The newcomer's path with the real AWS CLI against `lambent up`'s server: create, wait,
 * list, update, layers, restart (state kept), delete. CI installs the CLI (.ci/run).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { awsCli, findAwsCli } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { NODE_HANDLER, zipOf } from './support/zips.js';

const cli = findAwsCli();
const ROLE = 'arn:aws:iam::000000000000:role/r';

test('AWS CLI lifecycle', {
  skip: cli ? false : 'the AWS CLI is not installed (.ci/run installs it)',
  timeout: 120_000,
}, async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-awscli-'));
  const zipPath = path.join(home, 'code.zip');
  fs.writeFileSync(zipPath, await zipOf({ 'index.js': NODE_HANDLER }));
  let server: TestServer = await startServer();
  try {
    let aws = awsCli(cli as string, server.url, home);
    const created = (await aws(
      'lambda',
      'create-function',
      '--function-name',
      'cli-fn',
      '--runtime',
      'nodejs20.x',
      '--handler',
      'index.handler',
      '--role',
      ROLE,
      '--zip-file',
      `fileb://${zipPath}`,
    )) as Record<string, unknown>;
    assert.equal(created.FunctionName, 'cli-fn');
    assert.equal(created.State, 'Pending');
    await aws('lambda', 'wait', 'function-active-v2', '--function-name', 'cli-fn');

    const listed = (await aws('lambda', 'list-functions')) as { Functions: Array<{ FunctionName: string }> };
    assert.deepEqual(
      listed.Functions.map((f) => f.FunctionName),
      ['cli-fn'],
    );

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

    await aws('lambda', 'delete-function', '--function-name', 'cli-fn');
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
