/**
 * Picks the execution environment for each invocation: an idle warm one of the same
 * function version and configuration if there is one, else a new one (cold start). Idle
 * environments are reaped after a keep-alive; environments of a replaced configuration
 * stop as soon as they are idle, so in-flight invocations finish on the old code.
 *
 * Concurrency limits, throttling, provisioned concurrency and a pre-warmed pool come later
 * (issue 4); they fit in `acquire`.
 */
import type { Environment, InvokeOutcome, InvokeRequest } from './environment.js';

export interface PoolTarget {
  /** Function identity across configurations: account/region/name/version. */
  functionKey: string;
  /** Function identity plus a fingerprint of code and configuration. */
  key: string;
}

export interface SchedulerOptions {
  /** Starts a new environment (INIT included) for a target. */
  launch(target: PoolTarget): Promise<Environment>;
  keepAliveMs: number;
  now?: () => number;
}

interface Pool {
  idle: Environment[];
  all: Set<Environment>;
}

export class Scheduler {
  private readonly pools = new Map<string, Pool>();
  /** functionKey → the key of its current configuration. */
  private readonly current = new Map<string, string>();
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
    if (this.closed) throw new Error('scheduler closed');
    this.retireOutdated(target);
    const pool = this.pool(target.key);
    let env = pool.idle.pop();
    const coldStart = env === undefined;
    if (!env) {
      env = await this.o.launch(target);
      pool.all.add(env);
    }
    const outcome = await env.invoke(request);
    if (!outcome.environmentLost) {
      if (this.current.get(target.functionKey) === target.key && !this.closed) pool.idle.push(env);
      else void env.stop();
    }
    return { ...outcome, coldStart };
  }

  /** Removes a stopped environment from its pool (the environment calls this). */
  forget(env: Environment): void {
    const pool = this.pools.get(env.key);
    if (!pool) return;
    pool.all.delete(env);
    pool.idle = pool.idle.filter((e) => e !== env);
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

  stats(): { environments: number; idle: number } {
    let environments = 0;
    let idle = 0;
    for (const pool of this.pools.values()) {
      environments += pool.all.size;
      idle += pool.idle.length;
    }
    return { environments, idle };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    await Promise.all([...this.pools.values()].flatMap((p) => [...p.all].map((e) => e.stop())));
  }

  private pool(key: string): Pool {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { idle: [], all: new Set() };
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
    for (const env of old.idle) void env.stop();
    old.idle = [];
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

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
