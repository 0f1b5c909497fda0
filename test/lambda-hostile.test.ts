/**
 * Hostile functions, deployed and invoked through the API as a user would: each is
 * contained by its sandbox and the platform keeps serving other functions.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';
const json = (out: InvokeCommandOutput) =>
  JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
const linux = process.platform === 'linux' && process.getuid?.() === 0;

describe('hostile functions', { skip: linux ? false : 'the Linux sandbox needs root on Linux' }, () => {
  let server: TestServer;
  let lambda: LambdaClient;

  async function deploy(
    name: string,
    code: string,
    extra: { Timeout?: number; MemorySize?: number; EphemeralStorage?: { Size: number } } = {},
  ) {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await zipOf({ 'index.js': code }) },
        Timeout: 10,
        ...extra,
      }),
    );
    await active(lambda, name);
  }
  const invoke = (name: string, payload: unknown = {}) =>
    lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }));

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    await deploy('bystander', 'exports.handler = async () => ({ fine: true });');
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  const bystanderFine = async () => assert.deepEqual(json(await invoke('bystander')), { fine: true });

  test('a fork bomb hits the pids limit; the platform keeps serving', async () => {
    await deploy(
      'forkbomb',
      `const { spawn } = require('child_process');
       exports.handler = async () => {
         let made = 0, failed = 0;
         for (let i = 0; i < 3000; i++) {
           try { const c = spawn('sleep', ['30'], { stdio: 'ignore' }); c.on('error', () => failed++); made++; } catch { failed++; }
         }
         await new Promise((r) => setTimeout(r, 500));
         return { made, failed };
       };`,
    );
    const out = await invoke('forkbomb');
    const body = json(out);
    // Either the spawns fail (EAGAIN) past the limit, or the runtime dies trying: both contained.
    if (out.FunctionError === undefined) assert.ok(body.failed > 0, JSON.stringify(body));
    await bystanderFine();
  });

  test('filling /tmp past EphemeralStorage gets ENOSPC inside, the host disk is untouched', async () => {
    await deploy(
      'tmpfill',
      `const fs = require('fs');
       exports.handler = async () => {
         const chunk = Buffer.alloc(8 * 1024 * 1024, 1);
         let written = 0;
         try { const fd = fs.openSync('/tmp/fill', 'w'); for (;;) { fs.writeSync(fd, chunk); written += chunk.length; } }
         catch (e) { return { code: e.code, writtenMb: Math.round(written / 1048576) }; }
       };`,
      { EphemeralStorage: { Size: 512 }, Timeout: 30 },
    );
    const body = json(await invoke('tmpfill'));
    assert.equal(body.code, 'ENOSPC');
    assert.ok(body.writtenMb <= 512, `wrote ${body.writtenMb} MB`);
    await bystanderFine();
  });

  test("cannot read another function's code, the data dir, or other sandboxes' processes", async () => {
    await deploy(
      'snoop',
      `const fs = require('fs');
       const tryRead = (p) => { try { return fs.readdirSync(p).length; } catch (e) { return e.code; } };
       exports.handler = async (e) => ({
         dataDir: tryRead(e.dataDir),
         otherCode: tryRead(e.dataDir + '/lambda/code'),
         procPids: fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length,
         uid: process.getuid(),
         taskWritable: (() => { try { fs.writeFileSync('/var/task/x', '1'); return true; } catch (e) { return e.code; } })(),
       });`,
    );
    const body = json(await invoke('snoop', { dataDir: server.dataDir }));
    assert.equal(body.dataDir, 'ENOENT');
    assert.equal(body.otherCode, 'ENOENT');
    assert.ok(body.procPids < 10, `sees ${body.procPids} processes`);
    assert.notEqual(body.uid, 0);
    assert.equal(body.taskWritable, 'EROFS');
  });

  test("cannot reach another environment's Runtime API", async () => {
    // The victim is mid-invocation, so its runtime has a Runtime API with work in flight.
    await deploy(
      'victim',
      `exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.waitMs ?? 0)); return { api: process.env.AWS_LAMBDA_RUNTIME_API }; };`,
    );
    const victimApi = json(await invoke('victim')).api as string;
    await deploy(
      'thief',
      `const http = require('http');
       exports.handler = async (e) => new Promise((resolve) => {
         const req = http.get('http://' + e.api + '/2018-06-01/runtime/invocation/next', (res) => resolve({ status: res.statusCode }));
         req.on('error', (err) => resolve({ error: err.code }));
         req.setTimeout(2000, () => { req.destroy(); resolve({ error: 'timeout' }); });
       });`,
    );
    const pending = invoke('victim', { waitMs: 1500 });
    const stolen = json(await invoke('thief', { api: victimApi }));
    assert.ok(stolen.error, `the thief got an answer: ${JSON.stringify(stolen)}`);
    assert.equal((await pending).FunctionError, undefined);
  });

  test('background processes die with their environment', async () => {
    const marker = `lambent-orphan-${Date.now()}`;
    await deploy(
      'orphaner',
      `const { spawn } = require('child_process');
       exports.handler = async () => { spawn('sh', ['-c', 'exec -a ${marker} sleep 300'], { detached: true, stdio: 'ignore' }).unref(); return 'left'; };`,
    );
    await invoke('orphaner');
    assert.match(execFileSync('ps', ['-eo', 'args']).toString(), new RegExp(marker));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'orphaner' }));
    assert.doesNotMatch(execFileSync('ps', ['-eo', 'args']).toString(), new RegExp(marker));
  });
});
