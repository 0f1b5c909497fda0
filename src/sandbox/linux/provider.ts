/**
 * The Linux provider: probes the host once (root, perl, cgroups, loop devices, a real smoke
 * sandbox), then creates sandboxes with a host-wide unique uid each.
 *
 * uids. A sandbox's uid comes from a reserved range (default 0x70000000 + 0..4095, just past
 * systemd's container range and far from subuid ranges) and doubles as its cgroup's name
 * (`u<uid>`), so mkdir of the cgroup is the lock that makes the uid unique across every
 * process on the host, crash-safe (an empty cgroup is swept). The uid also names the host's
 * end of an outbound sandbox's veth pair and picks its addresses (network.ts); where the
 * host's network namespace is shared (no nftables), the Runtime API accepts a connection
 * only if /proc/net/tcp names the environment's uid as its owner.
 * A tmpDir keeps the uid of its last sandbox when that uid is free and no parked launcher
 * is at hand, so /tmp needs no chown.
 *
 * Parked launchers. Joining a cgroup costs an RCU grace period (~7 ms here) when the
 * kernel's cgroup lock has been idle, more than everything else a sandbox start does. So
 * the provider keeps `prestart` launchers (default 2) started ahead of time, each already
 * in a fresh cgroup under its own uid and waiting for its configuration; create() takes
 * one and sets its limits, and a replacement is started once the sandbox runs. A parked
 * launcher is one idle perl process (~0.5 MB of its own).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Cgroup, CgroupDriver, CgroupLimits } from '../cgroups/cgroup.js';
import { detectCgroups } from '../cgroups/driver.js';
import type {
  PoolDefinition,
  PoolStatus,
  ProviderDescription,
  SandboxLayout,
  SandboxProvider,
  SandboxSpec,
} from '../sandbox.js';
import { DEFAULT_PIDS_MAX, MB_PER_CORE, SandboxStartError } from '../sandbox.js';
import { LAUNCHER_SCRIPT, SYSCALLS } from './launcher.js';
import { LauncherProcess } from './launcher-process.js';
import { type NetworkPlan, planNetwork } from './network.js';
import { describePools, Prewarm } from './prewarm.js';
import type { Rootfs } from './rootfs.js';
import { buildRootfs, discoverInterpreters } from './rootfs.js';
import { LINUX_LAYOUT, LinuxSandbox, type LinuxSandboxDeps } from './sandbox.js';
import { findTool, TmpVolumes } from './tmp-volumes.js';

export interface LinuxProviderOptions {
  dataDir: string;
  /** First uid of the range sandboxes run as (default 0x70000000). */
  uidBase?: number;
  /** Size of the range: most live sandboxes on the host at once (default 4096). */
  uidCount?: number;
  /** Parent cgroup under each hierarchy (default `lambent`). */
  cgroupParent?: string;
  /**
   * Also cap CPU hard at memory/1769 cores (CFS quota), as Lambda does. Off by default: a
   * 128 MB function would get 7 % of a core and start 14× slower; shares already give
   * bigger functions more CPU whenever cores are contended.
   */
  cpuQuota?: boolean;
  hostname?: string;
  /** Launchers kept started ahead of time (default 2; 0: start each one on demand). */
  prestart?: number;
  /** Override interpreter discovery (paths of the host's node and python3). */
  interpreters?: { node?: string; python3?: string };
  /** IPv4 block (/18 or larger) for the veth pairs of sandboxes with outbound access. */
  sandboxSubnet?: string;
  /** Says once, loudly, when isolation is reduced (outbound sandboxes in the host's network). */
  warn?: (message: string) => void;
}

export class LinuxUnavailableError extends Error {
  constructor(readonly missing: string[]) {
    super(`Linux sandboxes unavailable: ${missing.join('; ')}`);
  }
}

const MiB = 1024 * 1024;
/** Lambda's default EphemeralStorage: the size of the spare /tmp volumes pooled sandboxes use. */
const DEFAULT_EPHEMERAL_MB = 512;

export async function createLinuxProvider(options: LinuxProviderOptions): Promise<LinuxSandboxProvider> {
  const missing: string[] = [];
  if (process.platform !== 'linux')
    throw new LinuxUnavailableError([`platform is ${process.platform}, not Linux`]);
  if (process.geteuid?.() !== 0) missing.push('not running as root (namespaces, mounts and cgroups need it)');
  const syscalls = SYSCALLS[process.arch];
  if (!syscalls) missing.push(`no syscall table for ${process.arch}`);
  const perl = findTool('perl');
  if (!perl) missing.push('perl is not installed (Debian: perl-base)');
  if (missing.length > 0 || !syscalls || !perl) throw new LinuxUnavailableError(missing);

  const cgroups = detectCgroups(options.cgroupParent ? { parent: options.cgroupParent } : {});
  if (!cgroups.driver) throw new LinuxUnavailableError(cgroups.missing);
  const base = path.join(path.resolve(options.dataDir), 'sandbox');
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const tmpProbe = await TmpVolumes.probe(path.join(base, 'tmp-volumes'));
  if (!tmpProbe.volumes) throw new LinuxUnavailableError([tmpProbe.missing ?? 'tmp volumes unavailable']);
  await tmpProbe.volumes.sweep();

  const uidBase = options.uidBase ?? 0x7000_0000;
  const uidCount = options.uidCount ?? 4096;
  sweepRootfs(base);
  const rootfs = buildRootfs({
    dir: path.join(base, `rootfs-${process.pid}`),
    uidBase,
    uidCount,
    interpreters: discoverInterpreters(options.interpreters),
  });
  const launcherPath = path.join(
    base,
    `launcher-${createHash('sha256').update(LAUNCHER_SCRIPT).digest('hex').slice(0, 12)}.pl`,
  );
  if (!fs.existsSync(launcherPath)) {
    const temp = `${launcherPath}.${process.pid}`;
    fs.writeFileSync(temp, LAUNCHER_SCRIPT, { mode: 0o644 });
    fs.renameSync(temp, launcherPath);
  }
  await cgroups.driver.sweep('u', 60_000);
  const network = await planNetwork(options.sandboxSubnet);
  if (network.note)
    options.warn?.(
      `ISOLATION REDUCED: functions with outbound access share the host's network namespace (${network.note}): ` +
        "they can reach services on the host's loopback and its abstract unix sockets. Install nftables " +
        '(`lambent doctor` shows the network isolation in force).',
    );

  const provider = new LinuxSandboxProvider({
    base,
    perl,
    launcherPath,
    syscalls,
    rootfs,
    tmp: tmpProbe.volumes,
    driver: cgroups.driver,
    uidBase,
    uidCount,
    cpuQuota: options.cpuQuota ?? false,
    hostname: options.hostname ?? 'sandbox',
    prestart: options.prestart ?? 2,
    notes: tmpProbe.note ? { tmp: tmpProbe.note } : {},
    network,
  });
  try {
    await provider.smokeTest();
  } catch (err) {
    await provider.close();
    throw new LinuxUnavailableError([`a test sandbox failed: ${(err as Error).message}`]);
  }
  return provider;
}

/** Skeletons of providers whose process is gone. */
function sweepRootfs(base: string): void {
  for (const name of fs.readdirSync(base)) {
    const m = /^rootfs-(\d+)$/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface ProviderParts {
  base: string;
  perl: string;
  launcherPath: string;
  syscalls: Record<string, number>;
  rootfs: Rootfs;
  tmp: TmpVolumes;
  driver: CgroupDriver;
  uidBase: number;
  uidCount: number;
  cpuQuota: boolean;
  hostname: string;
  prestart: number;
  notes: Record<string, string>;
  network: NetworkPlan;
}

interface Slot {
  uid: number;
  cgroup: Cgroup;
  launcher: LauncherProcess;
}

/** Limits of a parked launcher until a sandbox takes it: room for perl and nothing else. */
const PARKED_LIMITS: CgroupLimits = { memoryBytes: 64 * MiB, pidsMax: 4, cpuShares: 64 };
/**
 * Limits of a pooled sandbox until a function takes it: room to boot a runtime, and the
 * smallest CPU share (v1 minimum) so that booting never competes with invocations.
 */
const POOL_LIMITS: CgroupLimits = { memoryBytes: 256 * MiB, pidsMax: DEFAULT_PIDS_MAX, cpuShares: 2 };

export class LinuxSandboxProvider implements SandboxProvider {
  readonly isolation = 'linux' as const;
  private readonly live = new Set<LinuxSandbox>();
  private readonly parked: Slot[] = [];
  private cursor: number;
  private closed = false;
  private readonly prewarm = new Prewarm({
    create: (def) => this.createPooled(def),
    starting: () => {
      for (const s of this.live) if (s.state === 'starting' && !(s.pooled && !s.adopted)) return true;
      return false;
    },
    spare: async () => {
      const wanted = this.prewarm.status().reduce((n, p) => n + p.size, 0);
      if (this.p.tmp.spareCount(DEFAULT_EPHEMERAL_MB) < wanted)
        await this.p.tmp.prepareSpare(DEFAULT_EPHEMERAL_MB);
    },
  });

  constructor(private readonly p: ProviderParts) {
    this.cursor = Math.floor(Math.random() * p.uidCount);
    this.refill();
  }

  definePools(pools: PoolDefinition[]): void {
    if (this.closed) return;
    this.prewarm.define(pools.filter((d) => d.size > 0));
  }

  poolStatus(): PoolStatus[] {
    return this.prewarm.status();
  }

  privateNetwork(outbound: boolean): boolean {
    return !outbound || this.p.network.isolatedOutbound;
  }

  layout(): SandboxLayout {
    return { ...LINUX_LAYOUT };
  }

  create(spec: SandboxSpec): LinuxSandbox {
    if (spec.pool && spec.outbound && !this.closed) {
      validate(spec);
      const pooled = this.prewarm.take(spec.pool, spec.runtimeDir);
      if (pooled) {
        try {
          pooled.adopt(spec, this.limitsOf(spec));
          return pooled;
        } catch {
          void pooled.kill(); // e.g. the runtime already uses more than the function's memory
        }
      }
    }
    return this.createSandbox(spec, true);
  }

  private createSandbox(spec: SandboxSpec, tmpVolume: boolean): LinuxSandbox {
    if (this.closed) throw new SandboxStartError('the sandbox provider is closed', 'setup');
    validate(spec);
    this.prewarm.noteStart();
    const limits = this.limitsOf(spec);
    const slot = this.takeParked(limits) ?? this.newSlot(limits, this.p.tmp.owner(spec.tmpDir));
    const sandbox = new LinuxSandbox(spec, slot.uid, slot.cgroup, slot.launcher, this.deps(tmpVolume));
    this.live.add(sandbox);
    return sandbox;
  }

  private deps(tmpVolume: boolean): LinuxSandboxDeps {
    return {
      syscalls: this.p.syscalls,
      rootfs: this.p.rootfs,
      tmp: tmpVolume ? this.p.tmp : undefined,
      hostname: this.p.hostname,
      net: (uid, outbound) => this.p.network.net(uid, outbound),
      started: () => {
        this.prewarm.noteStart();
        this.refill();
      },
      released: (s) => {
        this.live.delete(s);
        this.refill();
      },
    };
  }

  /**
   * A sandbox for a pool (prewarm.ts): its own uid and cgroup (joined at the launcher's start:
   * the parked launchers stay for on-demand starts), the pool's command, no function.
   */
  private createPooled(def: PoolDefinition): LinuxSandbox {
    if (this.closed) throw new SandboxStartError('the sandbox provider is closed', 'setup');
    const slot = this.newSlot(POOL_LIMITS);
    const spec: SandboxSpec = {
      id: `pool-${def.name}-${slot.uid}`,
      command: def.command,
      env: def.env,
      codeDir: def.runtimeDir,
      runtimeDir: def.runtimeDir,
      tmpDir: def.runtimeDir,
      tmpSizeMb: 1,
      memoryMb: POOL_LIMITS.memoryBytes / MiB,
      outbound: true,
      // Nothing is expected before the assignment; what comes anyway goes to the server's stderr.
      onOutput: (_stream, chunk) => process.stderr.write(chunk),
    };
    const sandbox = new LinuxSandbox(spec, slot.uid, slot.cgroup, slot.launcher, this.deps(true), true);
    this.live.add(sandbox);
    return sandbox;
  }

  private limitsOf(spec: SandboxSpec): CgroupLimits {
    return {
      memoryBytes: spec.memoryMb * MiB,
      pidsMax: spec.pidsMax ?? DEFAULT_PIDS_MAX,
      cpuShares: (1024 * spec.memoryMb) / MB_PER_CORE,
      ...(this.p.cpuQuota ? { cpuQuotaCores: spec.memoryMb / MB_PER_CORE } : {}),
    };
  }

  /** A parked launcher, preferably one that has joined its cgroup already. */
  private takeParked(limits: CgroupLimits): Slot | undefined {
    const ready = this.parked.findIndex((s) => s.launcher.parked);
    if (ready > 0) this.parked.unshift(...this.parked.splice(ready, 1));
    for (let slot = this.parked.shift(); slot; slot = this.parked.shift()) {
      try {
        if (slot.launcher.closed) throw new Error('parked launcher died');
        slot.cgroup.setLimits(limits);
        slot.cgroup.resetMemoryPeak();
        return slot;
      } catch {
        slot.launcher.kill();
        void slot.cgroup.remove().catch(() => {});
      }
    }
    return undefined;
  }

  /** A uid, its cgroup, and a launcher already joining it. */
  private newSlot(limits: CgroupLimits, preferredUid?: number): Slot {
    const { uid, cgroup } = this.allocate(limits, preferredUid);
    return {
      uid,
      cgroup,
      launcher: new LauncherProcess(this.p.perl, this.p.launcherPath, cgroup.procsFiles),
    };
  }

  /** Tops the parked launchers up to `prestart`. */
  private refill(): void {
    while (!this.closed && this.parked.length < this.p.prestart) {
      let slot: Slot;
      try {
        slot = this.newSlot(PARKED_LIMITS);
      } catch {
        return; // out of uids: sandboxes will start on demand (and fail there, with the reason)
      }
      this.parked.push(slot);
      slot.launcher.onClose(() => {
        const i = this.parked.indexOf(slot);
        if (i < 0) return; // taken by a sandbox, which owns it now
        this.parked.splice(i, 1);
        void slot.cgroup.remove().catch(() => {});
      });
    }
  }

  private allocate(limits: CgroupLimits, preferredUid?: number): { uid: number; cgroup: Cgroup } {
    const { uidBase, uidCount } = this.p;
    if (preferredUid !== undefined && preferredUid >= uidBase && preferredUid < uidBase + uidCount) {
      const cgroup = this.p.driver.create(`u${preferredUid}`, limits);
      if (cgroup) return { uid: preferredUid, cgroup };
    }
    for (let i = 0; i < uidCount; i++) {
      const uid = uidBase + ((this.cursor + i) % uidCount);
      const cgroup = this.p.driver.create(`u${uid}`, limits);
      if (cgroup) {
        this.cursor = (this.cursor + i + 1) % uidCount;
        return { uid, cgroup };
      }
    }
    throw new SandboxStartError(`all ${uidCount} sandbox uids are in use`, 'setup');
  }

  /** One real sandbox end to end, so a host that cannot run them is found at start-up. */
  async smokeTest(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(this.p.base, 'smoke-'));
    try {
      fs.mkdirSync(path.join(dir, 'tmp'));
      let output = '';
      const sandbox = this.createSandbox(
        {
          id: 'smoke-test',
          command: ['/bin/sh', '-c', 'echo ok'],
          env: { PATH: '/usr/bin:/bin' },
          codeDir: dir,
          runtimeDir: dir,
          tmpDir: path.join(dir, 'tmp'),
          tmpSizeMb: 1,
          memoryMb: 64,
          outbound: true,
          onOutput: (_s, chunk) => {
            output += chunk.toString();
          },
        },
        false,
      );
      await sandbox.start();
      const exit = await sandbox.exited;
      if (exit.code !== 0 || output.trim() !== 'ok') {
        throw new Error(`exit ${JSON.stringify(exit)}, output ${JSON.stringify(output.slice(0, 300))}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  releaseTmp(tmpDir: string): Promise<void> {
    return this.p.tmp.release(tmpDir);
  }

  describe(): ProviderDescription {
    const { driver, rootfs } = this.p;
    return {
      isolation: 'linux',
      missing: this.p.network.note ? [`network isolation with outbound access: ${this.p.network.note}`] : [],
      pools: this.prewarm.status(),
      details: {
        namespaces: 'mount, pid, ipc, uts, cgroup, network',
        network: this.p.network.describe(),
        launcher: `${this.p.perl} ${this.p.launcherPath}`,
        cgroups: driver.flavor,
        ...driver.details,
        tmp:
          this.p.tmp.backing === 'ext4-loop' ? 'ext4 volume per tmpDir on a loop device' : 'tmpfs per tmpDir',
        ...this.p.notes,
        uids: `${this.p.uidBase}..${this.p.uidBase + this.p.uidCount - 1}`,
        prestart: `${this.p.prestart} launchers parked in their cgroups`,
        prewarm: describePools(this.prewarm.status()),
        interpreters: rootfs.interpreters.map((i) => `${i.names[0]}=${i.executable}`).join(' '),
        rootfs: rootfs.root,
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const parked = this.parked.splice(0);
    await Promise.all([
      this.prewarm.close(),
      ...[...this.live].map((s) => s.kill()),
      ...parked.map(async (slot) => {
        slot.launcher.kill();
        await slot.cgroup.remove().catch(() => {});
      }),
    ]);
    await this.p.tmp.releaseAll();
    fs.rmSync(this.p.rootfs.root, { recursive: true, force: true });
  }
}

function validate(spec: SandboxSpec): void {
  const bad = (what: string) => {
    throw new SandboxStartError(`sandbox ${spec.id}: ${what}`, 'setup');
  };
  if (spec.command.length === 0 || !spec.command[0]) bad('empty command');
  if (!(spec.memoryMb >= 1)) bad(`memoryMb must be positive, got ${spec.memoryMb}`);
  if (!(spec.tmpSizeMb >= 1)) bad(`tmpSizeMb must be positive, got ${spec.tmpSizeMb}`);
  for (const dir of [
    spec.codeDir,
    spec.runtimeDir,
    spec.tmpDir,
    ...(spec.layersDir ? [spec.layersDir] : []),
  ]) {
    if (!path.isAbsolute(dir)) bad(`${dir} is not an absolute path`);
  }
}
