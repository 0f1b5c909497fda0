/**
 * Asynchronous invocation as a user meets it: retries of a failing event (same request id,
 * AWS's waits scaled down by lambda.asyncRetryDelayScale), maximum event age, OnSuccess and
 * OnFailure destinations that are other functions (the record read back from the
 * destination's logs), reserved concurrency 0, a destination in a service Lambent lacks, and
 * a pending retry that outlives a restart.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  InvokeCommand,
  type LambdaClient,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import Database from 'better-sqlite3';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:';
/** 1 minute → 300 ms, 2 minutes → 600 ms, a 60 s maximum age → 300 ms. */
const SCALE = 0.005;

/** Logs the event it got (one line, marked), fails when asked. */
const HANDLER = `
exports.handler = async (event, context) => {
  console.log('GOT ' + JSON.stringify({ event, requestId: context.awsRequestId, at: Date.now() }));
  if (event.fail) throw new Error('intentional failure');
  return { ok: true, echo: event };
};`;

interface Got {
  event: Record<string, unknown>;
  requestId: string;
  at: number;
}

async function eventConfig(lambda: LambdaClient, input: PutFunctionEventInvokeConfigCommandInput) {
  await lambda.send(new PutFunctionEventInvokeConfigCommand(input));
}

async function sendEvent(lambda: LambdaClient, name: string, payload: unknown): Promise<string> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: name,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
  assert.equal(out.StatusCode, 202);
  const id = out.$metadata.requestId;
  assert.ok(id);
  return id;
}

/** What the function's handler logged, in order. */
async function got(server: TestServer, name: string): Promise<Got[]> {
  const res = await server
    .logs()
    .send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}`, filterPattern: '"GOT "' }))
    .catch(() => undefined);
  return (res?.events ?? [])
    .map((e) => {
      const at = e.message?.indexOf('GOT ') ?? -1;
      return at < 0 ? undefined : (JSON.parse((e.message ?? '').slice(at + 4)) as Got);
    })
    .filter((g): g is Got => g !== undefined)
    .sort((a, b) => a.at - b.at);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('asynchronous invocation: retries, age, destinations', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  before(async () => {
    server = await startServer({ lambda: { asyncRetryDelayScale: SCALE } });
    lambda = server.lambda();
    await deployNode(lambda, 'dest', HANDLER);
  });
  after(async () => {
    lambda.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('a function error is retried twice with the same request id, then goes to OnFailure', async () => {
    await deployNode(lambda, 'fails', HANDLER);
    await eventConfig(lambda, {
      FunctionName: 'fails',
      DestinationConfig: { OnFailure: { Destination: `${ARN}dest` } },
    });
    const requestId = await sendEvent(lambda, 'fails', { fail: true, n: 1 });
    const attempts = await waitFor('three attempts', async () => {
      const g = await got(server, 'fails');
      return g.length >= 3 ? g : undefined;
    });
    assert.equal(attempts.length, 3);
    assert.deepEqual(
      attempts.map((a) => a.requestId),
      [requestId, requestId, requestId],
      'retries keep the request id',
    );
    const [a1, a2, a3] = attempts as [Got, Got, Got];
    // AWS waits 1 and then 2 minutes (scaled): 300 ms and 600 ms here.
    assert.ok(a2.at - a1.at >= 60_000 * SCALE - 20, `first wait ${a2.at - a1.at} ms`);
    assert.ok(a3.at - a2.at >= 120_000 * SCALE - 20, `second wait ${a3.at - a2.at} ms`);

    const record = await waitFor('the failure record', async () =>
      (await got(server, 'dest')).find(
        (g) => (g.event.requestContext as { requestId?: string } | undefined)?.requestId === requestId,
      ),
    );
    const e = record.event as Record<string, unknown>;
    assert.equal(e.version, '1.0');
    assert.match(String(e.timestamp), ISO);
    assert.deepEqual(e.requestContext, {
      requestId,
      functionArn: `${ARN}fails:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    assert.deepEqual(e.requestPayload, { fail: true, n: 1 });
    assert.deepEqual(e.responseContext, {
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
    const response = e.responsePayload as Record<string, unknown>;
    assert.equal(response.errorType, 'Error');
    assert.equal(response.errorMessage, 'intentional failure');
    assert.ok(Array.isArray(response.trace), JSON.stringify(response));
    assert.notEqual(record.requestId, requestId, 'the destination runs under its own request id');
    assert.deepEqual(Object.keys(e), [
      'version',
      'timestamp',
      'requestContext',
      'requestPayload',
      'responseContext',
      'responsePayload',
    ]);
  });

  test('success goes to OnSuccess; MaximumRetryAttempts 0 gives up after one attempt', async () => {
    await deployNode(lambda, 'once', HANDLER);
    await eventConfig(lambda, {
      FunctionName: 'once',
      MaximumRetryAttempts: 0,
      DestinationConfig: {
        OnSuccess: { Destination: `${ARN}dest` },
        OnFailure: { Destination: `${ARN}dest` },
      },
    });
    const ok = await sendEvent(lambda, 'once', { n: 2 });
    const bad = await sendEvent(lambda, 'once', { n: 3, fail: true });
    const records = await waitFor('two records', async () => {
      const rs = (await got(server, 'dest'))
        .map((g) => g.event)
        .filter((ev) => [ok, bad].includes((ev.requestContext as { requestId: string }).requestId));
      return rs.length >= 2 ? rs : undefined;
    });
    const success = records.find((r) => (r.requestContext as { requestId: string }).requestId === ok);
    const failure = records.find((r) => (r.requestContext as { requestId: string }).requestId === bad);
    assert.deepEqual(success?.requestContext, {
      requestId: ok,
      functionArn: `${ARN}once:$LATEST`,
      condition: 'Success',
      approximateInvokeCount: 1,
    });
    assert.deepEqual(success?.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
    assert.deepEqual(success?.responsePayload, { ok: true, echo: { n: 2 } });
    assert.deepEqual(failure?.requestContext, {
      requestId: bad,
      functionArn: `${ARN}once:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    });
    assert.equal((await got(server, 'once')).filter((g) => g.requestId === bad).length, 1);
  });

  test('an event older than MaximumEventAgeInSeconds is given up (EventAgeExceeded)', async () => {
    await deployNode(lambda, 'ages', HANDLER);
    // Age 60 s and a first retry after 1 minute (both scaled): the retry would be too old.
    await eventConfig(lambda, {
      FunctionName: 'ages',
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: `${ARN}dest` } },
    });
    const id = await sendEvent(lambda, 'ages', { fail: true, n: 4 });
    const record = await waitFor('the age record', async () =>
      (await got(server, 'dest')).find(
        (g) => (g.event.requestContext as { requestId?: string } | undefined)?.requestId === id,
      ),
    );
    assert.deepEqual(record.event.requestContext, {
      requestId: id,
      functionArn: `${ARN}ages:$LATEST`,
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 1,
    });
    // As recorded: the last attempt's answer is in the record.
    assert.deepEqual(record.event.responseContext, {
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
    assert.equal((await got(server, 'ages')).length, 1, 'no retry ran');
  });

  test('reserved concurrency 0: the event goes to OnFailure without running (ZeroReservedConcurrency)', async () => {
    await deployNode(lambda, 'blocked', HANDLER);
    await lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'blocked', ReservedConcurrentExecutions: 0 }),
    );
    await eventConfig(lambda, {
      FunctionName: 'blocked',
      DestinationConfig: { OnFailure: { Destination: `${ARN}dest` } },
    });
    const id = await sendEvent(lambda, 'blocked', { n: 5 });
    const record = await waitFor('the zero-concurrency record', async () =>
      (await got(server, 'dest')).find(
        (g) => (g.event.requestContext as { requestId?: string } | undefined)?.requestId === id,
      ),
    );
    // Recorded shape (test_reserved_concurrency "msg"): no responseContext, count 0.
    assert.deepEqual(record.event.requestContext, {
      requestId: id,
      functionArn: `${ARN}blocked:$LATEST`,
      condition: 'ZeroReservedConcurrency',
      approximateInvokeCount: 0,
    });
    assert.deepEqual(record.event.requestPayload, { n: 5 });
    assert.ok(!('responseContext' in record.event));
  });

  test('an SQS destination is accepted; the event still finishes though SQS does not exist yet', async () => {
    await deployNode(lambda, 'to-sqs', HANDLER);
    await eventConfig(lambda, {
      FunctionName: 'to-sqs',
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:q' } },
    });
    await sendEvent(lambda, 'to-sqs', { fail: true });
    await waitFor('the attempt', async () => ((await got(server, 'to-sqs')).length ? true : undefined));
    const db = new Database(path.join(server.dataDir, 'lambent.db'), { readonly: true, fileMustExist: true });
    try {
      const left = db
        .prepare("SELECT COUNT(*) FROM invoke_async_events WHERE function_name = 'to-sqs'")
        .pluck();
      await waitFor('the event to leave the queue', async () =>
        (left.get() as number) === 0 ? true : undefined,
      );
    } finally {
      db.close();
    }
  });
});

describe('asynchronous invocation across a restart', () => {
  test('a pending retry survives a restart and keeps its attempt count and request id', async () => {
    // 1 minute → 1.5 s: long enough to restart in between.
    let server = await startServer({ lambda: { asyncRetryDelayScale: 0.025 } });
    let lambda = server.lambda();
    try {
      await deployNode(lambda, 'dest', HANDLER);
      await deployNode(lambda, 'flaky', HANDLER);
      await eventConfig(lambda, {
        FunctionName: 'flaky',
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: `${ARN}dest` } },
      });
      const id = await sendEvent(lambda, 'flaky', { fail: true });
      await waitFor('the first attempt', async () =>
        (await got(server, 'flaky')).length ? true : undefined,
      );
      lambda.destroy();
      server = await server.restart();
      const restartedAt = Date.now();
      lambda = server.lambda();
      const record = await waitFor('the failure record', async () =>
        (await got(server, 'dest')).find(
          (g) => (g.event.requestContext as { requestId?: string } | undefined)?.requestId === id,
        ),
      );
      assert.deepEqual(record.event.requestContext, {
        requestId: id,
        functionArn: `${ARN}flaky:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 2,
      });
      const attempts = await got(server, 'flaky');
      assert.deepEqual(
        attempts.map((a) => a.requestId),
        [id, id],
      );
      assert.ok((attempts[1] as Got).at >= restartedAt, 'the retry ran after the restart');
    } finally {
      lambda.destroy();
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });
});
