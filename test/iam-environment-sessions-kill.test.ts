/**
 * Execution-role sessions of a run that died by kill -9: the environments that held them are
 * gone, so the next start of `lambent up` revokes them (before, they stayed valid for their
 * 6 hours). A session a client got from AssumeRole is not touched (test/iam-users.test.ts
 * checks it survives the kill).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { exited, startCli } from './support/cli.js';
import { deployNode } from './support/functions.js';

const root = { accessKeyId: 'test', secretAccessKey: 'test' };
const stsAt = (url: string, credentials: typeof root & { sessionToken?: string }) =>
  new STSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });

const linux = process.platform === 'linux' && process.getuid?.() === 0;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test("kill -9, then restart: the environments' execution-role credentials are refused", {
  timeout: 120_000,
  skip: linux ? false : 'the Linux sandbox needs root on Linux',
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-iam-kill-'));
  dirs.push(dir);
  let cli = await startCli(['--port', '0', '--data-dir', dir]);
  try {
    const lambda = new LambdaClient({
      endpoint: cli.url,
      region: 'us-east-1',
      credentials: root,
      maxAttempts: 1,
    });
    await deployNode(
      lambda,
      'holder',
      `exports.handler = async () => ({
        accessKeyId: process.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
        sessionToken: process.env.AWS_SESSION_TOKEN,
      });`,
    );
    const res = await lambda.send(new InvokeCommand({ FunctionName: 'holder', Payload: Buffer.from('{}') }));
    const creds = JSON.parse(Buffer.from(res.Payload ?? []).toString()) as typeof root & {
      sessionToken: string;
    };
    assert.match(creds.accessKeyId, /^ASIA/);
    lambda.destroy();
    // Valid while the environment lives.
    const before = await stsAt(cli.url, creds).send(new GetCallerIdentityCommand({}));
    assert.equal(before.Arn, 'arn:aws:sts::000000000000:assumed-role/r/holder');

    cli.child.kill('SIGKILL');
    assert.equal((await exited(cli.child)).signal, 'SIGKILL');
    cli = await startCli(['--port', '0', '--data-dir', dir]);

    await assert.rejects(stsAt(cli.url, creds).send(new GetCallerIdentityCommand({})), {
      name: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
    });
    // The root keys work as before.
    await stsAt(cli.url, root).send(new GetCallerIdentityCommand({}));
  } finally {
    cli.child.kill('SIGTERM');
    await exited(cli.child);
  }
});
