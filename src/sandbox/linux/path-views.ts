/**
 * Read-only views of host directories that every sandbox mounts (the root skeleton, the
 * runtimes), so that a function reading /proc/self/mountinfo does not learn host paths.
 *
 * A bind mount shows, in mountinfo's "root" field, the path of its source inside the source's
 * filesystem: binding `<data-dir>/sandbox/rootfs-123` shows the data directory, binding
 * `<repository>/src/runtimes` the repository. A mount of its own filesystem shows `/` instead.
 * So each such directory is given an overlayfs view (one read-only mount at provider start,
 * nothing per sandbox) whose layers are named by file descriptors of the mount process
 * (`lowerdir=/proc/self/fd/3:/proc/self/fd/4`): mountinfo shows those names, not the paths.
 * (overlayfs wants two lower layers without an upper one: the second is an empty directory.)
 *
 * The code and layers directory (`<data-dir>/lambda`) has a view too: its entries are made
 * (renamed into place, never changed after) and deleted while it is mounted, which overlayfs
 * does not follow for entries it has looked up already, so `of()` checks each entry it hands
 * out and falls back to the host path for one that is not the same directory any more.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export class PathViews {
  private readonly views = new Map<string, string>();
  /** Masked views (mask()), by mount point. */
  private readonly masks: string[] = [];
  private socketRoot: string | undefined;

  private constructor(
    private readonly dir: string,
    private readonly tools: { mount: string; umount: string },
  ) {}

  /** Views under `<base>/views-<pid>`; those of providers whose process is gone are unmounted first. */
  static async create(base: string, tools: { mount: string; umount: string }): Promise<PathViews> {
    for (const mountPoint of mountsUnder(base)) {
      const m = /\/views-(\d+)\//.exec(mountPoint.slice(base.length));
      if (m && !isAlive(Number(m[1]))) await run(tools.umount, ['-l', mountPoint]).catch(() => {});
    }
    for (const name of fs.readdirSync(base)) {
      const m = /^views-(\d+)$/.exec(name);
      if (m && !isAlive(Number(m[1])) && mountsUnder(path.join(base, name)).length === 0) {
        fs.rmSync(path.join(base, name), { recursive: true, force: true });
      }
    }
    const dir = path.join(base, `views-${process.pid}`);
    fs.mkdirSync(path.join(dir, 'empty'), { recursive: true, mode: 0o755 });
    return new PathViews(dir, tools);
  }

  /** Mounts a view of `host` (once); resolves to the view's path. */
  async add(host: string): Promise<string> {
    const existing = this.views.get(host);
    if (existing) return existing;
    const view = path.join(this.dir, String(this.views.size));
    fs.mkdirSync(view, { recursive: true, mode: 0o755 });
    const lower = fs.openSync(host, 'r');
    const empty = fs.openSync(path.join(this.dir, 'empty'), 'r');
    try {
      await run(
        this.tools.mount,
        ['-t', 'overlay', 'lambent', '-o', 'ro,lowerdir=/proc/self/fd/3:/proc/self/fd/4', view],
        [lower, empty],
      );
    } finally {
      fs.closeSync(lower);
      fs.closeSync(empty);
    }
    this.views.set(host, view);
    return view;
  }

  /**
   * A view of `host` without the entries `names` (files, links or directories): an overlayfs
   * whose upper lower layer holds a whiteout (a 0/0 character device, made with `mknod`) per
   * name, so they do not exist in it at all: `ls` does not list them, a shell says "not found".
   * Mounted once; sandboxes bind it over `host`.
   */
  async mask(host: string, names: readonly string[], mknod: string): Promise<string> {
    const index = this.masks.length;
    const whiteouts = path.join(this.dir, `mask-${index}`);
    fs.mkdirSync(whiteouts, { recursive: true, mode: 0o755 });
    for (const name of names) await run(mknod, [path.join(whiteouts, name), 'c', '0', '0']);
    const view = path.join(this.dir, `masked-${index}`);
    fs.mkdirSync(view, { recursive: true, mode: 0o755 });
    const upper = fs.openSync(whiteouts, 'r');
    const lower = fs.openSync(host, 'r');
    try {
      await run(
        this.tools.mount,
        ['-t', 'overlay', 'lambent', '-o', 'ro,lowerdir=/proc/self/fd/3:/proc/self/fd/4', view],
        [upper, lower],
      );
    } finally {
      fs.closeSync(upper);
      fs.closeSync(lower);
    }
    this.masks.push(view);
    return view;
  }

  /**
   * The view of `host` or of a directory containing it; `host` itself when it has none, or
   * when the view's entry is not the same directory (checked by inode: two stat calls). The
   * view may have looked the entry up before it was made, or keep one deleted since and made
   * again: overlayfs then serves the old lookup, and the host path at least has the right files.
   */
  of(host: string): string {
    for (const [dir, view] of this.views) {
      if (host === dir) return view;
      if (!host.startsWith(`${dir}/`)) continue;
      const inView = path.join(view, host.slice(dir.length + 1));
      try {
        return fs.statSync(inView).ino === fs.statSync(host).ino ? inView : host;
      } catch {
        return host;
      }
    }
    return host;
  }

  /**
   * A small tmpfs (once) for the sandboxes' Runtime API sockets: bound from it, a sandbox's
   * socket directory shows as `/<uid>` in mountinfo, not as a path under the data directory.
   * Unmounted by close(), and by the next create() after a crash, like the views.
   */
  async sockets(): Promise<string> {
    if (this.socketRoot) return this.socketRoot;
    const dir = path.join(this.dir, 'sockets');
    fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
    await run(this.tools.mount, ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=16384,mode=0711', 'lambent', dir]);
    this.socketRoot = dir;
    return dir;
  }

  async close(): Promise<void> {
    if (this.socketRoot) await run(this.tools.umount, ['-l', this.socketRoot]).catch(() => {});
    this.socketRoot = undefined;
    for (const view of [...this.views.values(), ...this.masks])
      await run(this.tools.umount, ['-l', view]).catch(() => {});
    this.views.clear();
    this.masks.length = 0;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line
      .split(' ')[4]
      ?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (mountPoint?.startsWith(`${dir}/`)) out.push(mountPoint);
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a tool with `fds` as its descriptors 3, 4, ... */
function run(file: string, args: string[], fds: number[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe', ...fds],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeout: 30_000,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${stderr.trim() || `exit ${code}`}`));
    });
  });
}
