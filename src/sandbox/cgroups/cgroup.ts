/**
 * The cgroup driver's vocabulary. A driver places sandboxes under one parent cgroup
 * (`lambent` by default) and hides which cgroup version carries which job:
 *
 * - `v2`: one unified hierarchy carries everything (most current distributions).
 * - `v1`: separate memory/pids/cpu/freezer hierarchies (older hosts).
 * - `hybrid`: resources in v1 hierarchies, freeze and kill through the cgroup2 mount
 *   (`/sys/fs/cgroup/unified`), which works even when that mount has no controllers.
 */

export type CgroupFlavor = 'v1' | 'v2' | 'hybrid';

export interface CgroupLimits {
  memoryBytes: number;
  pidsMax: number;
  /** Relative CPU share on the v1 `cpu.shares` scale: 1024 is one full core's worth. */
  cpuShares: number;
  /** Hard CPU cap in cores (CFS quota); absent for none. */
  cpuQuotaCores?: number;
}

export interface Cgroup {
  readonly name: string;
  /** The `cgroup.procs` files a process writes "0" into to join every hierarchy of this cgroup. */
  readonly procsFiles: readonly string[];
  /** Whether freeze() really stops the processes (false: no freezer on this host, freeze is a no-op). */
  readonly canFreeze: boolean;
  /** Changes the limits (processes may already be inside). */
  setLimits(limits: CgroupLimits): void;
  /** Host pids of the processes in the cgroup. */
  pids(): number[];
  populated(): boolean;
  /** Resolves once every process is frozen. */
  freeze(): Promise<void>;
  /** Synchronous: thawing is on the warm-invoke path and completes in the kernel. */
  thaw(): void;
  /** SIGKILLs every process (frozen or not) and resolves once the cgroup is empty. */
  killAll(): Promise<void>;
  /** Processes the kernel's OOM killer has killed in this cgroup since it was created. */
  oomKills(): number;
  /** Peak memory charged since creation or the last resetMemoryPeak(). */
  memoryPeakBytes(): number;
  resetMemoryPeak(): void;
  memoryCurrentBytes(): number;
  /** Removes the cgroup (every process must be gone); idempotent. */
  remove(): Promise<void>;
}

export interface CgroupDriver {
  readonly flavor: CgroupFlavor;
  /** Human-readable facts for `lambent doctor`. */
  readonly details: Record<string, string>;
  /**
   * Creates `name` under the parent with these limits. Creation is exclusive across every
   * process on the host (mkdir in the lock hierarchy), so a name doubles as a host-wide lock;
   * returns undefined when the name is already taken.
   */
  create(name: string, limits: CgroupLimits): Cgroup | undefined;
  /**
   * Removes child cgroups whose name starts with `prefix`, that hold no process and that are
   * older than `minAgeMs` (left behind by a crashed server). Returns how many were removed.
   */
  sweep(prefix: string, minAgeMs: number): Promise<number>;
}

/** v2 `cpu.weight` (1..10000, default 100) from the v1 shares scale (default 1024). */
export function sharesToWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.round((shares * 100) / 1024)));
}
