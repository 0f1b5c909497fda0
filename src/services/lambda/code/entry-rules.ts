/**
 * Pure rules about zip entries, shared by inspection and extraction so that both accept
 * exactly the same archives: which names are safe, what kind of node an entry is, what mode
 * it gets, and whether the tree as a whole (including symlinks) stays inside its root.
 * No I/O here; every check works on entry metadata and symlink targets only.
 */

export type EntryKind = 'dir' | 'file' | 'symlink';

/** An archive we refuse; the message is for logs (the client gets AWS's generic wording). */
export class Rejected extends Error {}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
/** Linux limits: a path component and a whole path (we refuse what the kernel would). */
const NAME_MAX = 255;
const PATH_MAX = 4095;
/** Same as the kernel's symlink hop limit before ELOOP. */
const MAX_LINK_HOPS = 40;
/** Far above any real package (a few steps per link), far below anything slow. */
const MAX_RESOLUTION_STEPS = 1_000_000;

/**
 * Returns the entry's path as clean segments joined by '/', or throws `Rejected`.
 * yauzl has already turned `\` into `/` and refused absolute and `..` names; we check again
 * on our own because this is the one line of defence that must not depend on a library
 * option, and add what yauzl allows: NUL, empty names, over-long names.
 */
export function safeEntryPath(fileName: string): string {
  if (fileName === '') throw new Rejected('empty entry name');
  if (fileName.includes('\0')) throw new Rejected('NUL in entry name');
  if (/^[/\\]/.test(fileName) || /^[a-zA-Z]:/.test(fileName))
    throw new Rejected(`absolute entry name: ${fileName}`);
  // Treat `\` as a separator too: a Windows tool may have meant it as one.
  const raw = fileName.split(/[/\\]/);
  if (raw.includes('..')) throw new Rejected(`entry name escapes the root: ${fileName}`);
  // `a//b` and `./a` are harmless spellings of `a/b` and `a`; normalise so that the tree
  // model sees one name per node.
  const segments = raw.filter((s) => s !== '' && s !== '.');
  for (const s of segments) {
    if (Buffer.byteLength(s) > NAME_MAX) throw new Rejected(`entry name component too long: ${fileName}`);
  }
  const path = segments.join('/');
  if (Buffer.byteLength(path) > PATH_MAX) throw new Rejected(`entry name too long: ${fileName}`);
  return path;
}

/** Directory entries end with '/'; a unix mode of S_IFLNK marks a symlink; all else is a file. */
export function entryKind(fileName: string, externalFileAttributes: number): EntryKind {
  if (fileName.endsWith('/') || fileName.endsWith('\\')) return 'dir';
  return ((externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK ? 'symlink' : 'file';
}

/**
 * Files get 0o644, or 0o755 when the archive gave any execute bit (that is what a Go or
 * custom-runtime `bootstrap` needs). We deliberately do not copy other bits: setuid/setgid,
 * world-writable or owner-unreadable modes are never useful in read-only code and AWS's own
 * advice is exactly 644/755. Archives from Windows carry no unix mode and get 0o644.
 */
export function fileMode(externalFileAttributes: number): number {
  return ((externalFileAttributes >>> 16) & 0o111) !== 0 ? 0o755 : 0o644;
}
export const DIR_MODE = 0o755;

/** One node of the described tree; `target` is set for symlinks once their data is read. */
export interface TreeNode {
  kind: EntryKind;
  readonly parent: TreeNode | undefined;
  readonly children: Map<string, TreeNode>;
  target?: readonly string[];
}

/**
 * The shape of the tree the archive describes. Rejects shapes whose extraction would either
 * fail or be ambiguous: a file or symlink used as a parent directory (the classic
 * "symlink `link`, then file `link/x`" escape), a name that is both a directory and a file,
 * or a symlink given twice. A repeated file name is allowed (later wins, as with `unzip -o`).
 * A trie rather than a map of full paths so that a hostile archive of many deep names costs
 * time linear in its size.
 */
export class TreeModel {
  private readonly root: TreeNode = { kind: 'dir', parent: undefined, children: new Map() };
  /** Total resolution steps left for all symlinks: bounds the work a link maze can cause. */
  private stepsLeft = MAX_RESOLUTION_STEPS;

  add(path: string, kind: EntryKind): TreeNode {
    if (path === '') {
      if (kind === 'dir') return this.root; // "./" names the root itself
      throw new Rejected('entry names the root');
    }
    const segments = path.split('/');
    const last = segments.pop() as string; // path is non-empty, so there is a last segment
    let node = this.root;
    for (const seg of segments) {
      let child = node.children.get(seg);
      if (child === undefined) {
        child = { kind: 'dir', parent: node, children: new Map() };
        node.children.set(seg, child);
      } else if (child.kind !== 'dir') {
        throw new Rejected(`entry ${path} is inside a ${child.kind}`);
      }
      node = child;
    }
    const existing = node.children.get(last);
    if (existing === undefined) {
      const child: TreeNode = { kind, parent: node, children: new Map() };
      node.children.set(last, child);
      return child;
    }
    if (existing.kind === kind && kind !== 'symlink') return existing;
    throw new Rejected(`entry ${path} given twice, as ${existing.kind} and as ${kind}`);
  }

  /** Every directory below the root (explicit or implied by a deeper name), parents first. */
  *directories(): Generator<string> {
    const stack: Array<[string, TreeNode]> = [['', this.root]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [prefix, node] = item;
      for (const [name, child] of node.children) {
        if (child.kind !== 'dir') continue;
        const path = prefix === '' ? name : `${prefix}/${name}`;
        yield path;
        stack.push([path, child]);
      }
    }
  }

  /**
   * Whether the symlink resolves inside the root. Resolution is physical, the way the kernel
   * will do it: a `..` after passing through another symlink climbs from that link's target,
   * not from the link's name. A purely lexical check would accept `l -> s/x/../..` with
   * `s -> .`, which the kernel resolves to the root's parent. Components that name nothing in
   * the archive are followed lexically (the kernel would stop there with ENOENT).
   * Every target must have been set before any link is resolved.
   */
  linkStaysInside(link: TreeNode): boolean {
    if (link.target === undefined || link.parent === undefined) return false;
    let dir: TreeNode = link.parent; // a link's target is resolved from the link's directory
    let missing = 0; // components below `dir` that name nothing in the archive
    let hops = 0;
    const frames = [{ parts: link.target, i: 0 }]; // nested link targets being walked
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as (typeof frames)[number];
      const c = frame.parts[frame.i++];
      if (c === undefined) {
        frames.pop();
        continue;
      }
      if (--this.stepsLeft < 0) return false;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (missing > 0) missing--;
        else if (dir.parent !== undefined) dir = dir.parent;
        else return false; // above the root
        continue;
      }
      const child = missing > 0 ? undefined : dir.children.get(c);
      if (child === undefined) missing++;
      else if (child.kind !== 'symlink') dir = child;
      else if (child.target === undefined || ++hops > MAX_LINK_HOPS)
        return false; // a loop
      else frames.push({ parts: child.target, i: 0 }); // continue inside the link's target
    }
    return true;
  }
}

/** Checks a symlink's target text and splits it for `TreeModel.linkStaysInside`. */
export function parseLinkTarget(target: string): string[] {
  if (target === '') throw new Rejected('empty symlink target');
  if (target.includes('\0')) throw new Rejected('NUL in symlink target');
  if (target.startsWith('/')) throw new Rejected(`symlink target is absolute: ${target}`);
  if (Buffer.byteLength(target) > PATH_MAX) throw new Rejected('symlink target too long');
  return target.split('/');
}
