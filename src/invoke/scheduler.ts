/**
 * Picks the execution environment for each invocation: an idle warm one of the same
 * function version and configuration if there is one, else a new one (cold start). Idle
 * environments are reaped after a keep-alive; environments of a replaced configuration
 * stop as soon as they are idle, so in-flight invocations finish on the old code.
 *
 * Limits, in the order they are checked:
 * 1. concurrency: the invocation takes a lease (reserved or unreserved pool) before anything
 *    else and releases it when it ends — throttled at once when none is free;
 * 2. scaling rate: only a new environment takes a token from the function's bucket;
 * 3. host memory: the memory limits of running environments (plus those being started) and
 *    what frozen ones really use never add up to more than `maxMemoryMb`. A frozen
 *    environment cannot grow, so it counts with its cgroup's usage (a warm Node runtime holds
 *    ~8 MB, against a 128 MB limit) until it is thawed, when its limit counts again. When a
 *    start or a thaw does not fit, idle environments are stopped, least recently used first,
 *    and it waits until they are gone; only when even that cannot make room is the
 *    invocation throttled.
 *
 * Provisioned concurrency (src/invoke/provisioned.ts) starts environments through
 * `startProvisioned`: they sit in their pool's `provisioned` idle list, are taken before
 * on-demand ones, and are never reaped or evicted for memory (they still count against it).
 */
import { type ConcurrencyAccounting, Throttled } from './concurrency.js';
import type { Environment, InvokeOutcome, InvokeRequest } from './environment.js';

const MIB = 1024 * 1024;

/** The scheduler is shutting down: the invocation did not run (an async event stays queued). */
export class SchedulerClosed extends Error {
  constructor() {
    super('scheduler closed');
  }
}

export interface PoolTarget {
  /** The function (all versions), for concurrency: account/region/name. */
  functionId: string;
  /** Function identity across configurations: account/region/name/version. */
  functionKey: string;
  /** Function identity plus a fingerprint of code and configuration. */
  key: string;
  /** The environment's memory limit. */
  memoryMb: number;
}

export interface SchedulerOptions {
  /** Starts a new environment (INIT included) for a target; `provisioned` for provisioned concurrency. */
  launch(target: PoolTarget, provisioned?: boolean): Promise<Environment>;
  keepAliveMs: number;
  concurrency: ConcurrencyAccounting;
  /** Ceiling on the sum of live environments' memory limits. */
  maxMemoryMb: number;
  /** How long a start waits for evicted environments to be gone before it gives up. */
  evictionWaitMs?: number;
  now?: () => number;
}

interface Pool {
  idle: Environment[];
  /** Idle provisioned environments: served first, never reaped. */
  provisioned: Environment[];
  all: Set<Environment>;
}

export class Scheduler {
  private readonly pools = new Map<string, Pool>();
  /** functionKey → the key of its current configuration. */
  private readonly current = new Map<string, string>();
  /** key → moving average of its invocations' durations (ms), for the scale-out rule. */
  private readonly durations = new Map<string, number>();
  /** Moving average of environment starts (ms), every function. */
  private startMs = 50;
  /** key → starts whose request took a released environment instead (see `spare`). */
  private readonly spares = new Map<string, Array<Promise<Environment>>>();
  /** key → requests whose environment is starting, ready to take one released sooner. */
  private readonly waiting = new Map<string, Array<(env: Environment) => void>>();
  /** What every environment not yet stopped counts: its limit, or its usage while frozen. */
  private readonly memoryOf = new Map<Environment, number>();
  /** Sum of `memoryOf` plus the environments being started. */
  private committedMb = 0;
  private stopWaiters: Array<() => void> = [];
  /** Told when a provisioned environment has stopped (provisioned.ts replaces it). */
  private readonly provisionedStopped = new Map<Environment, () => void>();
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: SchedulerOptions) {
    this.reaper = setInterval(() => this.reap(), Math.min(o.keepAliveMs, 10_000));
    this.reaper.unref();
  }

  async run<T extends PoolTarget>(
    target: T,
    request: InvokeRequest,
  ): Promise<InvokeOutcome & { coldStart: boolean }> {
    if (this.closed) throw new SchedulerClosed();
    // Taken synchronously, before the first await: a throttle is decided in arrival order.
    const lease = this.o.concurrency.acquire(
      target.functionId,
      target.functionKey.slice(target.functionId.length + 1),
    );
    try {
      this.retireOutdated(target);
      const pool = this.pools.get(target.key);
      // Provisioned environments first; past them, on-demand ones.
      let env = takeIdle(pool?.provisioned) ?? takeIdle(pool?.idle);
      // A frozen environment counted its usage: its limit counts again before it runs.
      if (env && (this.memoryOf.get(env) ?? target.memoryMb) < target.memoryMb) {
        await this.chargeLimit(env, target);
      }
      let coldStart = false;
      if (!env) {
        const got = await this.startOrTakeReleased(target);
        env = got.env;
        coldStart = got.cold;
      }
      const outcome = await env.invoke(request);
      const d = this.durations.get(target.key);
      this.durations.set(
        target.key,
        d === undefined ? outcome.durationMs : d + (outcome.durationMs - d) * 0.2,
      );
      if (!outcome.environmentLost && (env.state === 'ready' || env.state === 'frozen'))
        this.release(target, env);
      return { ...outcome, coldStart };
    } finally {
      lease.release();
    }
  }

  /**
   * A cold start, unless an environment of the same configuration is released first: then
   * the request takes that one and the new environment joins the pool when it is ready.
   * Under a steady stream of short invocations this keeps a brief stall from turning every
   * waiting request into a cold start (each of which takes CPU from the others).
   */
  private async startOrTakeReleased(target: PoolTarget): Promise<{ env: Environment; cold: boolean }> {
    let handOver: (env: Environment) => void = () => undefined;
    const released = new Promise<Environment>((resolve) => {
      handOver = resolve;
    });
    const waiters = this.waiting.get(target.key) ?? [];
    waiters.push(handOver);
    this.waiting.set(target.key, waiters);
    // Scale-out rule: when this configuration's invocations are shorter than a start and at
    // least as many are running as are waiting, one is about to end — wait that long for it
    // before starting another environment. Under a steady stream on a small host, a start per
    // momentarily unserved request takes the CPU the running ones need and multiplies
    // environments; slow handlers and real growth in demand still start at once, as on AWS.
    const grace = this.releaseExpectedWithin(target);
    if (grace > 0) {
      let timer: NodeJS.Timeout | undefined;
      const env = await Promise.race([
        released,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), grace);
        }),
      ]);
      clearTimeout(timer);
      // Handed over: release() has already taken it off the waiting list.
      if (env) return { env, cold: false };
    }
    // A start whose request was served sooner by a released environment is claimed before a
    // new one is begun: otherwise every hand-over leaves one more environment behind, and a
    // steady stream of requests multiplies environments far past its concurrency.
    const spares = this.spares.get(target.key);
    const starting = spares?.shift() ?? this.start(target);
    if (spares?.length === 0) this.spares.delete(target.key);
    const stopWaiting = () => {
      const list = this.waiting.get(target.key);
      const i = list?.indexOf(handOver) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list?.length === 0) this.waiting.delete(target.key);
      // Handed over in the same moment the race was decided: it goes back, not lost.
      void released.then((env) => this.release(target, env));
    };
    try {
      const winner = await Promise.race([
        starting.then((env) => ({ env, cold: true })),
        released.then((env) => ({ env, cold: false })),
      ]);
      if (winner.cold) {
        stopWaiting();
        // Looked up again: the pool may have emptied (and gone) while this one started.
        if (winner.env.state !== 'stopped') this.pool(target.key).all.add(winner.env);
      } else {
        this.spare(target, starting);
      }
      return winner;
    } catch (err) {
      stopWaiting();
      throw err;
    }
  }

  /** How long to wait for a release before starting an environment (0: start now). */
  private releaseExpectedWithin(target: PoolTarget): number {
    const duration = this.durations.get(target.key);
    if (duration === undefined || duration >= this.startMs) return 0;
    const pool = this.pools.get(target.key);
    if (!pool) return 0;
    const running = pool.all.size - pool.idle.length - pool.provisioned.length;
    // Every waiting request (this one included) needs one of the running ones to end.
    if (running < (this.waiting.get(target.key)?.length ?? 0)) return 0;
    return Math.min(this.startMs, 2 * duration + 1);
  }

  /**
   * A start nobody waits for any more: the next request that needs a new environment of the
   * configuration claims it; unclaimed when ready, it joins the pool.
   */
  private spare(target: PoolTarget, starting: Promise<Environment>): void {
    const list = this.spares.get(target.key) ?? [];
    list.push(starting);
    this.spares.set(target.key, list);
    const unclaimed = () => {
      const now = this.spares.get(target.key);
      const i = now?.indexOf(starting) ?? -1;
      if (!now || i < 0) return false;
      now.splice(i, 1);
      if (now.length === 0) this.spares.delete(target.key);
      return true;
    };
    starting.then(
      (env) => {
        if (unclaimed() && env.state !== 'stopped') this.release(target, env);
      },
      () => void unclaimed(),
    );
  }

  /** An environment is free again: to a request waiting for one, else to the idle pool. */
  private release(target: PoolTarget, env: Environment): void {
    if (env.state !== 'ready' && env.state !== 'frozen') return;
    if (this.current.get(target.functionKey) !== target.key || this.closed) {
      void env.stop();
      return;
    }
    const pool = this.pool(target.key);
    pool.all.add(env);
    const waiters = this.waiting.get(target.key);
    const next = waiters?.shift();
    if (waiters?.length === 0) this.waiting.delete(target.key);
    if (next) next(env);
    else if (env.provisioned) pool.provisioned.push(env);
    else pool.idle.push(env);
  }

  /**
   * Starts an environment for provisioned concurrency (INIT with that initialization type) and
   * adds it to its pool. No scaling token: AWS provisions outside the on-demand scaling rate.
   * `onStopped` is called once the environment has stopped for any reason.
   */
  async startProvisioned(target: PoolTarget, onStopped: () => void): Promise<Environment> {
    if (this.closed) throw new SchedulerClosed();
    // Its configuration becomes the current one, as an invocation's would (else release would
    // stop it); provisioned.ts always builds targets from the version's configuration as it is now.
    this.retireOutdated(target);
    await this.reserveMemory(target.memoryMb);
    let env: Environment;
    try {
      env = await this.o.launch(target, true);
    } catch (err) {
      this.freeMemory(target.memoryMb);
      throw err;
    }
    env.provisioned = true;
    if (env.state === 'stopped') {
      this.freeMemory(target.memoryMb);
      onStopped();
      return env;
    }
    this.track(env, target.memoryMb);
    this.provisionedStopped.set(env, onStopped);
    if (!env.initFailed) this.release(target, env);
    return env;
  }

  /** Removes a stopped environment from its pool and its memory from the total (the environment calls this). */
  forget(env: Environment): void {
    const memoryMb = this.memoryOf.get(env);
    if (memoryMb !== undefined) {
      this.memoryOf.delete(env);
      this.freeMemory(memoryMb);
    }
    const stopped = this.provisionedStopped.get(env);
    if (stopped) {
      this.provisionedStopped.delete(env);
      stopped();
    }
    const pool = this.pools.get(env.key);
    if (!pool) return;
    pool.all.delete(env);
    pool.idle = pool.idle.filter((e) => e !== env);
    pool.provisioned = pool.provisioned.filter((e) => e !== env);
    if (pool.all.size === 0) this.pools.delete(env.key);
  }

  /** Stops every environment of a function (all versions/configurations), e.g. on delete. */
  async stopFunction(functionKeyPrefix: string): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [key, pool] of this.pools) {
      if (key.startsWith(functionKeyPrefix)) for (const env of pool.all) stops.push(env.stop());
    }
    await Promise.all(stops);
  }

  stats(): { environments: number; idle: number; memoryMb: number; maxMemoryMb: number } {
    let environments = 0;
    let idle = 0;
    for (const pool of this.pools.values()) {
      environments += pool.all.size;
      idle += pool.idle.length;
    }
    return { environments, idle, memoryMb: this.committedMb, maxMemoryMb: this.o.maxMemoryMb };
  }

  /**
   * Stops the least recently used idle on-demand environment, for room elsewhere (the /tmp
   * budget: its volume becomes free once it has stopped). False when there is none.
   */
  async evictIdle(): Promise<boolean> {
    const env = this.idleLeastRecentlyUsed()[0];
    if (!env) return false;
    this.removeIdle(env);
    await env.stop();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    for (const wake of this.stopWaiters) wake();
    this.stopWaiters = [];
    await Promise.all([...this.pools.values()].flatMap((p) => [...p.all].map((e) => e.stop())));
  }

  /** A new environment: scaling token, room in memory (evicting idle ones), then launch. */
  private async start(target: PoolTarget): Promise<Environment> {
    this.o.concurrency.takeScalingToken(target.functionId);
    await this.reserveMemory(target.memoryMb);
    let env: Environment;
    const began = performance.now();
    try {
      env = await this.o.launch(target);
      this.startMs += (performance.now() - began - this.startMs) * 0.2;
    } catch (err) {
      this.freeMemory(target.memoryMb);
      throw err;
    }
    if (env.state === 'stopped') {
      // It ended during INIT and has already been forgotten.
      this.freeMemory(target.memoryMb);
    } else {
      this.track(env, target.memoryMb);
    }
    return env;
  }

  /** Counts a live environment's limit; once frozen it counts what it uses (see `chargeFrozen`). */
  private track(env: Environment, limitMb: number): void {
    this.memoryOf.set(env, limitMb);
    env.onFrozen = () => this.chargeFrozen(env, limitMb);
  }

  private chargeFrozen(env: Environment, limitMb: number): void {
    const charged = this.memoryOf.get(env);
    if (charged === undefined || env.state !== 'frozen') return;
    const usedMb = Math.min(limitMb, Math.max(1, Math.ceil(env.memoryUsedBytes() / MIB)));
    if (usedMb >= charged) return;
    this.memoryOf.set(env, usedMb);
    this.freeMemory(charged - usedMb);
  }

  /** A frozen environment about to run counts its whole limit again (evicting others if need be). */
  private async chargeLimit(env: Environment, target: PoolTarget): Promise<void> {
    const charged = this.memoryOf.get(env) ?? target.memoryMb;
    try {
      await this.reserveMemory(target.memoryMb - charged);
    } catch (err) {
      this.release(target, env);
      throw err;
    }
    this.memoryOf.set(env, target.memoryMb);
  }

  /** Adds `need` MB to the committed total once it fits, or throws `Throttled`. */
  private async reserveMemory(need: number): Promise<void> {
    const max = this.o.maxMemoryMb;
    // The host is full: closest to AWS's account-level limit.
    const full = () => new Throttled('ConcurrentInvocationLimitExceeded', 'memory');
    if (need > max) throw full();
    const deadline = Date.now() + (this.o.evictionWaitMs ?? 10_000);
    for (;;) {
      if (this.closed) throw new SchedulerClosed();
      if (this.committedMb + need <= max) {
        this.committedMb += need;
        return;
      }
      // Environments already stopping free their memory soon; evict idle ones for the rest.
      let leaving = 0;
      for (const [env, mb] of this.memoryOf) if (env.state === 'stopping') leaving += mb;
      if (this.committedMb - leaving + need > max) {
        for (const env of this.idleLeastRecentlyUsed()) {
          if (this.committedMb - leaving + need <= max) break;
          this.removeIdle(env);
          leaving += this.memoryOf.get(env) ?? 0;
          void env.stop();
        }
        if (this.committedMb - leaving + need > max) throw full();
      }
      // Environments that stopped at once have freed their memory already.
      if (this.committedMb + need <= max) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw full();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        timer.unref();
        this.stopWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private freeMemory(memoryMb: number): void {
    this.committedMb -= memoryMb;
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const wake of waiters) wake();
    this.o.concurrency.changed();
  }

  private idleLeastRecentlyUsed(): Environment[] {
    const idle: Environment[] = [];
    for (const pool of this.pools.values()) {
      for (const env of pool.idle) if (env.state === 'ready' || env.state === 'frozen') idle.push(env);
    }
    return idle.sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  }

  private removeIdle(env: Environment): void {
    const pool = this.pools.get(env.key);
    if (pool) pool.idle = pool.idle.filter((e) => e !== env);
  }

  private pool(key: string): Pool {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { idle: [], provisioned: [], all: new Set() };
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** A new configuration of a function: its old idle environments stop now, busy ones after their invocation. */
  private retireOutdated(target: PoolTarget): void {
    const previous = this.current.get(target.functionKey);
    if (previous === target.key) return;
    this.current.set(target.functionKey, target.key);
    if (previous === undefined) return;
    const old = this.pools.get(previous);
    if (!old) return;
    for (const env of [...old.idle, ...old.provisioned]) void env.stop();
    old.idle = [];
    old.provisioned = [];
  }

  private reap(): void {
    const now = (this.o.now ?? Date.now)();
    for (const pool of this.pools.values()) {
      const [expired, kept] = partition(pool.idle, (e) => now - e.lastUsedAt >= this.o.keepAliveMs);
      pool.idle = kept;
      for (const env of expired) void env.stop();
    }
  }
}

/** The most recently used idle environment still able to serve (one that ended on its own is on its way out). */
function takeIdle(idle: Environment[] | undefined): Environment | undefined {
  let env = idle?.pop();
  while (env && env.state !== 'ready' && env.state !== 'frozen') env = idle?.pop();
  return env;
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
