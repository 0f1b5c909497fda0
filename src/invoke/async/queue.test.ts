import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDb } from '../../../test/support/temp-db.js';
import { silentLogger } from '../../shared/logger.js';
import type { Db } from '../../storage/db.js';
import { Throttled } from '../concurrency.js';
import type { Condition } from '../destinations.js';
import { type AsyncEvent, type AsyncQueueOptions, type AttemptResult, createAsyncQueue } from './queue.js';

const event = (n: number) => ({
  requestId: `req-${n}`,
  accountId: '000000000000',
  region: 'us-east-1',
  functionName: 'fn',
  qualifier: undefined,
  payload: Buffer.from(JSON.stringify({ n })),
});

const ok: AttemptResult = {
  kind: 'success',
  response: { statusCode: 200, executedVersion: '$LATEST', payload: Buffer.from('{}') },
};
const fail: AttemptResult = {
  kind: 'function-error',
  response: {
    statusCode: 200,
    executedVersion: '$LATEST',
    functionError: 'Unhandled',
    payload: Buffer.from('{"errorMessage":"no"}'),
  },
};

function queueOf(db: Db, over: Partial<AsyncQueueOptions>) {
  return createAsyncQueue({
    db,
    logger: silentLogger,
    concurrency: 4,
    run: async () => ok,
    retryDelayScale: 0.001,
    ...over,
  });
}

test('events accepted in one tick share one commit; each resolves once committed', async () => {
  const t = tempDb('lambent-queue-');
  try {
    const ran: number[] = [];
    const q = queueOf(t.db, {
      run: async (e) => {
        ran.push(JSON.parse(e.payload.toString()).n);
        return ok;
      },
    });
    const before = t.db.prepare('SELECT COUNT(*) FROM invoke_async_events').pluck();
    const all = Array.from({ length: 200 }, (_, i) => q.enqueue(event(i)));
    // Nothing is written before the tick ends; then all 200 rows at once.
    assert.equal(before.get(), 0);
    await all[0];
    assert.ok((before.get() as number) + ran.length >= 200, 'all rows of the tick committed together');
    await Promise.all(all);
    await q.drained();
    assert.deepEqual(
      [...ran].sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
    await q.close();
    assert.equal(before.get(), 0, 'finished events are removed');
  } finally {
    t.done();
  }
});

test('function errors: retried MaximumRetryAttempts times, then RetriesExhausted with the count', async () => {
  const t = tempDb('lambent-queue-');
  try {
    const runs: Array<{ id: string; attempts: number; at: number }> = [];
    const finals: Array<{ condition: Condition; attempts: number }> = [];
    const dropped: string[] = [];
    const ages: number[] = [];
    const q = queueOf(t.db, {
      retryDelayScale: 0.002, // 120 ms, then 240 ms
      run: async (e) => {
        runs.push({ id: e.requestId, attempts: e.attempts, at: Date.now() });
        return fail;
      },
      policy: () => ({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 }),
      onFinal: async (e, condition) => {
        finals.push({ condition, attempts: e.attempts });
        return [];
      },
      observe: {
        eventAge: (_f, _q, age) => ages.push(age),
        dropped: (_f, _q, reason) => dropped.push(reason),
      },
    });
    await q.enqueue(event(1));
    await q.drained();
    assert.deepEqual(
      runs.map((r) => [r.id, r.attempts]),
      [
        ['req-1', 1],
        ['req-1', 2],
        ['req-1', 3],
      ],
    );
    const [r1, r2, r3] = runs as unknown as [{ at: number }, { at: number }, { at: number }];
    assert.ok(r2.at - r1.at >= 115, `first wait ${r2.at - r1.at}`);
    assert.ok(r3.at - r2.at >= 235, `second wait ${r3.at - r2.at}`);
    assert.deepEqual(finals, [{ condition: 'RetriesExhausted', attempts: 3 }]);
    assert.deepEqual(dropped, ['RetriesExhausted']);
    assert.equal(ages.length, 3);
    assert.ok((ages[2] as number) >= 350, 'the age grows with each attempt');
    await q.close();
  } finally {
    t.done();
  }
});

test('a waiting retry is stored: after a restart it runs when due, with its attempt count', async () => {
  const t = tempDb('lambent-queue-');
  try {
    const first = queueOf(t.db, { retryDelayScale: 0.005, run: async () => fail }); // 300 ms
    await first.enqueue(event(7));
    await new Promise((r) => setTimeout(r, 50));
    await first.close();
    const row = t.db
      .prepare('SELECT attempts, next_attempt_at, last_response FROM invoke_async_events')
      .get() as {
      attempts: number;
      next_attempt_at: number;
      last_response: string;
    };
    assert.equal(row.attempts, 1);
    assert.ok(row.next_attempt_at > Date.now(), 'the next attempt is in the future');
    assert.match(row.last_response, /Unhandled/);

    const runs: Array<{ attempts: number; at: number }> = [];
    let final: { condition: Condition; e: AsyncEvent; response: unknown } | undefined;
    const second = queueOf(t.db, {
      retryDelayScale: 0.005,
      run: async (e) => {
        runs.push({ attempts: e.attempts, at: Date.now() });
        return ok;
      },
      onFinal: async (e, condition, response) => {
        final = { condition, e, response };
        return [];
      },
    });
    await second.drained();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.attempts, 2);
    assert.ok((runs[0]?.at as number) >= row.next_attempt_at - 5, 'not before it was due');
    assert.equal(final?.condition, 'Success');
    assert.equal(final?.e.requestId, 'req-7');
    await second.close();
  } finally {
    t.done();
  }
});

test('too old: EventAgeExceeded with the last answer; zero reserved concurrency: at once, count 0', async () => {
  const t = tempDb('lambent-queue-');
  try {
    const finals: Array<{ condition: Condition; attempts: number; response: unknown }> = [];
    let calls = 0;
    const q = queueOf(t.db, {
      retryDelayScale: 0.005,
      policy: () => ({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 }),
      run: async (e) => {
        calls++;
        if (e.requestId === 'req-2')
          throw new Throttled('ReservedFunctionConcurrentInvocationLimitExceeded', 'concurrency', true);
        return fail;
      },
      onFinal: async (e, condition, response) => {
        finals.push({ condition, attempts: e.attempts, response });
        return [];
      },
    });
    await q.enqueue(event(1));
    await q.enqueue(event(2));
    await q.drained();
    const byCondition = Object.fromEntries(finals.map((f) => [f.condition, f]));
    assert.equal(byCondition.EventAgeExceeded?.attempts, 1);
    assert.deepEqual(
      byCondition.EventAgeExceeded?.response,
      fail.kind === 'function-error' ? fail.response : undefined,
    );
    assert.equal(byCondition.ZeroReservedConcurrency?.attempts, 0);
    assert.equal(byCondition.ZeroReservedConcurrency?.response, undefined);
    assert.equal(calls, 2, 'the too-old retry did not run');
    await q.close();
  } finally {
    t.done();
  }
});

test('a system error is retried with backoff; the event keeps its request id', async () => {
  const t = tempDb('lambent-queue-');
  try {
    const ids: string[] = [];
    const q = queueOf(t.db, {
      retryDelayScale: 0.01, // 10 ms, 20 ms
      run: async (e) => {
        ids.push(e.requestId);
        if (ids.length < 3) throw new Error('socket hang up');
        return ok;
      },
    });
    await q.enqueue(event(3));
    await q.drained();
    assert.deepEqual(ids, ['req-3', 'req-3', 'req-3']);
    await q.close();
  } finally {
    t.done();
  }
});

test('a host-memory throttle is retried even when its timer fires before its wait is over', async () => {
  // Timers count monotonic milliseconds, the wait's end is in Date.now() milliseconds: the two
  // truncate differently (3 of 100 50 ms timers fired before Date.now() had moved 50 ms, seen
  // here), and the wall clock may be stepped back. A wait whose timer found it not yet over was
  // never retried. Here the wall clock is 100 ms ahead while the throttle is taken.
  const t = tempDb('lambent-queue-');
  const realNow = Date.now;
  try {
    let calls = 0;
    const q = queueOf(t.db, {
      run: async () => {
        calls++;
        if (calls > 1) return ok;
        Date.now = () => realNow() + 100;
        setImmediate(() => {
          Date.now = realNow;
        });
        throw new Throttled('ConcurrentInvocationLimitExceeded', 'memory');
      },
    });
    await q.enqueue(event(4));
    await q.drained();
    assert.equal(calls, 2);
    await q.close();
  } finally {
    Date.now = realNow;
    t.done();
  }
});

test('a function fans out only while its runs take time: quick runs stay few, slow ones spread', async () => {
  const t = tempDb('lambent-queue-');
  try {
    const measure = async (runMs: number, events: number) => {
      let now = 0;
      let max = 0;
      const q = queueOf(t.db, {
        concurrency: 8,
        run: async () => {
          now++;
          max = Math.max(max, now);
          await new Promise((r) => setTimeout(r, runMs));
          now--;
          return ok;
        },
      });
      await Promise.all(Array.from({ length: events }, (_, i) => q.enqueue(event(i))));
      await q.drained();
      await q.close();
      return max;
    };
    assert.ok((await measure(0, 300)) <= 2, 'immediate runs do not fan out');
    assert.equal(await measure(200, 16), 8, 'slow runs use every slot');
  } finally {
    t.done();
  }
});
