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

type FakeEnvironment = Environment & { usedMb: number };

/**
 * A stand-in environment: each invocation awaits `during()` (a gate, a delay) and answers
 * `outcome`; stop() tells the scheduler, as a real environment's onStopped does.
 */
function fakeEnvironment(
  scheduler: () => Scheduler | undefined,
  o: {
    key?: string;
    during?: () => Promise<unknown>;
    outcome?: InvokeOutcome;
    provisioned?: boolean;
    /** Sets lastUsedAt after each invocation (default: left at 0). */
    clock?: () => number;
  } = {},
): FakeEnvironment {
  const env = {
    key: o.key ?? target.key,
    state: 'ready',
    lastUsedAt: 0,
    provisioned: o.provisioned ?? false,
    initFailed: false,
    usedMb: 10,
    onFrozen: undefined as (() => void) | undefined,
    memoryUsedBytes: () => env.usedMb * 1024 * 1024,
    retireAt: Number.POSITIVE_INFINITY,
    retiring: (now: number, margin: number) => env.retireAt - now <= margin,
    async invoke() {
      env.state = 'busy';
      await o.during?.();
      env.state = 'ready';
      if (o.clock) env.lastUsedAt = o.clock();
      return o.outcome ?? OK;
    },
    async stop() {
      env.state = 'stopped';
      scheduler()?.forget(env as unknown as Environment);
    },
  };
  return env as unknown as FakeEnvironment;
}

test('a start left behind by a hand-over is claimed by the next request instead of a new start', async () => {
  let scheduler: Scheduler | undefined;
  const gates: Array<Promise<void>> = [];
  let launches = 0;
  const slowLaunch = deferred();
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 10_000,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch() {
      launches++;
      if (launches === 2) await slowLaunch.promise;
      // Longer than a start: the scale-out rule does not wait for a release.
      return fakeEnvironment(() => scheduler, {
        during: () => gates.shift() as Promise<void>,
        outcome: { ...OK, durationMs: 1_000 },
      });
    },
  });
  const tick = () => new Promise((r) => setImmediate(r));
  const firstDone = deferred();
  const secondDone = deferred();
  gates.push(firstDone.promise, secondDone.promise, Promise.resolve());
  const first = scheduler.run(target, request);
  await tick();
  const second = scheduler.run(target, request); // starts a second environment (slow)
  await tick();
  firstDone.resolve(); // ...but takes the first one, released sooner
  assert.equal((await first).coldStart, true);
  await tick();
  // The first environment is busy with the second request: the third needs another one, and
  // claims the start the second request left behind.
  const third = scheduler.run(target, request);
  await tick();
  assert.equal(launches, 2, 'no third start');
  slowLaunch.resolve();
  assert.equal((await third).coldStart, true);
  secondDone.resolve();
  assert.equal((await second).coldStart, false);
  assert.equal(scheduler.stats().environments, 2);
  await scheduler.close();
});

test('a request whose environment is still starting takes one released sooner; the new one joins the pool', async () => {
  let scheduler: Scheduler | undefined;
  const gates: Array<Promise<void>> = [];
  const launched: Environment[] = [];
  const secondLaunch = deferred();
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 10_000,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch() {
      if (launched.length === 1) await secondLaunch.promise;
      const env = fakeEnvironment(() => scheduler, { during: () => gates.shift() as Promise<void> });
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

test('provisioned environments are served first, never reaped, and reported when they stop', async () => {
  let now = 0;
  let scheduler: Scheduler | undefined;
  const launched: Environment[] = [];
  scheduler = new Scheduler({
    keepAliveMs: 1000,
    maxMemoryMb: 10_000,
    now: () => now,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch(_t, provisioned) {
      const env = fakeEnvironment(() => scheduler, {
        during: () => new Promise((r) => setTimeout(r, 20)),
        provisioned: provisioned === true,
      });
      launched.push(env);
      return env;
    },
  });
  let stopped = 0;
  const kept = await scheduler.startProvisioned(target, () => stopped++);
  assert.equal(kept.provisioned, true);
  // One call: the provisioned environment. Two at once: the second starts an on-demand one.
  assert.equal((await scheduler.run(target, request)).coldStart, false);
  const both = await Promise.all([scheduler.run(target, request), scheduler.run(target, request)]);
  assert.deepEqual(
    both.map((o) => o.coldStart),
    [false, true],
  );
  assert.equal(launched.length, 2);
  assert.equal(launched[1]?.provisioned, false);
  // Past the keep-alive the reaper stops the on-demand one only.
  now = 10_000;
  (scheduler as unknown as { reap(): void }).reap();
  await new Promise((r) => setImmediate(r));
  assert.equal(launched[1]?.state, 'stopped');
  assert.equal(kept.state, 'ready');
  assert.equal(stopped, 0);
  await kept.stop();
  assert.equal(stopped, 1);
  await scheduler.close();
});

test('provisioned environments count against host memory and are never evicted for on-demand ones', async () => {
  let scheduler: Scheduler | undefined;
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 256,
    evictionWaitMs: 50,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch(_t, provisioned) {
      return fakeEnvironment(() => scheduler, {
        during: () => new Promise((r) => setTimeout(r, 30)),
        provisioned: provisioned === true,
      });
    },
  });
  const kept = [
    await scheduler.startProvisioned(target, () => undefined),
    await scheduler.startProvisioned(target, () => undefined),
  ];
  assert.equal(scheduler.stats().memoryMb, 256);
  // Two calls fit on them; a third needs a new environment and there is no room.
  const calls = [0, 1, 2].map(() => scheduler.run(target, request));
  const settled = await Promise.allSettled(calls);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  const third = settled[2] as PromiseRejectedResult;
  assert.equal((third.reason as { limit?: string }).limit, 'memory');
  assert.deepEqual(
    kept.map((e) => e.state),
    ['ready', 'ready'],
  );
  await scheduler.close();
});

test('a frozen environment counts the memory it uses; thawed, its limit counts again', async () => {
  let scheduler: Scheduler | undefined;
  let clock = 0;
  const byKey = new Map<string, FakeEnvironment>();
  const fake = (key: string) => {
    const env = fakeEnvironment(() => scheduler, {
      key,
      during: () => new Promise((r) => setImmediate(r)),
      clock: () => ++clock,
    });
    byKey.set(key, env);
    return env;
  };
  const freeze = (key: string) => {
    const env = byKey.get(key) as Environment;
    env.state = 'frozen';
    env.onFrozen?.();
  };
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 300,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch(t) {
      return fake(t.key);
    },
  });
  const t = (name: string) => ({
    functionId: `a/r/${name}`,
    functionKey: `a/r/${name}/1`,
    key: `a/r/${name}/1/x`,
    memoryMb: 128,
  });

  await scheduler.run(t('a'), request);
  freeze('a/r/a/1/x');
  assert.equal(scheduler.stats().memoryMb, 10);
  await scheduler.run(t('b'), request);
  freeze('a/r/b/1/x');
  await scheduler.run(t('c'), request);
  // 128 + 10 + 10: three 128 MB environments under a 300 MB ceiling, none evicted.
  assert.deepEqual(scheduler.stats(), { environments: 3, idle: 3, memoryMb: 148, maxMemoryMb: 300 });

  // a thaws: its whole limit counts again while it runs (and until it is frozen again).
  assert.equal((await scheduler.run(t('a'), request)).coldStart, false);
  assert.equal(scheduler.stats().memoryMb, 266);

  // d does not fit (266 + 128): idle ones go, least recently used first — b (10), then c (128).
  assert.equal((await scheduler.run(t('d'), request)).coldStart, true);
  assert.equal(byKey.get('a/r/b/1/x')?.state, 'stopped');
  assert.equal(byKey.get('a/r/c/1/x')?.state, 'stopped');
  assert.equal(byKey.get('a/r/a/1/x')?.state, 'ready');
  assert.deepEqual(scheduler.stats(), { environments: 2, idle: 2, memoryMb: 256, maxMemoryMb: 300 });
  await scheduler.close();
});

test('a short invocation about to end is waited for instead of starting another environment', async () => {
  let scheduler: Scheduler | undefined;
  let launches = 0;
  const gates: Array<Promise<void>> = [];
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 10_000,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch() {
      launches++;
      await new Promise((r) => setTimeout(r, 30)); // a start takes 30 ms
      return fakeEnvironment(() => scheduler, { during: () => gates.shift() as Promise<void> }); // 1 ms
    },
  });
  gates.push(Promise.resolve());
  await scheduler.run(target, request); // history: 1 ms invocations, 30 ms starts
  const busy = deferred();
  gates.push(busy.promise, Promise.resolve());
  const first = scheduler.run(target, request);
  await new Promise((r) => setImmediate(r));
  // One running, one arriving: it waits (up to 3 ms) for the running one rather than starting.
  const second = scheduler.run(target, request);
  await new Promise((r) => setImmediate(r));
  busy.resolve();
  await Promise.all([first, second]);
  assert.equal(launches, 1);
  assert.equal((await second).coldStart, false);

  // Two arriving while one runs: more are waiting than running, so one starts at once.
  const held = deferred();
  gates.push(held.promise, Promise.resolve(), Promise.resolve());
  const a = scheduler.run(target, request);
  await new Promise((r) => setImmediate(r));
  const b = scheduler.run(target, request);
  const c = scheduler.run(target, request);
  await new Promise((r) => setImmediate(r));
  assert.equal(launches, 2, 'c starts at once (more waiting than running); b waits a little');
  // a is still running when b's wait (2 × 1 ms + 1) is over: b starts too.
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(launches, 3);
  held.resolve();
  await Promise.all([a, b, c]);
  await scheduler.close();
});

test('an idle environment whose credentials are about to expire is retired, not reused', async () => {
  let scheduler: Scheduler | undefined;
  const started: FakeEnvironment[] = [];
  scheduler = new Scheduler({
    keepAliveMs: 60_000,
    maxMemoryMb: 10_000,
    concurrency: new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 }),
    async launch() {
      const env = fakeEnvironment(() => scheduler);
      started.push(env);
      return env;
    },
  });
  await scheduler.run(target, request);
  assert.equal(started.length, 1);
  (started[0] as unknown as { retireAt: number }).retireAt = Date.now() + 60_000; // within the margin
  await scheduler.run(target, request);
  assert.equal(started.length, 2, 'a new environment, with fresh credentials');
  assert.equal((started[0] as unknown as { state: string }).state, 'stopped');
  await scheduler.run(target, request);
  assert.equal(started.length, 2, 'the new one is reused');
});
