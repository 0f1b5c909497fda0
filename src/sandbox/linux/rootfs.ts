/**
 * The sandbox's root: a small skeleton directory built once per provider (mount points,
 * a curated /etc, /dev entries, /var/lang/bin links), plus the host directories every
 * sandbox sees read-only (/usr, /lib*, the interpreters' install prefixes, CA certificates,
 * resolv.conf). Everything else on the host (the platform's data directory, /root, /home,
 * other functions' code) does not exist inside.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Mount } from './launcher.js';

export interface Interpreter {
  /** Names in /var/lang/bin, e.g. ['node'] or ['python3', 'python']. */
  names: string[];
  /** Real path of the executable on the host (visible at the same path inside). */
  executable: string;
  /** Install prefix to expose read-only at the same path (absent when under /usr). */
  prefix?: string;
}

export interface Rootfs {
  root: string;
  /** Mounts shared by every sandbox, in order. */
  mounts: Mount[];
  interpreters: Interpreter[];
}

/** /etc files copied into the skeleton (a snapshot at provider start). */
const ETC_COPIES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'nsswitch.conf',
  'host.conf',
  'gai.conf',
  'hosts',
  'services',
  'protocols',
  'localtime',
  'timezone',
  'mime.types',
  'os-release',
];
/**
 * /etc entries bound live: certificate stores change with updates, resolv.conf with DHCP,
 * and alternatives (awk, editor, ...) is hundreds of symlinks, slow to copy.
 */
const ETC_BINDS = ['resolv.conf', 'ssl', 'pki', 'alternatives'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
/** Top-level directories that are symlinks into /usr on merged-/usr systems, real ones elsewhere. */
const LIB_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

export interface RootfsOptions {
  dir: string;
  uidBase: number;
  uidCount: number;
  interpreters: Interpreter[];
}

export function buildRootfs(options: RootfsOptions): Rootfs {
  const root = options.dir;
  fs.rmSync(root, { recursive: true, force: true });
  const mkdir = (p: string) => fs.mkdirSync(path.join(root, p), { recursive: true, mode: 0o755 });
  const touch = (p: string) => fs.writeFileSync(path.join(root, p), '', { mode: 0o644 });
  const mounts: Mount[] = [];
  const covered: string[] = ['/usr'];

  for (const d of ['usr', 'etc', 'var/task', 'var/runtime', 'var/lang/bin', 'opt', 'tmp', 'proc', 'dev'])
    mkdir(d);
  mounts.push({ kind: 'ro', source: '/usr', target: '/usr' });
  // As on Amazon Linux, /bin/sh is bash: Lambda's documented shell bootstraps use bash
  // features (`set -o pipefail`) under #!/bin/sh. The bind lands on what sh points to, and
  // only in the sandbox's mount namespace.
  if (fs.existsSync('/usr/bin/bash') && fs.existsSync('/usr/bin/sh')) {
    mounts.push({ kind: 'ro', source: '/usr/bin/bash', target: '/usr/bin/sh' });
  }
  for (const d of LIB_DIRS) {
    const host = `/${d}`;
    const st = lstat(host);
    if (!st) continue;
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(host), path.join(root, d));
    else if (st.isDirectory()) {
      mkdir(d);
      mounts.push({ kind: 'ro', source: host, target: host });
      covered.push(host);
    }
  }

  for (const interp of options.interpreters) {
    const { prefix } = interp;
    if (prefix && !covered.some((c) => prefix === c || prefix.startsWith(`${c}/`))) {
      mkdir(prefix);
      mounts.push({ kind: 'ro', source: prefix, target: prefix });
      covered.push(prefix);
    }
    for (const name of interp.names) fs.symlinkSync(interp.executable, path.join(root, 'var/lang/bin', name));
  }

  for (const name of ETC_COPIES) copyEntry(path.join('/etc', name), path.join(root, 'etc', name));
  for (const name of ETC_BINDS) {
    const host = path.join('/etc', name);
    const st = statFollow(host);
    if (!st) continue;
    if (st.isDirectory()) mkdir(`etc/${name}`);
    else touch(`etc/${name}`);
    mounts.push({ kind: 'ro', source: host, target: host });
  }
  writeAccounts(root, options.uidBase, options.uidCount);

  for (const d of DEVICES) {
    if (!fs.existsSync(`/dev/${d}`)) continue;
    touch(`dev/${d}`);
    mounts.push({ kind: 'dev', source: `/dev/${d}`, target: `/dev/${d}` });
  }
  fs.symlinkSync('/proc/self/fd', path.join(root, 'dev/fd'));
  ['stdin', 'stdout', 'stderr'].forEach((s, i) => {
    fs.symlinkSync(`/proc/self/fd/${i}`, path.join(root, `dev/${s}`));
  });
  fs.chmodSync(root, 0o755);
  return { root, mounts, interpreters: options.interpreters };
}

/** passwd/group naming every uid of the pool (glibc, `id`, `os.userInfo()` want an entry). */
function writeAccounts(root: string, base: number, count: number): void {
  const users = [
    'root:x:0:0:root:/root:/sbin/nologin',
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
  ];
  const groups = ['root:x:0:', 'nogroup:x:65534:'];
  for (let i = 0; i < count; i++) {
    users.push(`sbx_user${1051 + i}:x:${base + i}:${base + i}::/tmp:/sbin/nologin`);
    groups.push(`sbx_user${1051 + i}:x:${base + i}:`);
  }
  fs.writeFileSync(path.join(root, 'etc/passwd'), `${users.join('\n')}\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(root, 'etc/group'), `${groups.join('\n')}\n`, { mode: 0o644 });
}

function copyEntry(from: string, to: string): void {
  const st = lstat(from);
  if (!st) return;
  if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
  else if (st.isDirectory()) {
    fs.mkdirSync(to, { mode: 0o755 });
    for (const e of fs.readdirSync(from)) copyEntry(path.join(from, e), path.join(to, e));
  } else if (st.isFile() && st.mode & 0o004) {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o644);
  }
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function statFollow(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

const under = (p: string, dirs: string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The host's node (this process's own) and python3 (whatever `python3` on PATH really is:
 * pyenv's shim is a shell script, so ask the interpreter itself).
 */
export function discoverInterpreters(overrides: { node?: string; python3?: string } = {}): Interpreter[] {
  const found: Interpreter[] = [];
  const node = fs.realpathSync(overrides.node ?? process.execPath);
  found.push({
    names: ['node'],
    executable: node,
    ...(under(node, SYSTEM_DIRS) ? {} : { prefix: path.dirname(path.dirname(node)) }),
  });
  const py = spawnSync(
    overrides.python3 ?? 'python3',
    ['-c', 'import os, sys; print(os.path.realpath(sys.executable)); print(sys.base_prefix)'],
    { encoding: 'utf8', timeout: 10_000 },
  );
  const [executable, prefix] = (py.stdout ?? '').trim().split('\n');
  if (py.status === 0 && executable && prefix) {
    found.push({
      names: [...new Set(['python3', 'python', path.basename(executable)])],
      executable,
      ...(under(prefix, SYSTEM_DIRS) ? {} : { prefix }),
    });
  }
  return found;
}
