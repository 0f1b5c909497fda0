/**
 * /tmp volumes. Each tmpDir gets its own filesystem capped at tmpSizeMb, mounted on the
 * host at tmpDir itself and bound into every sandbox that uses it, so its contents outlive
 * an environment (Lambda keeps /tmp across a timeout) and a full /tmp is ENOSPC inside while
 * the host's disk is untouched.
 *
 * The filesystem is ext4 in a sparse image file on a loop device (discard on, so deleted
 * files give their space back to the host). tmpfs is the fallback where loop devices are
 * unavailable, and only that: tmpfs pages are charged to the memory cgroup of the process
 * that writes them, so a 128 MB function could not write 200 MB to its 512 MB /tmp (it
 * would be OOM-killed), and "Max Memory Used" would count files. Cost: ~25 ms (sparse file,
 * mkfs, mount) the first time a tmpDir is used, nothing after.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type TmpBacking = 'ext4-loop' | 'tmpfs';

export interface TmpTools {
  mount: string;
  umount: string;
  mkfs?: string;
  /** Detaches loop devices a crash left attached without a mount (util-linux). */
  losetup?: string;
}

interface Volume {
  sizeMb: number;
  ready: Promise<void>;
}

const MiB = 1024 * 1024;
/** ext4 metadata (inode tables, bitmaps) takes ~2.5 % of a small filesystem; give it back. */
const imageBytes = (sizeMb: number) => Math.ceil(sizeMb * 1.03 + 2) * MiB;

export class TmpVolumes {
  private readonly volumes = new Map<string, Volume>();
  /** Empty volumes made ahead of time (prepareSpare), mounted at their own directory. */
  private readonly spares: Array<{ dir: string; sizeMb: number }> = [];

  private readonly imagesDir: string;
  /** tmpfs volumes carry this as their source, to be told apart from other tmpfs mounts. */
  private readonly tmpfsSource: string;
  /** After close(): no new volume is made (a pool's spare in flight would outlive the server). */
  private closed = false;

  constructor(
    imagesDir: string,
    readonly backing: TmpBacking,
    private readonly tools: TmpTools,
  ) {
    this.imagesDir = path.resolve(imagesDir);
    this.tmpfsSource = `lambent-tmp-${createHash('sha256').update(this.imagesDir).digest('hex').slice(0, 12)}`;
  }

  /**
   * Unmounts and deletes the volumes a crashed server left behind (same data directory), detaches
   * loop devices still backed by its images, and removes images and directories nothing uses.
   * A running provider releases its own on close(), and calls this again after that.
   */
  async sweep(): Promise<number> {
    let n = 0;
    for (const m of readMounts().reverse()) {
      if (this.volumes.has(m.mountPoint) || !this.isOurs(m)) continue;
      await this.detach(m.mountPoint).catch(() => {});
      n++;
    }
    const mountedLoops = new Set(readMounts().map((m) => m.source));
    for (const loop of loopDevices()) {
      if (path.dirname(loop.backing) !== this.imagesDir || mountedLoops.has(loop.device)) continue;
      if (this.tools.losetup) await run(this.tools.losetup, ['-d', loop.device]).catch(() => {});
      n++;
    }
    for (const name of fs.readdirSync(this.imagesDir)) {
      const file = path.join(this.imagesDir, name);
      if (name.endsWith('.ext4') && !this.isMountedImage(file) && !this.inUse(file)) {
        fs.rmSync(file, { force: true });
      }
      if (/^(spare|probe)-/.test(name) && !this.volumes.has(file) && !this.mounted(file)) {
        fs.rmSync(file, { recursive: true, force: true });
      }
    }
    return n;
  }

  /** An image of a volume this instance is making or holds right now. */
  private inUse(image: string): boolean {
    for (const [key, v] of this.volumes) if (this.imagePath(key, v.sizeMb) === image) return true;
    return false;
  }

  /** Releases every volume, then anything of ours still mounted; no volume is made after it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.releaseAll();
    await this.sweep();
  }

  /** Finds binaries and checks that a loop-mounted ext4 volume really works here. */
  static async probe(imagesDir: string): Promise<{ volumes?: TmpVolumes; missing?: string; note?: string }> {
    const mount = findTool('mount');
    const umount = findTool('umount');
    if (!mount || !umount) return { missing: 'tmp: the mount/umount tools (util-linux) are not installed' };
    fs.mkdirSync(imagesDir, { recursive: true, mode: 0o700 });
    const mkfs = findTool('mkfs.ext4');
    if (mkfs && fs.existsSync('/dev/loop-control')) {
      const losetup = findTool('losetup');
      const loop = new TmpVolumes(imagesDir, 'ext4-loop', {
        mount,
        umount,
        mkfs,
        ...(losetup ? { losetup } : {}),
      });
      const probeDir = fs.mkdtempSync(path.join(imagesDir, 'probe-'));
      try {
        await loop.ensure(probeDir, 4);
        await loop.release(probeDir);
        return { volumes: loop };
      } catch (err) {
        await loop.release(probeDir).catch(() => {});
        return {
          volumes: new TmpVolumes(imagesDir, 'tmpfs', { mount, umount }),
          note: `loop devices unusable (${(err as Error).message.split('\n')[0]}): /tmp is tmpfs, counted in the memory limit`,
        };
      } finally {
        fs.rmSync(probeDir, { recursive: true, force: true });
      }
    }
    return {
      volumes: new TmpVolumes(imagesDir, 'tmpfs', { mount, umount }),
      note: `${mkfs ? 'no /dev/loop-control' : 'mkfs.ext4 (e2fsprogs) not installed'}: /tmp is tmpfs, counted in the memory limit`,
    };
  }

  /** Mounts (or adopts) the volume for tmpDir; concurrent calls share the work. */
  ensure(tmpDir: string, sizeMb: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the /tmp volumes are closed'));
    const key = path.resolve(tmpDir);
    const existing = this.volumes.get(key);
    if (existing?.sizeMb === sizeMb) return existing.ready;
    const ready = (async () => {
      if (existing) {
        await existing.ready.catch(() => {});
        await this.unmount(key);
      }
      await this.mountVolume(key, sizeMb);
    })();
    const volume = { sizeMb, ready };
    this.volumes.set(key, volume);
    ready.catch(() => {
      if (this.volumes.get(key) === volume) this.volumes.delete(key);
    });
    return ready;
  }

  /** Owner uid of the volume's root, if mounted. */
  owner(tmpDir: string): number | undefined {
    const key = path.resolve(tmpDir);
    if (!this.volumes.has(key)) return undefined;
    try {
      return fs.statSync(key).uid;
    } catch {
      return undefined;
    }
  }

  /** Hands the volume to uid:gid (re-owning what a previous owner left in it). */
  async chown(tmpDir: string, uid: number, gid: number): Promise<void> {
    const key = path.resolve(tmpDir);
    const st = await fs.promises.stat(key);
    if (st.uid !== uid || st.gid !== gid) await chownTree(key, uid, gid);
    if ((st.mode & 0o7777) !== 0o700) await fs.promises.chmod(key, 0o700);
  }

  /**
   * Makes an empty volume ahead of time (for pooled sandboxes: a new function's first start
   * then skips mkfs and mount), mounted at a directory of its own under the images directory.
   */
  async prepareSpare(sizeMb: number): Promise<void> {
    if (this.closed) return;
    const dir = path.join(this.imagesDir, `spare-${randomBytes(6).toString('hex')}`);
    await this.ensure(dir, sizeMb);
    if (this.closed) await this.release(dir);
    else this.spares.push({ dir, sizeMb });
  }

  spareCount(sizeMb: number): number {
    return this.spares.filter((s) => s.sizeMb === sizeMb).length;
  }

  /**
   * Gives tmpDir a spare volume, if it has none yet and a spare of that size exists: the
   * spare's root is handed to uid and its image renamed as tmpDir's; the caller then mounts
   * it at tmpDir (a clone of the mount at `from`, `from` detached: see launcher.ts `host`)
   * and calls settle() with the outcome. Until then ensure(tmpDir) waits for it.
   */
  claimSpare(
    tmpDir: string,
    sizeMb: number,
    uid: number,
  ): { from: string; settle(ok: boolean): void } | undefined {
    const key = path.resolve(tmpDir);
    if (this.closed || this.volumes.has(key)) return undefined;
    const i = this.spares.findIndex((s) => s.sizeMb === sizeMb);
    const spare = this.spares[i];
    if (!spare || this.mounted(key)) return undefined;
    this.spares.splice(i, 1);
    const spareVolume = this.volumes.get(spare.dir);
    this.volumes.delete(spare.dir);
    try {
      fs.mkdirSync(key, { recursive: true });
      fs.chownSync(spare.dir, uid, uid);
      if (this.backing === 'ext4-loop')
        fs.renameSync(this.imagePath(spare.dir, sizeMb), this.imagePath(key, sizeMb));
    } catch {
      if (spareVolume) this.volumes.set(spare.dir, spareVolume);
      void this.release(spare.dir).catch(() => {});
      return undefined;
    }
    let settle!: (ok: boolean) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (ok) => (ok ? resolve() : reject(new Error(`could not move a spare volume to ${key}`)));
    });
    const volume = { sizeMb, ready };
    this.volumes.set(key, volume);
    ready.catch(() => {
      if (this.volumes.get(key) === volume) this.volumes.delete(key);
      void this.detach(spare.dir).catch(() => {});
      void this.detach(key).catch(() => {});
    });
    return {
      from: spare.dir,
      settle: (ok) => {
        settle(ok);
        if (ok) fs.rm(spare.dir, { recursive: true, force: true }, () => {});
      },
    };
  }

  async release(tmpDir: string): Promise<void> {
    const key = path.resolve(tmpDir);
    const volume = this.volumes.get(key);
    this.volumes.delete(key);
    await volume?.ready.catch(() => {});
    await this.unmount(key);
  }

  async releaseAll(): Promise<void> {
    this.spares.splice(0);
    await Promise.all([...this.volumes.keys()].map((k) => this.release(k)));
  }

  private imagePath(key: string, sizeMb: number): string {
    return path.join(this.imagesDir, `${imageStem(key)}-${sizeMb}m.ext4`);
  }

  private async mountVolume(key: string, sizeMb: number): Promise<void> {
    const current = this.mounted(key);
    if (current) {
      if (!current.ours) throw new Error(`${key} is already a mount point, not made by Lambent`);
      if (current.sizeMb === sizeMb) return;
      await this.unmount(key);
    }
    fs.mkdirSync(key, { recursive: true });
    if (this.backing === 'tmpfs') {
      await run(this.tools.mount, [
        '-t',
        'tmpfs',
        '-o',
        `size=${sizeMb}m,mode=0700,nosuid,nodev`,
        this.tmpfsSource,
        key,
      ]);
      return;
    }
    const image = this.imagePath(key, sizeMb);
    const fd = fs.openSync(image, 'w', 0o600);
    try {
      fs.ftruncateSync(fd, imageBytes(sizeMb));
    } finally {
      fs.closeSync(fd);
    }
    const mkfsArgs = ['-q', '-F', '-O', '^has_journal', '-m', '0', '-E', 'nodiscard,root_owner=0:0'];
    await run(this.tools.mkfs ?? 'mkfs.ext4', [...mkfsArgs, '-L', 'lambent-tmp', image]);
    await run(this.tools.mount, ['-o', 'loop,nosuid,nodev,noatime,discard', image, key]);
    fs.rmSync(path.join(key, 'lost+found'), { recursive: true, force: true });
    fs.chmodSync(key, 0o700);
  }

  private isOurs(m: MountEntry): boolean {
    if (m.fstype === 'tmpfs') return m.source === this.tmpfsSource;
    const backing = m.fstype === 'ext4' ? loopBackingFile(m.source) : undefined;
    return backing !== undefined && path.dirname(backing) === this.imagesDir;
  }

  private isMountedImage(image: string): boolean {
    return readMounts().some((m) => m.fstype === 'ext4' && loopBackingFile(m.source) === image);
  }

  /** What is mounted on key, and whether it is one of our volumes (then its size and image). */
  private mounted(key: string): { ours: boolean; sizeMb?: number; image?: string } | undefined {
    const m = readMounts()
      .filter((e) => e.mountPoint === key)
      .pop(); // the last one listed is on top
    if (!m) return undefined;
    if (!this.isOurs(m)) return { ours: false };
    if (m.fstype === 'tmpfs') {
      const kb = /(?:^|,)size=(\d+)k/.exec(m.superOptions)?.[1];
      return { ours: true, ...(kb ? { sizeMb: Number(kb) / 1024 } : {}) };
    }
    const image = loopBackingFile(m.source) ?? '';
    const stem = `${imageStem(key)}-`;
    if (!path.basename(image).startsWith(stem)) return { ours: true, image }; // another tmpDir's image: replace it
    return { ours: true, sizeMb: Number.parseInt(path.basename(image).slice(stem.length), 10), image };
  }

  private async unmount(key: string): Promise<void> {
    if (this.mounted(key)?.ours) await this.detach(key);
  }

  private async detach(mountPoint: string): Promise<void> {
    const image = readMounts()
      .filter((e) => e.mountPoint === mountPoint)
      .map((e) => loopBackingFile(e.source))
      .pop();
    try {
      await run(this.tools.umount, [mountPoint]);
    } catch {
      // Still busy (a dying sandbox): detach now, the kernel finishes when it is free. Or it
      // was unmounted meanwhile (a close racing a release of the same volume): nothing to do.
      await run(this.tools.umount, ['-l', mountPoint]).catch((err: unknown) => {
        if (readMounts().some((e) => e.mountPoint === mountPoint)) throw err;
      });
    }
    if (image) fs.rmSync(image, { force: true });
  }
}

const imageStem = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 24);

export interface MountEntry {
  mountPoint: string;
  fstype: string;
  source: string;
  superOptions: string;
}

export function readMounts(): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountPoint = line
      .slice(0, sep)
      .split(' ')[4]
      ?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    const [fstype = '', source = '', superOptions = ''] = line.slice(sep + 3).split(' ');
    if (mountPoint) entries.push({ mountPoint, fstype, source, superOptions });
  }
  return entries;
}

/** Attached loop devices and their backing files (`losetup -a`, from sysfs). */
export function loopDevices(): Array<{ device: string; backing: string }> {
  let names: string[];
  try {
    names = fs.readdirSync('/sys/block').filter((n) => /^loop\d+$/.test(n));
  } catch {
    return [];
  }
  const out: Array<{ device: string; backing: string }> = [];
  for (const n of names) {
    const backing = loopBackingFile(`/dev/${n}`);
    if (backing) out.push({ device: `/dev/${n}`, backing });
  }
  return out;
}

export function loopBackingFile(device: string): string | undefined {
  const m = /^\/dev\/(loop\d+)$/.exec(device);
  if (!m) return undefined;
  try {
    return fs
      .readFileSync(`/sys/block/${m[1]}/loop/backing_file`, 'utf8')
      .trim()
      .replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else await fs.promises.lchown(p, uid, gid);
  }
  await fs.promises.lchown(dir, uid, gid);
}

export function findTool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Own session (detached): a Ctrl-C or SIGTERM sent to the server's process group must not
    // kill a mount or mkfs half-way (a loop device attached and never mounted stays forever).
    const child = spawn(file, args, {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeout: 30_000,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${path.basename(file)} ${args.join(' ')}: ${stderr.trim() || `exit ${code ?? signal}`}`),
        );
    });
  });
}
