/**
 * Finds the cgroup hierarchies in /proc/self/mountinfo, decides the flavour (v2, v1 or
 * hybrid), prepares the parent cgroup and returns a driver; or says what is missing.
 */
import fs from 'node:fs';
import { ownerAlive, selfOwnerId } from '../../shared/data-dir-lock.js';
import type { Cgroup, CgroupDriver, CgroupFlavor, CgroupLimits, OwnedCgroup } from './cgroup.js';
import { OWNED_NAME, ownedName } from './cgroup.js';
import {
  ageMs,
  childNames,
  exists,
  join,
  mkdirExclusive,
  mkdirp,
  readPids,
  readText,
  rmdirCgroup,
} from './fs.js';
import type { Control, Resources, V1Dirs } from './parts.js';
import { V1Control, V1Resources, V2Control, V2Resources } from './parts.js';

export interface CgroupMounts {
  /** v1 controller name → mount point. */
  v1: Map<string, string>;
  /** The cgroup2 mount point, if any. */
  v2?: string;
}

export interface DetectOptions {
  /** Parent cgroup, relative to each hierarchy's mount point. */
  parent?: string;
  /** For tests: mountinfo text to parse instead of /proc/self/mountinfo. */
  mountinfo?: string;
  /**
   * Owner tag put in front of every cgroup's name (cgroup.ts ownerTag: data dir hash and
   * owning process). Default: no data dir (`000000000000`) and this process.
   */
  owner?: string;
}

export type DetectResult = { driver: CgroupDriver; missing: [] } | { driver?: undefined; missing: string[] };

const unescapeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const mounts: CgroupMounts = { v1: new Map() };
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') mounts.v2 ??= unescapeOctal(mountPoint);
    else if (fstype === 'cgroup') {
      for (const opt of superOptions.split(',')) {
        if (['memory', 'pids', 'cpu', 'freezer'].includes(opt) && !mounts.v1.has(opt)) {
          mounts.v1.set(opt, unescapeOctal(mountPoint));
        }
      }
    }
  }
  return mounts;
}

interface Layout {
  flavor: CgroupFlavor;
  /** v1 parent dirs, per controller. */
  v1?: V1Dirs & { freezer?: string };
  /** v2 parent dir (full v2, or the controller-less unified mount in hybrid). */
  v2?: string;
}

export function detectCgroups(options: DetectOptions = {}): DetectResult {
  const parent = options.parent ?? 'lambent';
  let mountinfo: string;
  try {
    mountinfo = options.mountinfo ?? readText('/proc/self/mountinfo');
  } catch {
    return { missing: ['cgroups: /proc/self/mountinfo is unreadable'] };
  }
  const mounts = parseCgroupMounts(mountinfo);
  const missing: string[] = [];
  let layout: Layout | undefined;
  const v2Controllers = mounts.v2 ? controllersOf(mounts.v2) : [];

  if (mounts.v1.has('memory') || !mounts.v2 || !v2Controllers.includes('memory')) {
    const memory = mounts.v1.get('memory');
    const pids = mounts.v1.get('pids');
    if (!memory) missing.push('cgroups: no memory controller (neither cgroup v1 nor v2)');
    if (!pids) missing.push('cgroups: no pids controller');
    if (memory && pids) {
      const cpu = mounts.v1.get('cpu');
      const freezer = mounts.v1.get('freezer');
      const unified = mounts.v2 ? join(mounts.v2, parent) : undefined;
      layout = {
        flavor: unified ? 'hybrid' : 'v1',
        v1: {
          memory: join(memory, parent),
          pids: join(pids, parent),
          ...(cpu ? { cpu: join(cpu, parent) } : {}),
          ...(freezer ? { freezer: join(freezer, parent) } : {}),
        },
        ...(unified ? { v2: unified } : {}),
      };
    }
  } else {
    const v2 = mounts.v2;
    if (!v2Controllers.includes('pids')) missing.push('cgroups: the cgroup2 mount offers no pids controller');
    else layout = { flavor: 'v2', v2: join(v2, parent) };
  }
  if (!layout) return { missing };

  try {
    return {
      driver: prepare(layout, mounts, options.owner ?? `000000000000-${selfOwnerId()}`),
      missing: [],
    };
  } catch (err) {
    return { missing: [`cgroups: cannot prepare the parent cgroup: ${(err as Error).message}`] };
  }
}

function controllersOf(dir: string): string[] {
  try {
    return readText(join(dir, 'cgroup.controllers')).trim().split(/\s+/);
  } catch {
    return [];
  }
}

function prepare(layout: Layout, mounts: CgroupMounts, owner: string): CgroupDriver {
  const details: Record<string, string> = {};
  if (layout.v1) {
    for (const dir of Object.values(layout.v1)) mkdirp(dir);
    details['cgroup v1'] = Object.entries(layout.v1)
      .map(([c, d]) => `${c}=${d}`)
      .join(' ');
    if (!exists(join(layout.v1.memory, 'memory.memsw.limit_in_bytes'))) {
      details['cgroup swap'] = 'memsw accounting off: swap limited by swappiness=0 only';
    }
    if (!layout.v1.cpu) details['cgroup cpu'] = 'no cpu controller: no CPU share';
  }
  if (layout.v2) {
    mkdirp(layout.v2);
    if (layout.flavor === 'v2') enableControllers(layout.v2, mounts.v2 ?? '', details);
    const hasFreeze = exists(join(layout.v2, 'cgroup.freeze'));
    const hasKill = exists(join(layout.v2, 'cgroup.kill'));
    if (layout.flavor === 'hybrid' && !hasFreeze) {
      // A unified mount without cgroup.freeze (kernel < 5.2) is no use to us.
      delete layout.v2;
      layout.flavor = 'v1';
    } else {
      details['cgroup v2'] =
        `${layout.v2} (freeze: ${hasFreeze ? 'yes' : 'no'}, kill: ${hasKill ? 'cgroup.kill' : 'freeze+SIGKILL'})`;
    }
  }
  if (layout.flavor === 'v1' && !layout.v1?.freezer)
    details['cgroup freezer'] = 'none: freeze/thaw are no-ops';
  return new Driver(layout, details, owner);
}

/** Enables memory, pids and cpu for children along the path from the mount root to the parent. */
function enableControllers(parentDir: string, mountRoot: string, details: Record<string, string>): void {
  const chain: string[] = [];
  for (let d = parentDir; d.length >= mountRoot.length; d = join(d, '..')) {
    chain.unshift(d);
    if (d === mountRoot || d === '/') break;
  }
  for (const dir of chain) {
    const available = controllersOf(dir);
    for (const c of ['memory', 'pids', 'cpu']) {
      if (!available.includes(c)) continue;
      try {
        fs.writeFileSync(join(dir, 'cgroup.subtree_control'), `+${c}`);
      } catch (err) {
        if (c !== 'cpu') throw err;
        details['cgroup cpu'] = `cannot enable cpu in ${dir}: no CPU share`;
      }
    }
  }
}

class Driver implements CgroupDriver {
  constructor(
    private readonly layout: Layout,
    readonly details: Record<string, string>,
    readonly owner: string,
  ) {}

  get flavor(): CgroupFlavor {
    return this.layout.flavor;
  }

  /**
   * The hierarchy whose directory names are host-wide locks (`u<uid>`, created exclusively,
   * holding no process): pids in v1 and hybrid (always present there, cheap to create), else v2.
   */
  private get lockParent(): string {
    const { v1, v2 } = this.layout;
    return v1 ? v1.pids : (v2 ?? '');
  }

  /** The cgroup's own directories, one per hierarchy, for a full (owned) directory name. */
  private dirsOf(dirName: string): string[] {
    const { v1, v2 } = this.layout;
    if (!v1) return [join(v2 ?? '', dirName)];
    const dirs = [join(v1.memory, dirName), join(v1.pids, dirName)];
    if (v1.cpu) dirs.push(join(v1.cpu, dirName));
    if (v2) dirs.push(join(v2, dirName));
    else if (v1.freezer) dirs.push(join(v1.freezer, dirName));
    return dirs;
  }

  private parts(dirName: string): { control: Control; resources: Resources } {
    const { v1, v2 } = this.layout;
    if (!v1) {
      const dir = join(v2 ?? '', dirName);
      return { control: new V2Control(dir), resources: new V2Resources(dir) };
    }
    const resources = new V1Resources({
      memory: join(v1.memory, dirName),
      pids: join(v1.pids, dirName),
      ...(v1.cpu ? { cpu: join(v1.cpu, dirName) } : {}),
    });
    const control = v2
      ? new V2Control(join(v2, dirName))
      : new V1Control(
          join(v1.memory, dirName, 'cgroup.procs'),
          v1.freezer ? join(v1.freezer, dirName) : undefined,
        );
    return { control, resources };
  }

  create(name: string, limits: CgroupLimits): Cgroup | undefined {
    const lock = join(this.lockParent, name);
    const dirName = ownedName(this.owner, name);
    const dirs = this.dirsOf(dirName);
    if (!mkdirExclusive(lock)) return undefined;
    try {
      // Leftovers of this very owner (a crash between mkdirs cannot leave them: it is alive) are reused.
      for (const dir of dirs) mkdirExclusive(dir);
      const { control, resources } = this.parts(dirName);
      resources.apply(limits);
      const procsFiles = [...new Set([...resources.procsFiles, ...control.joinFiles])];
      // The lock goes last on removal, so the name stays taken until everything is gone.
      return new CgroupImpl(name, [lock, ...dirs], procsFiles, control, resources);
    } catch (err) {
      for (const dir of [...dirs.reverse(), lock]) {
        try {
          fs.rmdirSync(dir);
        } catch {
          // left for reclaim() or `lambent doctor --clean`
        }
      }
      throw err;
    }
  }

  owned(): OwnedCgroup[] {
    const out: OwnedCgroup[] = [];
    for (const dirName of childNames(this.lockParent, '')) {
      const m = OWNED_NAME.exec(dirName);
      if (!m) continue;
      const [, dataDirHash = '', ownerId = '', name = ''] = m;
      const pids = [...new Set(this.dirsOf(dirName).flatMap((d) => readPids(join(d, 'cgroup.procs'))))];
      out.push({ dirName, name, dataDirHash, ownerId, ownerAlive: ownerAlive(ownerId), pids });
    }
    return out;
  }

  async reclaim(cgroups: readonly OwnedCgroup[]): Promise<number> {
    let removed = 0;
    for (const c of cgroups) {
      // Never a live server's; this driver's own ones only once its sandboxes are gone (close).
      const own = `${c.dataDirHash}-${c.ownerId}` === this.owner;
      if (!own && ownerAlive(c.ownerId)) continue;
      const { control, resources } = this.parts(c.dirName);
      try {
        resources.close();
        // Frozen leftovers (v1) only die once thawed: killAll freezes, kills and thaws.
        if (control.populated()) await control.killAll();
        for (const dir of this.dirsOf(c.dirName).reverse()) await rmdirCgroup(dir, 2000);
        await rmdirCgroup(join(this.lockParent, c.name), 2000);
        removed++;
      } catch {
        // still busy: the next start or `lambent doctor --clean` tries again
      }
    }
    return removed;
  }

  async sweepLocks(minAgeMs: number): Promise<number> {
    const inUse = new Set(this.owned().map((c) => c.name));
    let removed = 0;
    for (const name of childNames(this.lockParent, '')) {
      if (OWNED_NAME.test(name) || inUse.has(name)) continue;
      const lock = join(this.lockParent, name);
      if (ageMs(lock) < minAgeMs) continue;
      // A cgroup of a version before owner tags has its processes in its own directories.
      const legacy = this.dirsOf(name);
      if (legacy.some((d) => readPids(join(d, 'cgroup.procs')).length > 0)) continue;
      try {
        for (const dir of legacy.reverse()) await rmdirCgroup(dir, 200);
        removed++;
      } catch {
        // someone is using it after all
      }
    }
    return removed;
  }
}

class CgroupImpl implements Cgroup {
  private removal: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly dirs: string[],
    readonly procsFiles: readonly string[],
    private readonly control: Control,
    private readonly resources: Resources,
  ) {}

  get canFreeze(): boolean {
    return this.control.canFreeze;
  }

  setLimits(limits: CgroupLimits): void {
    this.resources.apply(limits);
  }

  pids(): number[] {
    return this.control.pids();
  }

  populated(): boolean {
    return this.control.populated();
  }

  freeze(): Promise<void> {
    return this.control.freeze();
  }

  thaw(): void {
    this.control.thaw();
  }

  killAll(): Promise<void> {
    return this.control.killAll();
  }

  oomKills(): number {
    return this.resources.oomKills();
  }

  memoryPeakBytes(): number {
    return this.resources.peak();
  }

  resetMemoryPeak(): void {
    this.resources.resetPeak();
  }

  memoryCurrentBytes(): number {
    return this.resources.current();
  }

  remove(): Promise<void> {
    this.removal ??= (async () => {
      this.resources.close();
      if (this.control.populated()) await this.control.killAll();
      // The lock directory goes last, so the name stays taken until everything is gone.
      for (const dir of [...this.dirs].reverse()) await rmdirCgroup(dir);
    })();
    return this.removal;
  }
}
