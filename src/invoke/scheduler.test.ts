/**
 * Scheduler decisions, with stand-in environments (the scheduler is the thing under test;
 * real environments are exercised by the integration tests in test/).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyAccounting } from './concurrency.js';
import type { Environment, InvokeOutcome } from './environment.js';
import { Scheduler } from './scheduler.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const OK: InvokeOutcome = {
  result: { kind: 'response', payload: Buffer.alloc(0) },
  durationMs: 1,
  environmentLost: false,
};
const target = { functionId: 'a/r/f', functionKey: 'a/r/f/$LATEST', key: 'a/r/f/$LATEST/x', memoryMb: 128 };
const request = { requestId: 'r', payload: Buffer.from('{}'), tail: false };

test('a request whose environment is still starting takes one released sooner; the new one joins the pool', async () => {
  let scheduler: Scheduler | undefined;
  const gates: Array<Promise<void>> = [];
  const launched: Environment[] = [];
  const secondLaunch = deferred();
  const fake = (): Environment => {
    const env = {
      key: target.key,
      state: 'ready',
      lastUsedAt: 0,
      async invoke() {
        env.state = 'busy';
        await gates.shift();
        env.state = 'ready';
        return OK;
      },
      async stop() {
        env.state = 'stopped';
        scheduler?.forget(env as unknown as Environment);
      },
    };
    return env as unknown as Environment;
  };
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 10_000,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch() {
      if (launched.length === 1) await secondLaunch.promise;
      const env = fake();
      launched.push(env);
      return env;
    },
  });

  const firstDone = deferred();
  gates.push(firstDone.promise, Promise.resolve());
  const first = scheduler.run(target, request);
  await new Promise((r) => setImmediate(r));
  // No idle environment: a second one starts for this request...
  const second = scheduler.run(target, request);
  await new Promise((r) => setImmediate(r));
  // ...but the first finishes before it is ready, and serves the request instead.
  firstDone.resolve();
  assert.equal((await first).coldStart, true);
  assert.equal((await second).coldStart, false);
  assert.equal(launched.length, 1);
  // The environment that was starting is not wasted: it joins the pool.
  secondLaunch.resolve();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(launched.length, 2);
  assert.deepEqual(scheduler.stats(), { environments: 2, idle: 2, memoryMb: 256, maxMemoryMb: 10_000 });
  await scheduler.close();
});
