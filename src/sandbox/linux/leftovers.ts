/**
 * What Lambent runs on this machine left behind, whichever data dir they belonged to: `/tmp`
 * volumes still mounted, loop devices still backed by their images, cgroups and launcher
 * processes. Only what belongs to an owner that is gone counts: a data dir whose lock file
 * (shared/data-dir-lock.ts) names a running process, or a cgroup whose name does, is never
 * touched. `lambent doctor` lists them and removes them with `--clean`; a server's own start
 * reclaims those of its data dir itself (provider.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { dataDirOwner, processStartTicks } from '../../shared/data-dir-lock.js';
import type { CgroupDriver, OwnedCgroup } from '../cgroups/cgroup.js';
import { dataDirHash } from '../cgroups/cgroup.js';
import { findTool, loopDevices, readMounts, run } from './tmp-volumes.js';

export type Leftover =
  | { kind: 'mount'; mountPoint: string; source: string; image?: string; dataDir: string }
  | { kind: 'loop'; device: string; image: string; dataDir: string }
  | { kind: 'cgroup'; cgroup: OwnedCgroup }
  | { kind: 'process'; pid: number; command: string; dataDir: string };

/** `<data-dir>/sandbox/tmp-volumes/<name>.ext4`: a tmp volume's image. */
const IMAGE = /^(.+)\/sandbox\/tmp-volumes\/[^/]+\.ext4$/;
/** A tmpfs volume's mount point: a function's tmpDir or a spare. */
const TMPFS_POINT = /^(.+)\/(?:lambda\/tmp|sandbox\/tmp-volumes)\//;
/**
 * A path-less view (path-views.ts): an overlay named `lambent` at `<data-dir>/sandbox/views-<pid>/<n>`,
 * a masked view (`…/views-<pid>/masked-<n>`, provided.* without the host's interpreters), or the
 * tmpfs of Runtime API sockets beside them (`…/views-<pid>/sockets`).
 */
const VIEW_POINT = /^(.+)\/sandbox\/views-\d+\/(?:\d+|masked-\d+|sockets)$/;
/** A launcher's command line names its script in the data dir. */
const LAUNCHER = /^\S*perl\0(.+)\/sandbox\/launcher-[0-9a-f]+\.pl\0/;

export interface FindOptions {
  /** Only this data dir's leftovers (default: every data dir's). */
  dataDir?: string;
}

export function findLeftovers(driver: CgroupDriver | undefined, options: FindOptions = {}): Leftover[] {
  const only = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const launchers = listLaunchers();
  // A server of a version before lock files has none, but its parked launchers are its children.
  const served = new Set(
    launchers.filter((l) => l.ppid !== 1 && processStartTicks(l.ppid) !== undefined).map((l) => l.dataDir),
  );
  const gone = (dataDir: string) =>
    (only === undefined || dataDir === only) && !served.has(dataDir) && !dataDirOwner(dataDir)?.alive;
  const onlyHash = only === undefined ? undefined : dataDirHash(only);
  const out: Leftover[] = [];
  const mountedSources = new Set<string>();
  for (const m of readMounts()) {
    mountedSources.add(m.source);
    if (m.fstype === 'ext4' && /^\/dev\/loop\d+$/.test(m.source)) {
      const image = loopDevices().find((l) => l.device === m.source)?.backing;
      const dataDir = image ? IMAGE.exec(image)?.[1] : undefined;
      if (image && dataDir && gone(dataDir))
        out.push({ kind: 'mount', mountPoint: m.mountPoint, source: m.source, image, dataDir });
    } else if (m.fstype === 'tmpfs' && m.source.startsWith('lambent-tmp-')) {
      const dataDir = TMPFS_POINT.exec(m.mountPoint)?.[1];
      if (dataDir && gone(dataDir))
        out.push({ kind: 'mount', mountPoint: m.mountPoint, source: m.source, dataDir });
    } else if ((m.fstype === 'overlay' || m.fstype === 'tmpfs') && m.source === 'lambent') {
      const dataDir = VIEW_POINT.exec(m.mountPoint)?.[1];
      if (dataDir && gone(dataDir))
        out.push({ kind: 'mount', mountPoint: m.mountPoint, source: m.source, dataDir });
    }
  }
  for (const loop of loopDevices()) {
    const dataDir = IMAGE.exec(loop.backing)?.[1];
    if (dataDir && !mountedSources.has(loop.device) && gone(dataDir))
      out.push({ kind: 'loop', device: loop.device, image: loop.backing, dataDir });
  }
  const cgroups =
    driver?.owned().filter((c) => !c.ownerAlive && (onlyHash === undefined || c.dataDirHash === onlyHash)) ??
    [];
  for (const cgroup of cgroups) out.push({ kind: 'cgroup', cgroup });
  // Launchers outside those cgroups (in one, they go with it).
  const inCgroups = new Set(cgroups.flatMap((c) => c.pids));
  for (const l of launchers) {
    if (inCgroups.has(l.pid) || !gone(l.dataDir)) continue;
    out.push({ kind: 'process', pid: l.pid, command: l.command, dataDir: l.dataDir });
  }
  return out;
}

export function describeLeftover(l: Leftover): string {
  switch (l.kind) {
    case 'mount':
      return `mount ${l.mountPoint} (${l.image ? `ext4 on ${l.source}, image ${l.image}` : l.source === 'lambent' ? (l.mountPoint.endsWith('/sockets') ? 'Runtime API sockets' : 'overlay view') : `tmpfs ${l.source}`})`;
    case 'loop':
      return `loop device ${l.device} backed by ${l.image} (not mounted)`;
    case 'cgroup':
      return `cgroup ${l.cgroup.dirName} (owner pid ${Number.parseInt(l.cgroup.ownerId, 10)} gone, ${l.cgroup.pids.length} processes)`;
    case 'process':
      return `process ${l.pid}: ${l.command.slice(0, 160)}`;
  }
}

/** Removes leftovers (processes, then cgroups, mounts, loop devices); returns what failed. */
export async function cleanLeftovers(
  leftovers: readonly Leftover[],
  driver: CgroupDriver | undefined,
): Promise<Array<{ leftover: Leftover; error: string }>> {
  const failed: Array<{ leftover: Leftover; error: string }> = [];
  for (const l of leftovers) {
    if (l.kind !== 'process') continue;
    try {
      process.kill(l.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') failed.push({ leftover: l, error: String(err) });
    }
  }
  const cgroups = leftovers.flatMap((l) => (l.kind === 'cgroup' ? [l] : []));
  if (cgroups.length > 0 && driver) {
    await driver.reclaim(cgroups.map((l) => l.cgroup));
    const left = new Set(driver.owned().map((c) => c.dirName));
    for (const l of cgroups)
      if (left.has(l.cgroup.dirName)) failed.push({ leftover: l, error: 'still busy' });
  }
  if (driver) await driver.sweepLocks(60_000);
  const umount = findTool('umount') ?? 'umount';
  // Deepest first: a volume can be mounted inside another data dir's tree.
  const mounts = leftovers.flatMap((l) => (l.kind === 'mount' ? [l] : []));
  mounts.sort((a, b) => b.mountPoint.length - a.mountPoint.length);
  for (const l of mounts) {
    try {
      await run(umount, [l.mountPoint]).catch(() => run(umount, ['-l', l.mountPoint]));
      if (l.image) fs.rmSync(l.image, { force: true });
    } catch (err) {
      failed.push({ leftover: l, error: (err as Error).message });
    }
  }
  const losetup = findTool('losetup') ?? 'losetup';
  for (const l of leftovers) {
    if (l.kind !== 'loop') continue;
    try {
      await run(losetup, ['-d', l.device]);
      if (path.dirname(l.image).endsWith('/sandbox/tmp-volumes')) fs.rmSync(l.image, { force: true });
    } catch (err) {
      failed.push({ leftover: l, error: (err as Error).message });
    }
  }
  return failed;
}

/** Running launcher processes (zombies aside), with the data dir their script is in. */
function listLaunchers(): Array<{ pid: number; ppid: number; dataDir: string; command: string }> {
  let names: string[];
  try {
    names = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: Array<{ pid: number; ppid: number; dataDir: string; command: string }> = [];
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const dataDir = LAUNCHER.exec(cmdline)?.[1];
      if (!dataDir || processStartTicks(pid) === undefined) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid, ppid, dataDir, command: cmdline.split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
