/**
 * `lambent up` as a user runs it: the ready line, health, clean shutdown on SIGTERM, the
 * refusal of default keys off loopback, and state that survives restart and kill -9.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListLayerVersionsCommand,
  ListTagsCommand,
  PublishLayerVersionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-lambda';
import { exited, repoRoot, startCli } from './support/cli.js';
import { NODE_HANDLER, zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';
const client = (url: string) =>
  new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

describe('lambent up', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('prints its ready line with the real port, serves health, stops cleanly on SIGTERM', async () => {
    const cli = await startCli(['--port', '0', '--data-dir', tmp()]);
    assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(cli.url, /:0$/);
    const health = (await (await fetch(`${cli.url}/_lambent/health`)).json()) as Record<string, unknown>;
    assert.equal(health.status, 'ok');
    assert.equal(typeof health.version, 'string');
    assert.ok((health.parts as Record<string, unknown>).lambda);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await exited(cli.child), { code: 0, signal: null });
  });

  test('environment variables configure it the same as flags', async () => {
    const dir = tmp();
    const cli = await startCli([], { LAMBENT_PORT: '0', LAMBENT_DATA_DIR: dir });
    assert.ok(fs.existsSync(path.join(dir, 'lambent.db')));
    cli.child.kill('SIGINT');
    assert.equal((await exited(cli.child)).code, 0);
  });

  test('lambent doctor says which isolation is in force', () => {
    const res = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'lambent.js'), 'doctor'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeout: 30_000,
    });
    assert.match(res.stdout, /^isolation: (linux \(namespaces \+ cgroups\): full|process: REDUCED)$/m);
    assert.equal(res.status, res.stdout.includes('REDUCED') ? 1 : 0);
    // The pools of pre-started sandboxes (defaults: 2 Node, 1 Python), booted for real.
    if (!res.stdout.includes('REDUCED'))
      assert.match(res.stdout, /^ {2}prewarm: nodejs\d+ 2\/2 ready, python3\.\d+ 1\/1 ready/m);
    // Which binary serves each runtime, and the SDKs functions get.
    const major = process.versions.node.split('.')[0];
    assert.match(res.stdout, new RegExp(`^ {2}nodejs${major}\\.x: ${process.version} \\S+ \\(host\\)$`, 'm'));
    assert.match(res.stdout, /^ {2}python3\.12: \d+\.\d+\.\d+ \S+/m);
    assert.match(res.stdout, /^aws sdk for javascript v3 .*@aws-sdk\/core \d+\.\d+\.\d+/m);
  });

  test('refuses a non-loopback address with the default keys', () => {
    const res = spawnSync(
      process.execPath,
      [
        path.join(repoRoot(), 'bin', 'lambent.js'),
        'up',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--data-dir',
        tmp(),
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
        timeout: 15_000,
      },
    );
    assert.equal(res.status, 2);
    assert.match(res.stderr, /refusing to listen on 0\.0\.0\.0 with the default credentials/);
  });

  test('what the client was told is stored survives kill -9', async () => {
    const dir = tmp();
    const zip = await zipOf({ 'index.js': NODE_HANDLER });
    let cli = await startCli(['--port', '0', '--data-dir', dir]);
    let lambda = client(cli.url);
    const created: string[] = [];
    for (let i = 0; i < 20; i++) {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: `durable-${i}`,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: zip },
        }),
      );
      created.push(`durable-${i}`);
    }
    await lambda.send(
      new TagResourceCommand({
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:durable-0',
        Tags: { team: 'a' },
      }),
    );
    await lambda.send(new PublishLayerVersionCommand({ LayerName: 'deps', Content: { ZipFile: zip } }));
    // No graceful shutdown: the process dies between two instructions.
    cli.child.kill('SIGKILL');
    assert.equal((await exited(cli.child)).signal, 'SIGKILL');

    cli = await startCli(['--port', '0', '--data-dir', dir]);
    lambda = client(cli.url);
    try {
      const names = (await lambda.send(new ListFunctionsCommand({}))).Functions?.map(
        (f) => f.FunctionName,
      ).sort();
      assert.deepEqual(names, created.sort());
      const tags = await lambda.send(
        new ListTagsCommand({ Resource: 'arn:aws:lambda:us-east-1:000000000000:function:durable-0' }),
      );
      assert.deepEqual(tags.Tags, { team: 'a' });
      const layers = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'deps' }));
      assert.equal(layers.LayerVersions?.length, 1);
      // Functions left Pending by the crash are finished on start, and their code is intact.
      const deadline = Date.now() + 5000;
      let fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'durable-19' }));
      while (fn.Configuration?.State !== 'Active' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'durable-19' }));
      }
      assert.equal(fn.Configuration?.State, 'Active');
      const code = Buffer.from(await (await fetch(fn.Code?.Location ?? '')).arrayBuffer());
      assert.deepEqual(code, zip);
    } finally {
      cli.child.kill('SIGTERM');
      await exited(cli.child);
    }
  });
});
