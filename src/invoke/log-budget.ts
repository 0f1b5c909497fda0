/**
 * How much function output Lambent keeps, so that one chatty function cannot fill the disk
 * (measured before: 1 GB of stdout in 10.7 s became 1.43 GB of data directory).
 *
 * - Per function (all its environments together), a token bucket of bytes: a rate per second
 *   and a burst. Output past it is dropped.
 * - Platform-wide, a check every second: when the free disk under the data directory falls
 *   below its floor, or the stored log events of every group exceed their ceiling, Lambent is
 *   degraded and drops all function output (the platform's own START/END/REPORT lines are
 *   still written: they are small, and say that the invocation ran). Writes users were told
 *   are durable — the control plane, queued events, PutLogEvents — keep the disk that is left.
 *
 * Dropped bytes are counted per function and reason (Prometheus `lambent_logs_dropped_bytes_total`),
 * and the environment's log stream gets a line saying how many bytes it lost (output-capture.ts).
 */
import fs from 'node:fs';
import type { PlatformLog } from './log-format.js';
import type { OutputGate } from './output-capture.js';

export type DropReason = 'rate' | 'disk' | 'volume';

export interface LogBudgetOptions {
  /** Bytes per second a function may log (0: no per-function limit). */
  functionBytesPerSecond: number;
  /** Bytes a function may log at once above the rate. */
  functionBurstBytes: number;
  /** Ceiling on stored log events (bytes, every group). */
  maxStoredBytes: number;
  /** Floor of free disk under the data directory (bytes). */
  minFreeDiskBytes: number;
  dataDir: string;
  checkIntervalMs?: number;
  now?: () => number;
  /** Free bytes of the data directory's filesystem (injectable for tests). */
  freeDisk?: (dir: string) => Promise<number>;
}

export interface LogBudgetStatus {
  status: 'ok' | 'degraded';
  /** Why all function output is being dropped, when degraded. */
  reason?: 'disk' | 'volume';
  freeDiskBytes: number;
  minFreeDiskBytes: number;
  storedBytes: number;
  maxStoredBytes: number;
  functionBytesPerSecond: number;
  functionBurstBytes: number;
  droppedBytes: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class LogBudget {
  private readonly buckets = new Map<string, Bucket>();
  /** functionId → reason → bytes dropped since start. */
  private readonly droppedBy = new Map<string, Map<DropReason, number>>();
  private droppedTotal = 0;
  private storedBytesOf: () => number = () => 0;
  private stored = 0;
  private free = Number.POSITIVE_INFINITY;
  /** Bytes kept since the last check: the estimate of stored bytes and free disk moves with them. */
  private keptSinceCheck = 0;
  private checking = false;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: LogBudgetOptions) {
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => void this.check(), o.checkIntervalMs ?? 1000);
    this.timer.unref();
    void this.check();
  }

  /** Where the stored log volume comes from (CloudWatch Logs is created after the invoker). */
  attachStore(storedBytes: () => number): void {
    this.storedBytesOf = storedBytes;
    void this.check();
  }

  /** Why output of `functionId` would be dropped now, or undefined if `bytes` more may be kept. */
  admit(functionId: string, bytes: number): DropReason | undefined {
    const degraded = this.degradedReason(bytes);
    if (degraded) return this.drop(functionId, degraded, bytes);
    const rate = this.o.functionBytesPerSecond;
    if (rate > 0) {
      const now = this.now();
      let b = this.buckets.get(functionId);
      if (!b) {
        b = { tokens: this.o.functionBurstBytes, at: now };
        this.buckets.set(functionId, b);
      }
      b.tokens = Math.min(this.o.functionBurstBytes, b.tokens + ((now - b.at) * rate) / 1000);
      b.at = now;
      if (b.tokens < bytes) return this.drop(functionId, 'rate', bytes);
      b.tokens -= bytes;
    }
    this.keptSinceCheck += bytes;
    return undefined;
  }

  /** The gate of one environment's output (its notices in the function's log format). */
  gate(functionId: string, log: PlatformLog): OutputGate {
    let last: DropReason = 'rate';
    return {
      admit: (bytes) => {
        const reason = this.admit(functionId, bytes);
        if (reason) last = reason;
        return reason === undefined;
      },
      notice: (bytes) => log.logsDropped(bytes, this.explain(last)),
    };
  }

  /** Re-reads free disk and stored volume (every second; tests call it to skip the wait). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const free = await (this.o.freeDisk ?? freeDiskOf)(this.o.dataDir);
      this.free = free;
      this.stored = this.storedBytesOf();
      this.keptSinceCheck = 0;
    } catch {
      // A failed statfs (data dir gone at shutdown) keeps the last known figures.
    } finally {
      this.checking = false;
    }
  }

  status(): LogBudgetStatus {
    // Degraded: not one more byte of output would be kept.
    const reason = this.degradedReason(1);
    return {
      status: reason ? 'degraded' : 'ok',
      ...(reason ? { reason } : {}),
      freeDiskBytes: this.free,
      minFreeDiskBytes: this.o.minFreeDiskBytes,
      storedBytes: this.stored + this.keptSinceCheck,
      maxStoredBytes: this.o.maxStoredBytes,
      functionBytesPerSecond: this.o.functionBytesPerSecond,
      functionBurstBytes: this.o.functionBurstBytes,
      droppedBytes: this.droppedTotal,
    };
  }

  /** Dropped bytes per function (`account/region/name`) and reason, for Prometheus. */
  *dropped(): Iterable<{ functionId: string; reason: DropReason; bytes: number }> {
    for (const [functionId, byReason] of this.droppedBy) {
      for (const [reason, bytes] of byReason) yield { functionId, reason, bytes };
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Why output is dropped platform-wide, counting `bytes` more as kept. */
  private degradedReason(bytes: number): 'disk' | 'volume' | undefined {
    const kept = this.keptSinceCheck + bytes;
    if (this.free - kept < this.o.minFreeDiskBytes) return 'disk';
    if (this.stored + kept > this.o.maxStoredBytes) return 'volume';
    return undefined;
  }

  private drop(functionId: string, reason: DropReason, bytes: number): DropReason {
    let byReason = this.droppedBy.get(functionId);
    if (!byReason) {
      byReason = new Map();
      this.droppedBy.set(functionId, byReason);
    }
    byReason.set(reason, (byReason.get(reason) ?? 0) + bytes);
    this.droppedTotal += bytes;
    return reason;
  }

  private explain(reason: DropReason): string {
    switch (reason) {
      case 'rate':
        return `the function logged more than ${this.o.functionBytesPerSecond} bytes per second (bursts up to ${this.o.functionBurstBytes} bytes; Lambent's LAMBENT_FUNCTION_LOG_RATE)`;
      case 'disk':
        return `the disk of Lambent's data directory has less than ${this.o.minFreeDiskBytes} bytes free (LAMBENT_MIN_FREE_DISK_MB)`;
      case 'volume':
        return `stored logs exceed Lambent's budget of ${this.o.maxStoredBytes} bytes (LAMBENT_LOGS_MAX_BYTES; set a retention or delete log groups)`;
    }
  }
}

async function freeDiskOf(dir: string): Promise<number> {
  const s = await fs.promises.statfs(dir);
  return s.bavail * s.bsize;
}
