/**
 * The Linux provider: probes the host once (root, perl, cgroups, loop devices, a real smoke
 * sandbox), then creates sandboxes with a host-wide unique uid each.
 *
 * uids. A sandbox's uid comes from a reserved range (default 0x70000000 + 0..4095, just past
 * systemd's container range and far from subuid ranges) and doubles as its cgroup's lock name
 * (`u<uid>`), so mkdir of the lock is what makes the uid unique across every process on the
 * host. The cgroup itself is named `<data dir hash>-<pid>.<start>.<n>-u<uid>`, so what a
 * crash leaves is found and reclaimed by the next start on the same data dir (which holds
 * its lock file, shared/data-dir-lock.ts) and by `lambent doctor --clean`, never by anyone
 * while its owner runs. The uid also names the host's end of an outbound sandbox's veth pair
 * and picks its addresses (network.ts); where the host's network namespace is shared (no
 * nftables), the Runtime API accepts a connection only if /proc/net/tcp names the
 * environment's uid as its owner.
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
import { acquireDataDirLock, type DataDirLock, selfOwnerId } from '../../shared/data-dir-lock.js';
import { packageRoot } from '../../shared/version.js';
import type { Cgroup, CgroupDriver, CgroupLimits } from '../cgroups/cgroup.js';
import { dataDirHash, ownerTag } from '../cgroups/cgroup.js';
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
import { LAUNCHER_SCRIPT, type Mount, SYSCALLS } from './launcher.js';
import { LauncherProcess } from './launcher-process.js';
import { type NetworkPlan, planNetwork } from './network.js';
import { PathViews } from './path-views.js';
import { describePools, Prewarm } from './prewarm.js';
import type { Rootfs } from './rootfs.js';
import { buildRootfs, maskedLanguages } from './rootfs.js';
import { LINUX_LAYOUT, LinuxSandbox, type LinuxSandboxDeps } from './sandbox.js';
import { buildSeccompFilter, describeSeccomp, SECCOMP_ARCHES } from './seccomp.js';
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
  /**
   * More host directories sandboxes bind from (interpreters from npm, the built-in AWS SDK),
   * given path-less views like the skeleton's; missing ones are skipped.
   */
  viewDirs?: readonly string[];
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
  if (!SECCOMP_ARCHES[process.arch]) missing.push(`no seccomp table for ${process.arch}`);
  const perl = findTool('perl');
  if (!perl) missing.push('perl is not installed (Debian: perl-base)');
  if (missing.length > 0 || !syscalls || !perl) throw new LinuxUnavailableError(missing);

  // Everything below reclaims what an earlier run on this data dir left: only with its lock.
  const lock = acquireDataDirLock(options.dataDir);
  try {
    return await createLocked(options, perl, syscalls, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

let instances = 0;

async function createLocked(
  options: LinuxProviderOptions,
  perl: string,
  syscalls: Record<string, number>,
  lock: DataDirLock,
): Promise<LinuxSandboxProvider> {
  const dataDir = path.resolve(options.dataDir);
  const cgroups = detectCgroups({
    ...(options.cgroupParent ? { parent: options.cgroupParent } : {}),
    // Unique per provider, so that close() reclaims its own cgroups and no other's in this process.
    owner: ownerTag(dataDir, `${selfOwnerId()}.${++instances}`),
  });
  if (!cgroups.driver) throw new LinuxUnavailableError(cgroups.missing);
  const base = path.join(dataDir, 'sandbox');
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  // A previous run's cgroups (kill -9: frozen sandboxes survive it) go before its mounts.
  const hash = dataDirHash(dataDir);
  await cgroups.driver.reclaim(cgroups.driver.owned().filter((c) => c.dataDirHash === hash));
  await cgroups.driver.sweepLocks(60_000);
  const tmpProbe = await TmpVolumes.probe(path.join(base, 'tmp-volumes'));
  if (!tmpProbe.volumes) throw new LinuxUnavailableError([tmpProbe.missing ?? 'tmp volumes unavailable']);
  await tmpProbe.volumes.sweep();
  sweepTemporaries(base);

  const uidBase = options.uidBase ?? 0x7000_0000;
  const uidCount = options.uidCount ?? 4096;
  sweepRootfs(base);
  const rootfs = buildRootfs({
    dir: path.join(base, `rootfs-${process.pid}`),
    uidBase,
    uidCount,
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
  // <data-dir>/runtimes holds the links to host interpreters shown at /var/lang (runtimes.ts).
  const runtimeLinks = path.join(path.resolve(options.dataDir), 'runtimes');
  fs.mkdirSync(runtimeLinks, { recursive: true });
  const { views, note: viewsNote } = await pathViews(base, [
    rootfs.root,
    path.join(packageRoot, 'src', 'runtimes'),
    path.join(path.resolve(options.dataDir), 'lambda'),
    runtimeLinks,
    ...(options.viewDirs ?? []).filter((d) => fs.existsSync(d)),
  ]);
  const hidden = views ? await maskLanguages(views, rootfs) : { note: 'no overlayfs views' };
  // Without it, Lambent's runtimes reach their Runtime API through the relay like any other.
  const sockets = views ? await views.sockets().catch(() => undefined) : undefined;
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
    seccomp: buildSeccompFilter(process.arch),
    rootfs: hidden.mounts ? { ...rootfs, hidden: hidden.mounts } : rootfs,
    tmp: tmpProbe.volumes,
    driver: cgroups.driver,
    uidBase,
    uidCount,
    cpuQuota: options.cpuQuota ?? false,
    hostname: options.hostname ?? 'sandbox',
    prestart: options.prestart ?? 2,
    notes: {
      ...(tmpProbe.note ? { tmp: tmpProbe.note } : {}),
      'host paths':
        viewsNote ?? 'hidden from mountinfo by overlayfs views of the skeleton, runtimes, code and layers',
      hidden: hidden.mounts
        ? `the host's node and python (${rootfs.languages.reduce((n, l) => n + l.names.length, 0)} entries of ${rootfs.languages.map((l) => l.parent).join(', ')}) do not exist in sandboxes without a language (provided.*): overlayfs views of those directories without them`
        : `${rootfs.hidden.length} paths of the host's node and python blanked (non-executable) in sandboxes without a language (provided.*): ${hidden.note}`,
    },
    ...(views ? { views } : {}),
    ...(sockets ? { sockets } : {}),
    lock,
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

/**
 * Path-less views of the skeleton, the runtimes, and function code and layers (path-views.ts):
 * ~50 ms each at start, two stat calls per sandbox. Without overlayfs, sandboxes bind the host paths and mountinfo shows them.
 */
async function pathViews(base: string, dirs: string[]): Promise<{ views?: PathViews; note?: string }> {
  const mount = findTool('mount');
  const umount = findTool('umount');
  if (!mount || !umount) return { note: 'no mount tools: mountinfo shows host paths' };
  let views: PathViews | undefined;
  try {
    views = await PathViews.create(base, { mount, umount });
    for (const dir of dirs) {
      fs.mkdirSync(dir, { recursive: true });
      await views.add(dir);
    }
    return { views };
  } catch (err) {
    await views?.close().catch(() => {});
    return {
      note: `no overlayfs views (${(err as Error).message.split('\n')[0]}): mountinfo shows host paths`,
    };
  }
}

/**
 * Views of the directories holding the host's node and python without them (path-views.ts
 * mask(): one overlayfs mount each at start, one bind each per provided.* sandbox instead of a
 * blank per entry). Without mknod or a working mount, the blanks stay: `node` is there but
 * fails with "Permission denied".
 */
async function maskLanguages(views: PathViews, rootfs: Rootfs): Promise<{ mounts?: Mount[]; note?: string }> {
  const mknod = findTool('mknod');
  if (!mknod) return { note: 'mknod (coreutils) is not installed' };
  const masked = new Map<string, string>();
  try {
    for (const { parent, names } of rootfs.languages)
      masked.set(parent, await views.mask(parent, names, mknod));
  } catch (err) {
    return { note: `no masked views (${(err as Error).message.split('\n')[0]})` };
  }
  return { mounts: maskedLanguages(rootfs, masked) };
}

/** Files a crash can leave half-written or unused: a launcher script's temp copy, smoke dirs. */
function sweepTemporaries(base: string): void {
  for (const name of fs.readdirSync(base)) {
    if (/^launcher-[0-9a-f]+\.pl\.\d+$/.test(name) || /^smoke-/.test(name)) {
      fs.rmSync(path.join(base, name), { recursive: true, force: true });
    }
  }
}

/** Skeletons of providers whose process is gone. */
function sweepRootfs(base: string): void {
  for (const name of fs.readdirSync(base)) {
    const m = /^rootfs-(\d+)(\.blank)?$/.exec(name);
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
  seccomp: Buffer;
  rootfs: Rootfs;
  tmp: TmpVolumes;
  driver: CgroupDriver;
  uidBase: number;
  uidCount: number;
  cpuQuota: boolean;
  hostname: string;
  prestart: number;
  notes: Record<string, string>;
  /** Path-less views of the skeleton and the runtimes, when overlayfs works here. */
  views?: PathViews;
  /** Where sandboxes' Runtime API sockets go (PathViews.sockets); absent: the relayed port only. */
  sockets?: string;
  lock: DataDirLock;
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
      const pooled = this.prewarm.take(spec.pool, spec);
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
    const views = this.p.views;
    return {
      syscalls: this.p.syscalls,
      seccomp: this.p.seccomp,
      rootfs: views ? { ...this.p.rootfs, root: views.of(this.p.rootfs.root) } : this.p.rootfs,
      tmp: tmpVolume ? this.p.tmp : undefined,
      ...(views ? { view: (dir: string) => views.of(dir) } : {}),
      ...(this.p.sockets ? { sockets: this.p.sockets } : {}),
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
    if (def.sdkDir) mountPointFor(def.runtimeDir);
    const slot = this.newSlot(POOL_LIMITS);
    const spec: SandboxSpec = {
      id: `pool-${def.name}-${slot.uid}`,
      command: def.command,
      env: def.env,
      codeDir: def.runtimeDir,
      runtimeDir: def.runtimeDir,
      langDir: def.langDir,
      ...(def.sdkDir ? { sdkDir: def.sdkDir } : {}),
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
        seccomp: describeSeccomp(process.arch),
        keyrings:
          "a fresh session keyring per sandbox; the uid's user, user-session and persistent keyrings emptied at each start",
        cgroups: driver.flavor,
        ...driver.details,
        tmp:
          this.p.tmp.backing === 'ext4-loop' ? 'ext4 volume per tmpDir on a loop device' : 'tmpfs per tmpDir',
        ...this.p.notes,
        uids: `${this.p.uidBase}..${this.p.uidBase + this.p.uidCount - 1}`,
        prestart: `${this.p.prestart} launchers parked in their cgroups`,
        prewarm: describePools(this.prewarm.status()),
        rootfs: rootfs.root,
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
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
    try {
      // Whatever a race left (a pool's spare made during the close, a cgroup whose removal
      // failed): this provider's own, nothing else.
      await this.p.tmp.close();
      await this.p.views?.close();
      const { driver } = this.p;
      await driver.reclaim(driver.owned().filter((c) => `${c.dataDirHash}-${c.ownerId}` === driver.owner));
      fs.rmSync(this.p.rootfs.root, { recursive: true, force: true });
      fs.rmSync(`${this.p.rootfs.root}.blank`, { recursive: true, force: true });
    } finally {
      this.p.lock.release();
    }
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
    ...(spec.langDir ? [spec.langDir] : []),
    ...(spec.sdkDir ? [spec.sdkDir] : []),
  ]) {
    if (!path.isAbsolute(dir)) bad(`${dir} is not an absolute path`);
  }
  if (spec.sdkDir) mountPointFor(spec.runtimeDir);
}

const sdkMountPoints = new Set<string>();
/**
 * /var/runtime/node_modules must exist in the runtime directory to be a mount point (npm does
 * not pack empty node_modules directories, and git ignores them): made once per directory.
 */
function mountPointFor(runtimeDir: string): void {
  if (sdkMountPoints.has(runtimeDir)) return;
  try {
    fs.mkdirSync(path.join(runtimeDir, 'node_modules'), { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new SandboxStartError(
      `cannot make the mount point of the runtime's node_modules in ${runtimeDir}: ${(err as Error).message}`,
      'setup',
    );
  }
  sdkMountPoints.add(runtimeDir);
}
