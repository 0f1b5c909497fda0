/**
 * The sandbox's root: a small skeleton directory built once per provider (mount points,
 * a curated /etc, /dev entries), plus the host directories every sandbox sees read-only
 * (/usr, /lib*, CA certificates, resolv.conf). The language a function runs on is mounted
 * per sandbox at /var/lang (SandboxSpec.langDir); sandboxes without one get `hidden`. Everything else on the host (the platform's data directory, /root, /home,
 * other functions' code) does not exist inside.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Mount } from './launcher.js';

export interface Rootfs {
  root: string;
  /** Mounts shared by every sandbox, in order. */
  mounts: Mount[];
  /**
   * Mounts that hide the host's node and python (executables, standard libraries, global
   * modules) under blanks: for sandboxes without a language (`provided.*`), as on AWS, where a
   * custom runtime finds neither.
   */
  hidden: Mount[];
  /**
   * The same, as names to remove from their directories (any file type): what a provider with
   * overlayfs views hides instead, so that they do not exist rather than fail to run.
   */
  languages: LanguageEntries[];
}

export interface LanguageEntries {
  /** A host directory, e.g. /usr/bin. */
  parent: string;
  names: string[];
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
}

export function buildRootfs(options: RootfsOptions): Rootfs {
  const root = options.dir;
  fs.rmSync(root, { recursive: true, force: true });
  const mkdir = (p: string) => fs.mkdirSync(path.join(root, p), { recursive: true, mode: 0o755 });
  const touch = (p: string) => fs.writeFileSync(path.join(root, p), '', { mode: 0o644 });
  const mounts: Mount[] = [];
  const covered: string[] = ['/usr'];

  for (const d of [
    'usr',
    'etc',
    'var/task',
    'var/runtime',
    'var/lang',
    'var/rapid',
    'opt',
    'tmp',
    'proc',
    'dev',
  ])
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
  return { root, mounts, hidden: hiddenLanguages(`${root}.blank`), languages: languageEntries() };
}

/** Host executables and directories of node and python that a sandbox without a language must not see. */
const LANGUAGE_FILES =
  /^(node|nodejs|npm|npx|corepack|python[\d.]*(-config)?|pydoc[\d.]*|pip[\d.]*|2to3(-[\d.]+)?)$/;
const LANGUAGE_DIRS = /^(python[\d.]*|node_modules|nodejs|node)$/;
const LANGUAGE_PARENTS = {
  files: ['/usr/bin', '/usr/local/bin', '/usr/sbin'],
  dirs: ['/usr/lib', '/usr/local/lib', '/usr/share', '/usr/include', '/usr/local/include'],
};

/**
 * Blanks (an empty file, an empty directory, made next to the skeleton) mounted over every
 * regular file and directory of the host's node and python under /usr; symlinks to them
 * (python3 -> python3.11, /etc/alternatives) then lead to the blanks too.
 */
function hiddenLanguages(blankDir: string): Mount[] {
  fs.rmSync(blankDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(blankDir, 'dir'), { recursive: true, mode: 0o755 });
  fs.chmodSync(blankDir, 0o755);
  const blankFile = path.join(blankDir, 'file');
  fs.writeFileSync(blankFile, '', { mode: 0o644 });
  const mounts: Mount[] = [];
  const scan = (parents: string[], pattern: RegExp, want: (st: fs.Stats) => boolean, source: string) => {
    for (const parent of parents) {
      let names: string[];
      try {
        names = fs.readdirSync(parent);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        const full = path.join(parent, name);
        const st = pattern.test(name) ? lstat(full) : undefined;
        if (st && want(st)) mounts.push({ kind: 'ro', source, target: full });
      }
    }
  };
  scan(LANGUAGE_PARENTS.files, LANGUAGE_FILES, (st) => st.isFile(), blankFile);
  scan(LANGUAGE_PARENTS.dirs, LANGUAGE_DIRS, (st) => st.isDirectory(), path.join(blankDir, 'dir'));
  return mounts;
}

/** The host's node and python entries by directory: files and links of LANGUAGE_FILES, directories of LANGUAGE_DIRS. */
function languageEntries(): LanguageEntries[] {
  const out: LanguageEntries[] = [];
  const scan = (parents: string[], pattern: RegExp, want: (st: fs.Stats) => boolean) => {
    for (const parent of parents) {
      let names: string[];
      try {
        names = fs.readdirSync(parent);
      } catch {
        continue;
      }
      const found = names
        .filter((n) => pattern.test(n))
        .filter((n) => {
          const st = lstat(path.join(parent, n));
          return st !== undefined && want(st);
        });
      if (found.length > 0) out.push({ parent, names: found.sort() });
    }
  };
  scan(LANGUAGE_PARENTS.files, LANGUAGE_FILES, () => true);
  scan(LANGUAGE_PARENTS.dirs, LANGUAGE_DIRS, (st) => st.isDirectory() || st.isSymbolicLink());
  return out;
}

/**
 * The mounts that hide `languages` through masked views (`view(parent)`: the parent without
 * those names), followed by the skeleton's own mounts inside those parents (the /bin/sh →
 * bash bind), which a view bound over their parent would cover.
 */
export function maskedLanguages(rootfs: Rootfs, views: ReadonlyMap<string, string>): Mount[] {
  const out: Mount[] = [];
  for (const { parent } of rootfs.languages) {
    const view = views.get(parent);
    if (view) out.push({ kind: 'ro', source: view, target: parent });
  }
  const covered = [...views.keys()];
  for (const m of rootfs.mounts) if (covered.some((p) => m.target.startsWith(`${p}/`))) out.push(m);
  return out;
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
