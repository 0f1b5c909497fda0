/**
 * The cgroup driver's vocabulary. A driver places sandboxes under one parent cgroup
 * (`lambent` by default) and hides which cgroup version carries which job:
 *
 * - `v2`: one unified hierarchy carries everything (most current distributions).
 * - `v1`: separate memory/pids/cpu/freezer hierarchies (older hosts).
 * - `hybrid`: resources in v1 hierarchies, freeze and kill through the cgroup2 mount
 *   (`/sys/fs/cgroup/unified`), which works even when that mount has no controllers.
 */

import { createHash } from 'node:crypto';
import path from 'node:path';

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
   * process on the host (mkdir of `name` in the lock hierarchy), so a name doubles as a
   * host-wide lock; returns undefined when the name is already taken. The cgroup itself is
   * `<owner>-<name>` (see ownedName): whoever finds it later knows whose it is.
   */
  create(name: string, limits: CgroupLimits): Cgroup | undefined;
  /** This driver's owner tag: `<data dir hash>-<pid>.<start ticks>[.<n>]`. */
  readonly owner: string;
  /** Every cgroup under the parent that carries an owner tag, whoever owns it. */
  owned(): OwnedCgroup[];
  /**
   * Kills the processes of `cgroups` (frozen or not) and removes them with their locks; never
   * one whose owner still runs. Returns how many were removed.
   */
  reclaim(cgroups: readonly OwnedCgroup[]): Promise<number>;
  /**
   * Removes lock cgroups (`name` without owner) that no owned cgroup uses, that hold no
   * process and that are older than `minAgeMs`: left by a crash between the two mkdirs, or by
   * a version before owner tags. Returns how many were removed.
   */
  sweepLocks(minAgeMs: number): Promise<number>;
}

/** A cgroup as found under the parent: `<dataDirHash>-<pid>.<start>-<name>`. */
export interface OwnedCgroup {
  /** Full directory name. */
  dirName: string;
  /** The lock name (`u<uid>`). */
  name: string;
  /** Hash of the owner's data directory (ownerTag). */
  dataDirHash: string;
  /** `<pid>.<start ticks>` of the process that created it. */
  ownerId: string;
  ownerAlive: boolean;
  /** Host pids of its processes. */
  pids: number[];
}

/** `<dataDirHash>-<pid>.<start>-<name>`. */
export const OWNED_NAME = /^([0-9a-f]{12})-(\d+\.\d+(?:\.\d+)?)-(.+)$/;

/** Hash naming a data directory in owner tags (12 hex of sha256 of its absolute path). */
export function dataDirHash(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
}

/** A driver's owner tag: its data directory's hash and the owning process (data-dir-lock.ts). */
export function ownerTag(dataDir: string, ownerId: string): string {
  return `${dataDirHash(dataDir)}-${ownerId}`;
}

export function ownedName(owner: string, name: string): string {
  return `${owner}-${name}`;
}

/** v2 `cpu.weight` (1..10000, default 100) from the v1 shares scale (default 1024). */
export function sharesToWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.round((shares * 100) / 1024)));
}
