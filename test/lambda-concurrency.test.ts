/**
 * Concurrency limits and throttling, the way a user meets them: reserved concurrency through
 * Put/Get/DeleteFunctionConcurrency, synchronous Invoke answered with AWS's 429 body past each
 * limit (reserved, account, scaling rate, host memory), asynchronous events that wait instead
 * of failing, and idle environments evicted (least recently used) when the host's memory is
 * full. Real SDK, real server, real sandboxes; handlers sleep briefly to hold concurrency.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { errorView, instrument } from './parity/recorded.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:';

/** Sleeps `event.sleep` ms, logs a marker, answers which call it was. */
const SLEEPER = `
exports.handler = async (event) => {
  console.log('begin', event.n);
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  console.log('ran', event.n);
  return { n: event.n };
};`;

/** The 429 AWS answers (recorded in test_lambda.snapshot.json), as boto3 shows it. */
function throttleView(reason: string) {
  return {
    Error: { Code: 'TooManyRequestsException', Message: 'Rate Exceeded.' },
    Reason: reason,
    Type: 'User',
    message: 'Rate Exceeded.',
    ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: 429 },
  };
}

const RAW_HEADERS = Symbol.for('lambent.parity.rawHeaders');

type Outcome =
  | { ok: true; out: InvokeCommandOutput }
  | { ok: false; view: Record<string, unknown>; err: unknown };

async function attempt(lambda: LambdaClient, name: string, payload: unknown, tail = false): Promise<Outcome> {
  try {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: Buffer.from(JSON.stringify(payload)),
        ...(tail ? { LogType: 'Tail' as const } : {}),
      }),
    );
    return { ok: true, out };
  } catch (err) {
    return { ok: false, view: errorView(err), err };
  }
}

const coldStart = (o: Outcome) =>
  o.ok && /Init Duration/.test(Buffer.from(o.out.LogResult ?? '', 'base64').toString('utf8'));

/** A burst of `n` concurrent invocations that each hold their lease for `sleep` ms. */
async function burst(lambda: LambdaClient, name: string, n: number, sleep: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => attempt(lambda, name, { sleep, n: i })));
}

function assertThrottled(o: Outcome, reason: string): void {
  assert.equal(o.ok, false, 'expected a throttle');
  if (o.ok) return;
  assert.deepEqual(o.view, throttleView(reason));
  const headers = (o.view as Record<symbol, Record<string, string>>)[RAW_HEADERS] ?? {};
  assert.equal(headers['retry-after'], '1');
  const err = o.err as { name: string; Reason?: string; Type?: string; retryAfterSeconds?: string };
  assert.equal(err.name, 'TooManyRequestsException');
  assert.equal(err.Reason, reason);
  assert.equal(err.retryAfterSeconds, '1');
}

async function deploy(lambda: LambdaClient, name: string, memorySize = 128): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      MemorySize: memorySize,
      Code: { ZipFile: await zipOf({ 'index.js': SLEEPER }) },
    }),
  );
  await active(lambda, name);
}

async function reportCount(server: TestServer, name: string): Promise<number> {
  const res = await server
    .logs()
    .send(
      new FilterLogEventsCommand({
        logGroupName: `/aws/lambda/${name}`,
        filterPattern: '"REPORT RequestId"',
      }),
    )
    .catch(() => undefined);
  return res?.events?.length ?? 0;
}

/** Polls until `check` holds; the limit is for a busy 2-core machine, not the expected time. */
async function waitFor(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const put = (lambda: LambdaClient, name: string, n: number) =>
  lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: n }));

describe('concurrency: reservations and the account limit', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    server = await startServer({ lambda: { concurrentExecutions: 3, minimumUnreservedConcurrency: 1 } });
    lambda = instrument(server.lambda());
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('Put/Get/DeleteFunctionConcurrency: rules, messages, GetFunction, account settings, persistence', async () => {
    await deploy(lambda, 'res-a');
    await deploy(lambda, 'res-b');
    const settings = () => lambda.send(new GetAccountSettingsCommand({}));
    assert.equal((await settings()).AccountLimit?.UnreservedConcurrentExecutions, 3);

    const none = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'res-a' }));
    assert.equal(none.ReservedConcurrentExecutions, undefined);
    assert.equal(
      (await lambda.send(new GetFunctionCommand({ FunctionName: 'res-a' }))).Concurrency,
      undefined,
    );

    // 3 would leave 0 unreserved, below the minimum of 1.
    const tooMuch = errorView(await put(lambda, 'res-a', 3).catch((e) => e));
    assert.deepEqual(tooMuch, {
      Error: {
        Code: 'InvalidParameterValueException',
        Message:
          "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [1].",
      },
      message:
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [1].",
      ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: 400 },
    });
    assert.equal((await put(lambda, 'res-a', 2)).ReservedConcurrentExecutions, 2);
    assert.equal((await settings()).AccountLimit?.UnreservedConcurrentExecutions, 1);
    // Replacing its own reservation does not count it twice; another function cannot take more.
    assert.equal((await put(lambda, 'res-a', 2)).ReservedConcurrentExecutions, 2);
    await assert.rejects(put(lambda, 'res-b', 1), { name: 'InvalidParameterValueException' });
    // 0 always fits.
    assert.equal((await put(lambda, 'res-b', 0)).ReservedConcurrentExecutions, 0);

    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'res-a' }));
    assert.deepEqual(got.Concurrency, { ReservedConcurrentExecutions: 2 });

    const qualified = errorView(await put(lambda, `${ARN}res-a:$LATEST`, 1).catch((e) => e));
    assert.equal((qualified.Error as { Code: string }).Code, 'InvalidParameterValueException');
    assert.match(String(qualified.message), /^This operation is permitted on Lambda functions only\./);
    const missing = errorView(await put(lambda, 'nope', 1).catch((e) => e));
    assert.equal(missing.Message, `Function not found: ${ARN}nope:$LATEST`);
    const negative = errorView(await put(lambda, 'res-a', -1).catch((e) => e));
    assert.equal((negative.Error as { Code: string }).Code, 'ValidationException');

    // Stored: a restart keeps the reservations (and they still throttle).
    server = await server.restart();
    lambda = instrument(server.lambda());
    assert.equal(
      (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'res-a' })))
        .ReservedConcurrentExecutions,
      2,
    );
    assert.equal((await settings()).AccountLimit?.UnreservedConcurrentExecutions, 1);
    assertThrottled(await attempt(lambda, 'res-b', {}), 'ReservedFunctionConcurrentInvocationLimitExceeded');

    const deleted = await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'res-a' }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    assert.equal(
      (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'res-a' })))
        .ReservedConcurrentExecutions,
      undefined,
    );
    // Deleting the function ends its reservation; a new function of that name has none.
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'res-b' }));
    assert.equal((await settings()).AccountLimit?.UnreservedConcurrentExecutions, 3);
    await deploy(lambda, 'res-b');
    assert.equal(
      (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'res-b' })))
        .ReservedConcurrentExecutions,
      undefined,
    );
    assert.equal((await attempt(lambda, 'res-b', {})).ok, true);
  });

  test('reserved concurrency: a burst gets exactly that many successes, the rest 429 at once', async () => {
    await deploy(lambda, 'burst-reserved');
    await put(lambda, 'burst-reserved', 2);
    const started = Date.now();
    const outcomes = await burst(lambda, 'burst-reserved', 7, 600);
    const ok = outcomes.filter((o) => o.ok);
    assert.equal(ok.length, 2);
    for (const o of outcomes.filter((o) => !o.ok))
      assertThrottled(o, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.ok(Date.now() - started < 5_000, 'nothing waited for a lease');
    // Leases are released: the next burst gets its two again.
    assert.equal((await burst(lambda, 'burst-reserved', 3, 300)).filter((o) => o.ok).length, 2);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'burst-reserved' }));
  });

  test('account concurrency: unreserved functions share the pool; past it ConcurrentInvocationLimitExceeded', async () => {
    await deploy(lambda, 'burst-account');
    const outcomes = await burst(lambda, 'burst-account', 6, 600);
    assert.equal(outcomes.filter((o) => o.ok).length, 3);
    for (const o of outcomes.filter((o) => !o.ok)) assertThrottled(o, 'ConcurrentInvocationLimitExceeded');

    // A reservation takes its share out of the pool: 1 reserved leaves 2 for everyone else.
    await deploy(lambda, 'holder');
    await put(lambda, 'holder', 1);
    const mixed = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => attempt(lambda, 'burst-account', { sleep: 600, n: i })),
      attempt(lambda, 'holder', { sleep: 600 }),
    ]);
    assert.equal(mixed.slice(0, 4).filter((o) => o.ok).length, 2);
    assert.equal(mixed[4]?.ok, true, 'the reserved function runs whatever the pool does');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'holder' }));
  });

  test('reserved concurrency 0 blocks every invocation; its async events are not kept (as on AWS)', async () => {
    await deploy(lambda, 'blocked');
    await put(lambda, 'blocked', 0);
    assertThrottled(
      await attempt(lambda, 'blocked', {}),
      'ReservedFunctionConcurrentInvocationLimitExceeded',
    );
    const event = await lambda.send(
      new InvokeCommand({
        FunctionName: 'blocked',
        InvocationType: 'Event',
        Payload: Buffer.from('{"n":"e"}'),
      }),
    );
    assert.equal(event.StatusCode, 202);
    await new Promise((r) => setTimeout(r, 200));
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'blocked' }));
    assert.equal((await attempt(lambda, 'blocked', { n: 'sync' })).ok, true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await reportCount(server, 'blocked'), 1, 'only the synchronous call ran');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'blocked' }));
  });

  test('async events under a throttle wait in the queue and all run, one at a time', async () => {
    await deploy(lambda, 'async-queue');
    await put(lambda, 'async-queue', 1);
    for (let i = 0; i < 6; i++) {
      const out = await lambda.send(
        new InvokeCommand({
          FunctionName: 'async-queue',
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ sleep: 150, n: i })),
        }),
      );
      assert.equal(out.StatusCode, 202);
    }
    // An event holds the only lease: a synchronous call is throttled meanwhile.
    await waitFor(async () => {
      const o = await attempt(lambda, 'async-queue', {});
      if (o.ok) return false;
      assertThrottled(o, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      return true;
    });
    await waitFor(async () => (await reportCount(server, 'async-queue')) >= 6);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await reportCount(server, 'async-queue'), 6);
    // One environment, one event at a time: its log alternates begin/ran for every event.
    const lines = await server
      .logs()
      .send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/async-queue', filterPattern: 'INFO' }));
    const marks = (lines.events ?? []).map((e) =>
      /\tINFO\t(begin|ran) (\d+)/.exec(e.message ?? '')?.slice(1),
    );
    assert.equal(marks.length, 12);
    for (let i = 0; i < marks.length; i += 2) {
      assert.equal(marks[i]?.[0], 'begin');
      assert.deepEqual(marks[i + 1], ['ran', marks[i]?.[1]]);
    }
    assert.equal(new Set(marks.map((m) => m?.[1])).size, 6);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'async-queue' }));
  });
});

describe('concurrency: scaling rate', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    server = await startServer({ lambda: { scalingRatePer10s: 2 } });
    lambda = instrument(server.lambda());
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('new environments past the per-function rate are FunctionInvocationRateLimitExceeded; warm ones are not', async () => {
    await deploy(lambda, 'scaler');
    const outcomes = await burst(lambda, 'scaler', 3, 500);
    assert.equal(outcomes.filter((o) => o.ok).length, 2);
    for (const o of outcomes.filter((o) => !o.ok)) assertThrottled(o, 'FunctionInvocationRateLimitExceeded');
    // The two environments it has serve without new tokens.
    assert.equal((await burst(lambda, 'scaler', 2, 50)).filter((o) => o.ok).length, 2);
    // Another function has its own bucket.
    await deploy(lambda, 'scaler-2');
    assert.equal((await attempt(lambda, 'scaler-2', {})).ok, true);
  });
});

describe('concurrency: host memory', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    // Never frozen while the test runs: every environment counts its whole limit.
    server = await startServer({ lambda: { maxMemoryMb: 256, freezeDelayMs: 600_000 } });
    lambda = instrument(server.lambda());
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('a full host evicts idle environments, least recently used first, before it throttles', async () => {
    for (const name of ['mem-a', 'mem-b', 'mem-c']) await deploy(lambda, name);
    await deploy(lambda, 'mem-big', 512);
    const run = (name: string, sleep = 0) => attempt(lambda, name, { sleep }, true);

    assert.ok(coldStart(await run('mem-a')));
    assert.ok(coldStart(await run('mem-b'))); // 256 of 256 MB
    assert.ok(!coldStart(await run('mem-a'))); // a is now the most recently used
    assert.ok(coldStart(await run('mem-c')), 'c fits by evicting b');
    assert.ok(!coldStart(await run('mem-a')), 'a was kept');
    assert.ok(coldStart(await run('mem-b')), 'b was evicted');

    // Both environments busy (seen in health, not assumed after a fixed time; the handlers
    // sleep long enough for a slow machine to see it), nothing idle to evict: throttled.
    const bothBusy = async () => {
      const res = await fetch(`${server.url}/_lambent/health`);
      const { environments, idle } = (
        (await res.json()) as { parts: { invoke: { environments: number; idle: number } } }
      ).parts.invoke;
      return environments - idle >= 2;
    };
    const busyAB = Promise.all([run('mem-a', 3000), run('mem-b', 3000)]);
    await waitFor(bothBusy);
    const c = await run('mem-c');
    const [a, b] = await busyAB;
    assert.equal(a.ok, true);
    assert.equal(b.ok, true);
    assertThrottled(c, 'ConcurrentInvocationLimitExceeded');

    // An event that does not fit waits until an environment is idle again, then evicts it.
    const reportsBefore = await reportCount(server, 'mem-c');
    const busy = Promise.all([run('mem-a', 3000), run('mem-b', 3000)]);
    await waitFor(bothBusy);
    const event = await lambda.send(
      new InvokeCommand({
        FunctionName: 'mem-c',
        InvocationType: 'Event',
        Payload: Buffer.from('{"n":"e"}'),
      }),
    );
    assert.equal(event.StatusCode, 202);
    assert.ok((await busy).every((o) => o.ok));
    // It runs once an environment is idle and evicted, then a cold start: on a loaded machine
    // (the CI's Node 24 pass) that took longer than 30 s once.
    await waitFor(async () => (await reportCount(server, 'mem-c')) === reportsBefore + 1, 90_000);

    // A function larger than the host can never start.
    assertThrottled(await run('mem-big'), 'ConcurrentInvocationLimitExceeded');
  });
});

describe('concurrency: host memory, frozen environments', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    // Frozen as soon as they are idle; the ceiling fits two 128 MB limits, not four.
    server = await startServer({ lambda: { maxMemoryMb: 320, freezeDelayMs: 0 } });
    lambda = instrument(server.lambda());
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('a frozen environment counts what it uses, so more stay warm than their limits would allow', async () => {
    const names = ['frozen-a', 'frozen-b', 'frozen-c', 'frozen-d'];
    for (const name of names) await deploy(lambda, name);
    const run = (name: string) => attempt(lambda, name, {}, true);
    const health = async () =>
      (
        (await (await fetch(`${server.url}/_lambent/health`)).json()) as {
          parts: { invoke: { environments: number; memoryMb: number } };
        }
      ).parts.invoke;

    for (const name of names) {
      assert.ok(coldStart(await run(name)), `${name} starts`);
      // Frozen once idle (freezeDelayMs 0): then it counts its usage, a few MB, not its 128 MB.
      await waitFor(async () => (await health()).memoryMb < 128);
    }
    const held = await health();
    assert.equal(held.environments, 4);
    assert.ok(held.memoryMb < 2 * 128, `4 frozen environments count ${held.memoryMb} MB`);
    // All four are still warm: thawing one counts its limit again, and it fits.
    for (const name of names) assert.ok(!coldStart(await run(name)), `${name} stayed warm`);
  });
});
