/**
 * Asynchronous events across a kill -9 of `lambent up` under load: every event that got its
 * 202 runs at least once after the restart (proved by the handler's log lines, read through
 * the CloudWatch Logs API), and a retry that was waiting when the process died runs later
 * under the same request id.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { exited, startCli } from './support/cli.js';
import { deployNode } from './support/functions.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const lambdaAt = (url: string) =>
  new LambdaClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
const logsAt = (url: string) =>
  new CloudWatchLogsClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });

const HANDLER = `
exports.handler = async (event, context) => {
  console.log('SEEN ' + event.n + ' ' + context.awsRequestId);
  if (event.fail) throw new Error('intentional failure');
  return {};
};`;

/** Lines "SEEN n requestId" the function logged. */
async function seen(url: string, name: string): Promise<Array<{ n: string; requestId: string }>> {
  const logs = logsAt(url);
  const out: Array<{ n: string; requestId: string }> = [];
  try {
    for await (const page of paginateFilterLogEvents(
      { client: logs },
      { logGroupName: `/aws/lambda/${name}`, filterPattern: '"SEEN "' },
    )) {
      for (const e of page.events ?? []) {
        const m = /SEEN (\S+) (\S+)/.exec(e.message ?? '');
        if (m) out.push({ n: m[1] as string, requestId: m[2] as string });
      }
    }
  } catch {
    // The group does not exist yet.
  } finally {
    logs.destroy();
  }
  return out;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('kill -9 under load: every event answered 202 runs at least once; a waiting retry survives', {
  timeout: 300_000,
}, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-async-kill-'));
  dirs.push(dir);
  // 1 minute → 15 s: the retry is still waiting when the process dies.
  const env = { LAMBENT_ASYNC_RETRY_SCALE: '0.25' };
  let cli = await startCli(['--port', '0', '--data-dir', dir], env);
  let lambda = lambdaAt(cli.url);
  try {
    await deployNode(lambda, 'kill9', HANDLER);
    await deployNode(lambda, 'kill9-flaky', HANDLER);
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'kill9-flaky', MaximumRetryAttempts: 1 }),
    );
    const flaky = await lambda.send(
      new InvokeCommand({
        FunctionName: 'kill9-flaky',
        InvocationType: 'Event',
        Payload: Buffer.from('{"n":"flaky","fail":true}'),
      }),
    );
    const flakyId = flaky.$metadata.requestId as string;
    for (const deadline = Date.now() + 30_000; (await seen(cli.url, 'kill9-flaky')).length === 0; ) {
      assert.ok(Date.now() < deadline, 'the first attempt of the failing event ran');
      await new Promise((r) => setTimeout(r, 100));
    }

    // A few thousand events from 32 concurrent senders; kill -9 once half have their 202.
    const total = 3000;
    const accepted = new Set<number>();
    let next = 0;
    let killed = false;
    const child = cli.child;
    const sender = async () => {
      while (!killed && next < total) {
        const n = next++;
        try {
          const out = await lambda.send(
            new InvokeCommand({
              FunctionName: 'kill9',
              InvocationType: 'Event',
              Payload: Buffer.from(JSON.stringify({ n })),
            }),
          );
          if (out.StatusCode === 202) accepted.add(n);
        } catch {
          // In flight when the process died: no 202, no promise.
        }
        if (!killed && accepted.size >= total / 2) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, sender));
    assert.ok(killed, 'the server was killed mid-load');
    assert.equal((await exited(child)).signal, 'SIGKILL');
    assert.ok(accepted.size >= total / 2, `${accepted.size} accepted`);
    t.diagnostic(`${accepted.size} of ${total} events answered 202 before the kill`);
    lambda.destroy();

    cli = await startCli(['--port', '0', '--data-dir', dir], env);
    lambda = lambdaAt(cli.url);
    let missing: number[] = [];
    for (const deadline = Date.now() + 180_000; ; ) {
      const ran = new Set((await seen(cli.url, 'kill9')).map((s) => Number(s.n)));
      missing = [...accepted].filter((n) => !ran.has(n));
      if (missing.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(
      missing.slice(0, 20),
      [],
      `${missing.length} of ${accepted.size} accepted events never ran`,
    );

    // The retry that was waiting at the kill ran after the restart, with the same request id.
    let attempts: Array<{ requestId: string }> = [];
    for (const deadline = Date.now() + 60_000; attempts.length < 2 && Date.now() < deadline; ) {
      attempts = await seen(cli.url, 'kill9-flaky');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(
      attempts.map((a) => a.requestId),
      [flakyId, flakyId],
    );
  } finally {
    lambda.destroy();
    cli.child.kill('SIGTERM');
    await exited(cli.child);
  }
});
