/**
 * Safe handling of Lambda code packages (.zip). Archives come from users, so every one is
 * treated as hostile: names that climb out of the root, symlinks that point out or that a
 * later entry writes through, sizes that lie, bombs, central directories with millions of
 * entries, broken CRCs. Both entry points run the same checks (`plan()` then metered
 * inflation), so an archive that `inspectZip` accepts is one `extractZip` can unpack.
 *
 * Errors are AWS's: InvalidParameterValueException with Lambda's wording (see errors.ts).
 * Host faults while extracting (disk full, permissions) are rethrown as they are.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, mkdtemp, open, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Entry, ZipFile } from 'yauzl';
import { fromBufferPromise } from 'yauzl';
import { AwsError } from '../../../shared/errors.js';
import { ByteBudget, meter } from './byte-budget.js';
import {
  DIR_MODE,
  type EntryKind,
  entryKind,
  fileMode,
  parseLinkTarget,
  Rejected,
  safeEntryPath,
  TreeModel,
  type TreeNode,
} from './entry-rules.js';
import { couldNotUnzip, emptyZip, unzippedTooLarge } from './errors.js';

/** Lambda's quota for the unzipped deployment package (250 MiB), the number in its message. */
export const LAMBDA_MAX_UNZIPPED_BYTES = 262_144_000;
/** Entries read from a central directory before we give up; real packages stay far below. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Longest symlink target we read (PATH_MAX); anything longer is not a path. */
const MAX_LINK_TARGET_BYTES = 4095;

export interface ZipLimits {
  /** Allowed total of inflated bytes (files and symlink targets); equal is allowed. */
  maxUnzippedBytes: number;
  /** Allowed number of entries, directories included. Default `DEFAULT_MAX_ENTRIES`. */
  maxEntries?: number;
}

export interface ZipSummary {
  /** Non-directory entries (regular files and symlinks). */
  files: number;
  /** Inflated bytes actually counted. */
  unzippedBytes: number;
}

/** Lambda's CodeSha256 (base64 of the SHA-256 of the zip bytes) and CodeSize (its length). */
export function codeDigest(zip: Buffer): { codeSha256: string; codeSize: number } {
  return { codeSha256: createHash('sha256').update(zip).digest('base64'), codeSize: zip.length };
}

/**
 * Validates a zip fully without writing anything: names, tree shape, symlinks, every entry
 * inflated with its CRC checked, and the inflated total within the limit (inflation stops
 * at the first chunk that would cross it).
 */
export async function inspectZip(zip: Buffer, limits: ZipLimits): Promise<ZipSummary> {
  try {
    const plan = await makePlan(zip, limits);
    for (const e of plan.entries) {
      if (e.kind !== 'file') continue;
      const src = await plan.zipfile.openReadStreamPromise(e.entry);
      await pipeline(src, meter(plan.budget, e.entry.crc32), discard());
    }
    return plan.summary();
  } catch (err) {
    throw asUserError(err);
  }
}

/**
 * Extracts into `destDir`, which must not exist yet. Everything is written into a sibling
 * temp directory that is renamed into place only when complete, so readers see all or
 * nothing; on any failure the partial output is removed. Files are written with
 * O_NOFOLLOW and symlinks are created last, after every file, so no write can pass through
 * a symlink; each symlink was checked to resolve inside the root before anything is written.
 */
export async function extractZip(zip: Buffer, destDir: string, limits: ZipLimits): Promise<ZipSummary> {
  const dest = resolve(destDir);
  // A programming error, not the user's: callers pick a fresh directory per code version.
  const taken = await lstat(dest).then(
    () => true,
    () => false,
  );
  if (taken) throw new Error(`extractZip: ${dest} already exists`);
  let plan: Plan;
  try {
    plan = await makePlan(zip, limits); // nothing touches the disk before the archive passes
  } catch (err) {
    throw asUserError(err);
  }
  const tmp = await mkdtemp(join(dirname(dest), `.${basename(dest)}.partial-`));
  try {
    // Directories first (parents before children, explicit mode: mkdir's is filtered by the
    // umask and the sandbox user must be able to list and enter them), then files, then
    // symlinks, so that no write ever goes through a link.
    for (const dir of plan.model.directories()) {
      await mkdir(join(tmp, dir));
      await chmod(join(tmp, dir), DIR_MODE);
    }
    for (const e of plan.entries) {
      if (e.kind === 'file') await writeFile(plan, e, join(tmp, e.path));
    }
    for (const e of plan.entries) {
      if (e.kind === 'symlink' && e.target !== undefined) await symlink(e.target, join(tmp, e.path));
    }
    await chmod(tmp, DIR_MODE);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }); // rm never follows symlinks
    throw asUserError(err);
  }
  // Failing here (someone else created `dest` meanwhile) is the caller's race, not the user's.
  await rename(tmp, dest).catch(async (err: unknown) => {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  });
  return plan.summary();
}

interface PlannedEntry {
  entry: Entry;
  /** Normalised relative path ('' for a "./" directory entry). */
  path: string;
  kind: EntryKind;
  node: TreeNode;
  /** Symlink target text, read while planning. */
  target?: string;
}

interface Plan {
  zipfile: ZipFile;
  entries: PlannedEntry[];
  model: TreeModel;
  budget: ByteBudget;
  summary(): ZipSummary;
}

/**
 * Reads the central directory and decides whether the archive is acceptable before any
 * file data is inflated: entry count, names, tree shape, declared total size, and symlinks
 * (whose targets are tiny and are read here, all of them before any is resolved, since one
 * link's meaning can depend on another).
 */
async function makePlan(zip: Buffer, limits: ZipLimits): Promise<Plan> {
  if (zip.length === 0) throw emptyZip();
  const zipfile = await fromBufferPromise(zip, {
    lazyEntries: true,
    decodeStrings: true, // also applies the Info-ZIP Unicode path field, and validates names
    validateEntrySizes: true, // yauzl's own size check; ours (meter) runs regardless
    strictFileNames: false, // accept .NET's `\` separators as `/`, as a user would expect
  });
  if (zipfile.entryCount === 0) throw emptyZip();
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  // entryCount comes from the end record and yauzl never reads past it: checking it first
  // means a directory bomb costs nothing.
  if (zipfile.entryCount > maxEntries)
    throw new Rejected(`${zipfile.entryCount} entries, over ${maxEntries}`);

  const model = new TreeModel();
  const entries: PlannedEntry[] = [];
  let declared = 0;
  for await (const entry of zipfile.eachEntry()) {
    const path = safeEntryPath(entry.fileName);
    const kind = entryKind(entry.fileName, entry.externalFileAttributes);
    entries.push({ entry, path, kind, node: model.add(path, kind) });
    if (kind !== 'dir') declared += entry.uncompressedSize;
  }
  // A header that claims too much is either true (too large) or a lie (corrupt); both are
  // refused, and refusing here costs no inflation. Claims that are too small are caught by
  // yauzl's size check and by meter() while inflating.
  if (declared > limits.maxUnzippedBytes) throw unzippedTooLarge(limits.maxUnzippedBytes);

  const budget = new ByteBudget(limits.maxUnzippedBytes);
  const links = entries.filter((e) => e.kind === 'symlink');
  for (const e of links) {
    const src = await zipfile.openReadStreamPromise(e.entry);
    const chunks: Buffer[] = [];
    await pipeline(src, meter(budget, e.entry.crc32, MAX_LINK_TARGET_BYTES), collect(chunks));
    e.target = Buffer.concat(chunks).toString('utf8');
    e.node.target = parseLinkTarget(e.target);
  }
  for (const e of links) {
    if (!model.linkStaysInside(e.node))
      throw new Rejected(
        `symlink ${e.path} -> ${e.target} does not resolve inside the root (escapes or loops)`,
      );
  }
  const files = entries.filter((e) => e.kind !== 'dir').length;
  return { zipfile, entries, model, budget, summary: () => ({ files, unzippedBytes: budget.used }) };
}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

async function writeFile(plan: Plan, e: PlannedEntry, out: string): Promise<void> {
  const mode = fileMode(e.entry.externalFileAttributes);
  const fh = await open(out, WRITE_FLAGS, mode);
  let src: Readable;
  let sink: Writable;
  try {
    await fh.chmod(mode); // open()'s mode is filtered by the umask
    src = await plan.zipfile.openReadStreamPromise(e.entry);
    sink = fh.createWriteStream(); // from here on the stream closes fh, also on error
  } catch (err) {
    await fh.close();
    throw err;
  }
  await pipeline(src, meter(plan.budget, e.entry.crc32), sink);
  // Keep the archive's timestamps: Python compares them with those recorded in .pyc files.
  const mtime = e.entry.getLastModDate();
  if (!Number.isNaN(mtime.getTime())) await lutimes(out, mtime, mtime);
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

function collect(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
}

/**
 * Errors a file's content can cause while extracting (a name the kernel refuses, a loop):
 * the user's fault. Any other filesystem error is ours (ENOSPC, EACCES, EIO) and is rethrown.
 */
const CONTENT_FS_ERRORS = new Set(['ENAMETOOLONG', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ELOOP', 'EILSEQ']);

function asUserError(err: unknown): unknown {
  if (err instanceof AwsError) return err;
  if (err instanceof Rejected) return couldNotUnzip(err.message);
  if (err instanceof Error && 'syscall' in err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return CONTENT_FS_ERRORS.has(code) ? couldNotUnzip(err.message) : err;
  }
  // yauzl's and zlib's complaints about the archive itself (bad signature, bad name,
  // size mismatch, invalid deflate data, truncation).
  return couldNotUnzip(err instanceof Error ? err.message : String(err));
}
