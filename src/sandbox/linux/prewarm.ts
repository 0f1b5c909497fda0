/**
 * Pools of pre-started, function-agnostic sandboxes (one pool per runtime family): each
 * sandbox is complete — namespaces, cgroup, its own uid, the interpreter booted with the
 * pool's entry point — but holds no function until a start takes it (LinuxSandbox.adopt).
 * Taken sandboxes never come back: a pool only grows by booting new ones.
 *
 * Refilling must not take CPU from invocations, so it is deliberately timid: one boot at a
 * time for all pools together; not while any sandbox is starting, nor within SETTLE_MS of
 * the last start (the function's INIT is still importing its handler); not while the host's
 * CPUs are busy (> BUSY_FRACTION of all cores over the last window, from /proc/stat), unless
 * the pool has been waiting MAX_DEFER_MS (a constantly loaded host still gets its pool, at
 * the lowest priority); and the booting runtime runs at nice 19 in a cgroup with 2 CPU
 * shares until its assignment, so it only gets CPU nobody else wants.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { PoolDefinition, PoolStatus } from '../sandbox.js';
import type { LinuxSandbox } from './sandbox.js';

const SETTLE_MS = 30;
const POLL_MS = 25;
const BUSY_FRACTION = 0.75;
const MAX_DEFER_MS = 2_000;
/** After a failed boot, wait before the next one (doubling, capped). */
const BACKOFF_MS = [100, 1_000, 5_000, 30_000];
/** A boot that takes longer (a runtime stuck before it reports ready) is a failure. */
const BOOT_TIMEOUT_MS = 60_000;

export interface PrewarmHooks {
  /** Starts one pooled sandbox (not yet booted). */
  create(def: PoolDefinition): LinuxSandbox;
  /** Whether a sandbox start is in progress right now. */
  starting(): boolean;
  /** Background work that goes with each boot (the provider's spare /tmp volumes). */
  spare?(): Promise<void>;
}

interface Pool {
  def: PoolDefinition;
  ready: LinuxSandbox[];
  booting: LinuxSandbox | undefined;
  taken: number;
  missed: number;
  failures: number;
  consecutiveFailures: number;
  lastError?: string;
  notBefore: number;
}

export class Prewarm {
  private pools = new Map<string, Pool>();
  private timer: NodeJS.Timeout | undefined;
  private lastStart = 0;
  private waitingSince = 0;
  private readonly cpu = new CpuSampler();
  private closed = false;

  constructor(private readonly hooks: PrewarmHooks) {}

  /** Replaces the definitions; sandboxes of pools no longer defined (or resized below) are killed. */
  define(defs: PoolDefinition[]): void {
    const next = new Map<string, Pool>();
    for (const def of defs) {
      const old = this.pools.get(def.name);
      if (old && sameDefinition(old.def, def)) {
        old.def = def;
        for (const s of old.ready.splice(Math.max(0, def.size))) void s.kill();
        next.set(def.name, old);
      } else {
        if (old) this.drop(old);
        next.set(def.name, {
          def,
          ready: [],
          booting: undefined,
          taken: 0,
          missed: 0,
          failures: 0,
          consecutiveFailures: 0,
          notBefore: 0,
        });
      }
    }
    for (const [name, old] of this.pools) if (!next.has(name)) this.drop(old);
    this.pools = next;
    this.schedule(0);
  }

  /** A booted sandbox of pool `name` for a function with these runtime directories, or undefined. */
  take(
    name: string,
    dirs: { runtimeDir: string; langDir?: string | undefined; sdkDir?: string | undefined },
  ): LinuxSandbox | undefined {
    this.noteStart();
    const pool = this.pools.get(name);
    if (
      !pool ||
      pool.def.runtimeDir !== dirs.runtimeDir ||
      pool.def.langDir !== dirs.langDir ||
      pool.def.sdkDir !== dirs.sdkDir
    )
      return undefined;
    for (let s = pool.ready.shift(); s; s = pool.ready.shift()) {
      if (s.state !== 'created') {
        void s.kill(); // died (or broke) while waiting
        continue;
      }
      pool.taken++;
      this.schedule(SETTLE_MS);
      return s;
    }
    pool.missed++;
    this.schedule(SETTLE_MS);
    return undefined;
  }

  /** A sandbox start began or ended: refills wait until things are quiet. */
  noteStart(): void {
    this.lastStart = performance.now();
  }

  status(): PoolStatus[] {
    return [...this.pools.values()].map((p) => ({
      name: p.def.name,
      size: p.def.size,
      ready: p.ready.length,
      booting: p.booting ? 1 : 0,
      taken: p.taken,
      missed: p.missed,
      failures: p.failures,
      ...(p.lastError ? { lastError: p.lastError } : {}),
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const all = [...this.pools.values()];
    this.pools = new Map();
    await Promise.all(all.map((p) => this.drop(p)));
  }

  private drop(pool: Pool): Promise<unknown> {
    const doomed = [...pool.ready.splice(0), ...(pool.booting ? [pool.booting] : [])];
    pool.booting = undefined;
    return Promise.all(doomed.map((s) => s.kill()));
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.closed) return;
    const pools = [...this.pools.values()];
    if (pools.some((p) => p.booting)) return; // its end schedules the next tick
    const now = performance.now();
    const wanting = pools
      .filter((p) => p.ready.length < p.def.size)
      .sort((a, b) => a.ready.length / a.def.size - b.ready.length / b.def.size);
    if (wanting.length === 0) {
      this.waitingSince = 0;
      return;
    }
    const due = wanting.filter((p) => p.notBefore <= now);
    const first = due[0];
    if (!first) {
      this.schedule(Math.max(POLL_MS, Math.min(...wanting.map((p) => p.notBefore)) - now));
      return;
    }
    if (this.waitingSince === 0) this.waitingSince = now;
    const quiet = now - this.lastStart >= SETTLE_MS && !this.hooks.starting();
    const busy = this.cpu.busyFraction() > BUSY_FRACTION;
    if (!quiet || (busy && now - this.waitingSince < MAX_DEFER_MS)) {
      this.schedule(POLL_MS);
      return;
    }
    this.waitingSince = 0;
    this.boot(first);
  }

  private boot(pool: Pool): void {
    let sandbox: LinuxSandbox;
    try {
      sandbox = this.hooks.create(pool.def);
    } catch (err) {
      this.failed(pool, err);
      this.schedule(POLL_MS);
      return;
    }
    pool.booting = sandbox;
    const spare = () => this.hooks.spare?.().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`boot took over ${BOOT_TIMEOUT_MS} ms`)), BOOT_TIMEOUT_MS);
      timer.unref();
    });
    Promise.race([sandbox.boot(), timeout])
      .finally(() => clearTimeout(timer))
      .then(async () => {
        await spare();
      })
      .then(
        () => {
          if (pool.booting !== sandbox || this.closed) {
            void sandbox.kill(); // the pool was redefined or closed meanwhile
            return;
          }
          pool.booting = undefined;
          pool.consecutiveFailures = 0;
          pool.ready.push(sandbox);
          // One that dies while waiting (killed from outside) leaves its place to a new one.
          void sandbox.exited.then(() => {
            const i = pool.ready.indexOf(sandbox);
            if (i >= 0) {
              pool.ready.splice(i, 1);
              this.schedule(SETTLE_MS);
            }
          });
          this.schedule(0);
        },
        (err: unknown) => {
          if (pool.booting === sandbox) pool.booting = undefined;
          void sandbox.kill();
          this.failed(pool, err);
          this.schedule(POLL_MS);
        },
      );
  }

  private failed(pool: Pool, err: unknown): void {
    pool.failures++;
    pool.lastError = (err as Error)?.message ?? String(err);
    const wait = BACKOFF_MS[Math.min(pool.consecutiveFailures, BACKOFF_MS.length - 1)] ?? 30_000;
    pool.consecutiveFailures++;
    pool.notBefore = performance.now() + wait;
  }
}

function sameDefinition(a: PoolDefinition, b: PoolDefinition): boolean {
  return (
    a.runtimeDir === b.runtimeDir &&
    a.langDir === b.langDir &&
    a.sdkDir === b.sdkDir &&
    JSON.stringify(a.command) === JSON.stringify(b.command) &&
    JSON.stringify(a.env) === JSON.stringify(b.env)
  );
}

/** Share of all cores busy since the previous call (aggregate `cpu` line of /proc/stat). */
class CpuSampler {
  private last: { busy: number; total: number } | undefined;

  busyFraction(): number {
    const now = read();
    const prev = this.last;
    this.last = now;
    if (!now || !prev || now.total <= prev.total) return 0;
    return (now.busy - prev.busy) / (now.total - prev.total);

    function read(): { busy: number; total: number } | undefined {
      try {
        const line = fs.readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
        const f = line.trim().split(/\s+/).slice(1).map(Number);
        const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
        const idle = (f[3] ?? 0) + (f[4] ?? 0);
        return { busy: total - idle, total };
      } catch {
        return undefined;
      }
    }
  }
}

/** For describe(): one line. */
export function describePools(status: PoolStatus[]): string {
  if (status.length === 0) return 'none defined';
  return `${status.map((p) => `${p.name} ${p.ready}/${p.size} ready`).join(', ')}; refilled one at a time at nice 19 when the CPUs are not busy (${os.cpus().length} cores)`;
}
