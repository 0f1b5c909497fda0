/**
 * The AWS SDK for JavaScript v3 that Node functions find at /var/runtime/node_modules, as on
 * Lambda: the pinned clients (NODE_SDK_PACKAGES) and the packages they depend on, and nothing
 * else of Lambent's own node_modules (no better-sqlite3, zod, commander, ...).
 *
 * The set is the dependency closure of those clients, resolved with Node's own rules (a
 * package's `node_modules`, then its parents') over the package.json files npm installed:
 * ~65 packages, ~8,300 files, ~30 MB. It is built once per machine into the cache directory
 * (`<cache>/aws-sdk/<core version>-<hash of every package@version and place>`) as a tree of
 * hard links to Lambent's node_modules (copies where the cache is on another filesystem),
 * renamed into place when complete, so concurrent servers, a restart and an `npm install`
 * that changes nothing all find it ready; an install that changes any package of the set
 * makes a new key. A server start then costs reading ~65 package.json files (12 ms here,
 * 56 ms the first time in a process); a sandbox start, the one read-only bind it always had.
 * Hard links share inodes with node_modules: npm replaces files rather than writing into them, so
 * an upgrade leaves the built tree as it was; editing a file of node_modules in place would
 * show in both. Trees of earlier sets stay in the cache until deleted.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The clients every Node function finds without bundling (package.json pins them; docs/parity/lambda.md lists them). */
export const NODE_SDK_PACKAGES = [
  '@aws-sdk/client-s3',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-kinesis',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-sts',
  '@aws-sdk/client-iam',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-apigatewaymanagementapi',
  '@aws-sdk/client-scheduler',
  '@aws-sdk/credential-providers',
  '@aws-sdk/lib-storage',
  '@aws-sdk/s3-request-presigner',
] as const;

export interface NodeSdk {
  /** Lambent's node_modules directory (real path) the set is taken from. */
  source: string;
  /** @aws-sdk/core's version (what every client of the set is built on). */
  core: string;
  /** The pinned clients found, with their versions. */
  versions: Record<string, string>;
  /**
   * Every package of the set: its directory relative to `source` (nested ones as
   * `a/node_modules/b`), with its version.
   */
  packages: Map<string, string>;
  /** Names the set: the built tree's directory name. */
  key: string;
}

/**
 * Lambent's copy of the SDK and its dependency closure, read from node_modules (nothing is
 * built); undefined when @aws-sdk/core is not installed.
 */
export function findNodeSdk(): NodeSdk | undefined {
  const require = createRequire(import.meta.url);
  let source: string | undefined;
  try {
    // Hoisted by npm: the directory holding @aws-sdk/core is the root of the set.
    source = fs.realpathSync(
      path.resolve(path.dirname(require.resolve('@aws-sdk/core/package.json')), '..', '..'),
    );
  } catch {
    return undefined;
  }
  const packages = new Map<string, string>();
  const versions: Record<string, string> = {};
  const queue: string[] = [];
  for (const name of ['@aws-sdk/core', ...NODE_SDK_PACKAGES]) {
    const rel = resolvePackage(source, '', name);
    // Absent (e.g. `npm install --omit=dev` leaves out the clients Lambent only tests with): doctor lists what is there.
    if (!rel) continue;
    versions[name] = readManifest(source, rel).version;
    queue.push(rel);
  }
  while (queue.length > 0) {
    const rel = queue.pop() as string;
    if (packages.has(rel)) continue;
    const manifest = readManifest(source, rel);
    packages.set(rel, manifest.version);
    // Peer dependencies are resolved from the same tree (npm 7+ installs them); an
    // unresolvable optional one is simply not there, as it would not be on Lambda either.
    for (const dep of Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    })) {
      const found = resolvePackage(source, rel, dep);
      if (found) queue.push(found);
    }
  }
  const core = versions['@aws-sdk/core'];
  if (!core) return undefined;
  const hash = createHash('sha256');
  for (const rel of [...packages.keys()].sort()) hash.update(`${rel}@${packages.get(rel)}\n`);
  return { source, core, versions, packages, key: `${core}-${hash.digest('hex').slice(0, 16)}` };
}

/** Where the tree of `sdk` is (or will be) in the cache directory. */
export function nodeSdkTreePath(sdk: NodeSdk, cacheDir: string): string {
  return path.join(cacheDir, 'aws-sdk', sdk.key);
}

/**
 * The directory shown at /var/runtime/node_modules: `<cacheDir>/aws-sdk/<key>`, built now if
 * it is not there yet (0.66 s here for hard links; copies take longer). Throws if it cannot be.
 */
export function nodeSdkTree(sdk: NodeSdk, cacheDir: string): string {
  const target = nodeSdkTreePath(sdk, cacheDir);
  const base = path.dirname(target);
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  sweepBuilds(base);
  const work = path.join(base, `.build-${randomUUID()}`);
  try {
    fs.mkdirSync(work, { mode: 0o755 });
    const place = { link: true };
    for (const rel of sdk.packages.keys())
      mirror(path.join(sdk.source, rel), path.join(work, rel), place, true);
    fs.chmodSync(work, 0o755);
    try {
      fs.renameSync(work, target);
    } catch (err) {
      // Another process built the same set meanwhile: use theirs.
      if (!fs.existsSync(target)) throw err;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return target;
}

/**
 * The packages of a built tree, by their directory (for tests and doctor): what a function
 * can require from /var/runtime/node_modules.
 */
export function builtPackages(tree: string): string[] {
  const out: string[] = [];
  for (const name of safeReaddir(tree)) {
    if (name.startsWith('@'))
      for (const sub of safeReaddir(path.join(tree, name))) out.push(`${name}/${sub}`);
    else out.push(name);
  }
  return out.sort();
}

/** Half-built trees a killed process left (a build takes about a second: an hour-old one is dead). */
function sweepBuilds(base: string): void {
  for (const name of safeReaddir(base)) {
    if (!name.startsWith('.build-')) continue;
    const dir = path.join(base, name);
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs > 3_600_000) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another process removed it meanwhile
    }
  }
}

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function readManifest(source: string, rel: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(source, rel, 'package.json'), 'utf8')) as Manifest;
}

/**
 * Where Node finds `name` required from the package at `from` (relative to the root; '' for
 * the root itself): `from/node_modules/name`, then each enclosing package's, then the root's.
 */
function resolvePackage(source: string, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : name;
    if (fs.existsSync(path.join(source, candidate, 'package.json'))) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

/**
 * Recreates `from` at `to` with hard links (copies once linking fails, e.g. across
 * filesystems), without a package's own node_modules: its members of the set are mirrored on
 * their own, and nothing else of it belongs there.
 */
function mirror(from: string, to: string, place: { link: boolean }, packageRoot: boolean): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (packageRoot && entry.name === 'node_modules') continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) mirror(src, dst, place, false);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (entry.isFile()) {
      if (place.link) {
        try {
          fs.linkSync(src, dst);
          continue;
        } catch {
          place.link = false;
        }
      }
      // copyFile keeps the mode: sandboxes (another uid) read what npm made world-readable.
      fs.copyFileSync(src, dst);
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
