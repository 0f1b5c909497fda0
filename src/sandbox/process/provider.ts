/**
 * The fallback for hosts without namespaces or cgroups (macOS, unprivileged containers):
 * each sandbox is a plain child process in its own process group, with rlimits (prlimit
 * from util-linux where present, else `ulimit` in a sh wrapper), frozen with SIGSTOP/SIGCONT
 * and killed group-wide.
 *
 * What it does not give: no filesystem isolation (the function sees the host, paths are
 * host paths: see layout()), no uid of its own (it runs as the server's user), no /tmp cap
 * (RLIMIT_FSIZE caps single files only), memory capped as RLIMIT_DATA (an allocation
 * failure, not an OOM kill), processes that leave the process group (setsid) escape kill,
 * and max memory is the command process's peak RSS only.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {
  LayoutDirs,
  PoolStatus,
  ProviderDescription,
  Sandbox,
  SandboxExit,
  SandboxLayout,
  SandboxProvider,
  SandboxSpec,
  SandboxState,
} from '../sandbox.js';
import { DEFAULT_PIDS_MAX, SandboxStartError } from '../sandbox.js';
import { deferred } from '../util.js';

export interface ProcessProviderOptions {
  dataDir: string;
  /** Why the Linux provider is not used, for describe(). */
  missing?: string[];
}

const MiB = 1024 * 1024;
/** Address space beyond MemorySize that runtimes reserve without using (see ProcessSandbox). */
const DATA_HEADROOM_MB = 1024;
/** Where the Linux sandbox's fixed paths are in this provider's layout. */
const CANONICAL = {
  '/var/runtime/node_modules': 'runtimeModules',
  '/var/task': 'task',
  '/opt': 'opt',
  '/var/runtime': 'runtime',
  '/var/lang/bin': 'langBin',
  '/tmp': 'tmp',
} as const;

export async function createProcessProvider(
  options: ProcessProviderOptions,
): Promise<ProcessSandboxProvider> {
  const base = path.join(path.resolve(options.dataDir), 'sandbox');
  // A function without a language (provided.*) gets an empty /var/lang/bin.
  const langBin = path.join(base, 'no-lang', 'bin');
  const emptyOpt = path.join(base, 'empty-opt');
  fs.mkdirSync(emptyOpt, { recursive: true });
  fs.mkdirSync(langBin, { recursive: true });
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => fs.existsSync(p));
  return new ProcessSandboxProvider({ langBin, emptyOpt, prlimit, missing: options.missing ?? [] });
}

interface Parts {
  langBin: string;
  emptyOpt: string;
  prlimit: string | undefined;
  missing: string[];
}

export class ProcessSandboxProvider implements SandboxProvider {
  readonly isolation = 'process' as const;
  private readonly live = new Set<ProcessSandbox>();

  constructor(private readonly p: Parts) {}

  layout(dirs: LayoutDirs): SandboxLayout {
    return {
      task: dirs.codeDir,
      opt: dirs.layersDir ?? this.p.emptyOpt,
      runtime: dirs.runtimeDir,
      tmp: dirs.tmpDir,
      langBin: dirs.langDir ? path.join(dirs.langDir, 'bin') : this.p.langBin,
      runtimeModules: dirs.sdkDir ?? path.join(dirs.runtimeDir, 'node_modules'),
    };
  }

  create(spec: SandboxSpec): ProcessSandbox {
    if (spec.command.length === 0 || !spec.command[0]) throw new SandboxStartError('empty command', 'setup');
    const sandbox = new ProcessSandbox(spec, this.layout(spec), this.p.prlimit, (s) => this.live.delete(s));
    this.live.add(sandbox);
    return sandbox;
  }

  async releaseTmp(tmpDir: string): Promise<void> {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }

  /** No pools without namespaces: a pooled runtime could not get its code mounted later. */
  definePools(): void {}

  poolStatus(): PoolStatus[] {
    return [];
  }

  describe(): ProviderDescription {
    return {
      isolation: 'process',
      missing: this.p.missing,
      details: {
        isolation:
          'plain child processes: no filesystem, network, uid or /tmp isolation; memory as RLIMIT_DATA; freeze by SIGSTOP',
        rlimits: this.p.prlimit ? `prlimit (${this.p.prlimit})` : 'ulimit in sh',
        langBin:
          "each runtime's own (SandboxSpec.langDir/bin); the host's node and python stay visible to provided.*",
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.live].map((s) => s.kill()));
  }
}

export class ProcessSandbox implements Sandbox {
  readonly id: string;
  readonly uid = process.getuid?.() ?? 0;
  private current: SandboxState = 'created';
  private child: ChildProcess | undefined;
  private readonly started = deferred<void>();
  private readonly exit = deferred<SandboxExit>();
  private killing = false;
  private lastPeak = 0;

  constructor(
    private readonly spec: SandboxSpec,
    private readonly paths: SandboxLayout,
    private readonly prlimit: string | undefined,
    private readonly released: (s: ProcessSandbox) => void,
  ) {
    this.id = spec.id;
    this.started.promise.catch(() => {});
  }

  get state(): SandboxState {
    return this.current;
  }

  get exited(): Promise<SandboxExit> {
    return this.exit.promise;
  }

  /** Canonical paths (/var/task/..., /opt/...) in argv[0] become their host paths. */
  private hostPath(p: string): string {
    // Already a host path from layout() (e.g. a data dir under /tmp): leave it alone.
    if (Object.values(this.paths).some((h) => h && (p === h || p.startsWith(`${h}/`)))) return p;
    for (const c of Object.keys(CANONICAL) as Array<keyof typeof CANONICAL>) {
      if (p === c || p.startsWith(`${c}/`)) {
        return this.paths[CANONICAL[c]] + p.slice(c.length);
      }
    }
    return p;
  }

  /** Resolves argv[0] as exec would (PATH from the sandbox env), to report ENOENT/EACCES up front. */
  private resolveCommand(cmd: string): string {
    const candidates = cmd.includes('/')
      ? [path.resolve(this.paths.task, cmd)]
      : (this.spec.env.PATH ?? '/usr/bin:/bin')
          .split(':')
          .map((d) => path.join(this.hostPath(d || '.'), cmd));
    let denied = false;
    for (const c of candidates) {
      try {
        if (!fs.statSync(c).isFile()) continue;
        fs.accessSync(c, fs.constants.X_OK);
        return c;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EACCES') denied = true;
      }
    }
    const errno = denied ? 'EACCES' : 'ENOENT';
    throw new SandboxStartError(
      `sandbox ${this.id}: cannot execute ${cmd}: ${denied ? 'Permission denied' : 'No such file or directory'}`,
      'exec',
      errno,
    );
  }

  async start(): Promise<void> {
    if (this.current !== 'created') throw new Error(`sandbox ${this.id} cannot start: it is ${this.current}`);
    this.current = 'starting';
    const { spec } = this;
    let file: string;
    try {
      fs.mkdirSync(spec.tmpDir, { recursive: true });
      file = this.resolveCommand(this.hostPath(spec.command[0] ?? ''));
    } catch (err) {
      this.settle({ code: 127, signal: null }, err as Error);
      return this.started.promise;
    }
    const argv = [file, ...spec.command.slice(1)];
    const limits = {
      // RLIMIT_DATA counts reserved address space too, and Node 24's V8 reserves more than a
      // 128 MB function's MemorySize at start ("Failed to reserve virtual memory for
      // CodeRange"): the limit keeps a runaway from taking the host, with room to start.
      data: (spec.memoryMb + DATA_HEADROOM_MB) * MiB,
      nproc: spec.pidsMax ?? DEFAULT_PIDS_MAX,
      fsize: spec.tmpSizeMb * MiB,
      nofile: 1024,
    };
    const [cmd, ...args] = this.prlimit
      ? [
          this.prlimit,
          `--data=${limits.data}`,
          `--fsize=${limits.fsize}`,
          `--nofile=${limits.nofile}`,
          '--core=0',
          // RLIMIT_NPROC counts every process of the user and does not bind root: skip it there.
          ...(process.getuid?.() === 0 ? [] : [`--nproc=${limits.nproc}`]),
          '--',
          ...argv,
        ]
      : [
          '/bin/sh',
          '-c',
          `ulimit -c 0; ulimit -d ${limits.data / 1024} 2>/dev/null; ulimit -f ${limits.fsize / 512} 2>/dev/null; ulimit -n ${limits.nofile} 2>/dev/null; exec "$@"`,
          'sh',
          ...argv,
        ];
    const child = spawn(cmd ?? '', args, {
      cwd: this.paths.task,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => spec.onOutput('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => spec.onOutput('stderr', chunk));
    child.on('spawn', () => {
      if (this.killing) return;
      this.current = 'running';
      this.started.resolve();
    });
    child.on('error', (err) => {
      this.started.reject(new SandboxStartError(`sandbox ${this.id}: ${err.message}`, 'setup'));
    });
    // The command ending ends the environment: whatever it left in its group goes too.
    child.on('exit', () => this.killGroup('SIGKILL'));
    child.on('close', (code, signal) => this.settle({ code, signal }));
    return this.started.promise;
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // group gone
    }
  }

  private settle(status: { code: number | null; signal: NodeJS.Signals | null }, startError?: Error): void {
    if (this.current === 'exited') return;
    this.maxMemoryUsedBytes();
    this.current = 'exited';
    this.started.reject(
      startError ??
        new SandboxStartError(
          `sandbox ${this.id} ${this.killing ? 'was killed' : 'ended'} while starting`,
          this.killing ? 'killed' : 'setup',
        ),
    );
    this.released(this);
    this.exit.resolve({ ...status, oomKilled: false });
  }

  async freeze(): Promise<void> {
    if (this.current !== 'running') {
      if (this.current === 'exited' || this.current === 'frozen') return;
      throw new Error(`sandbox ${this.id} cannot freeze: it is ${this.current}`);
    }
    this.killGroup('SIGSTOP');
    this.current = 'frozen';
  }

  async thaw(): Promise<void> {
    if (this.current !== 'frozen') return;
    this.killGroup('SIGCONT');
    this.current = 'running';
  }

  signal(signal: NodeJS.Signals): void {
    if (this.current === 'exited') return;
    this.child?.kill(signal);
  }

  async kill(): Promise<SandboxExit> {
    if (this.current === 'exited') return this.exit.promise;
    this.killing = true;
    if (!this.child) {
      this.settle({ code: null, signal: 'SIGKILL' });
      return this.exit.promise;
    }
    this.killGroup('SIGKILL');
    return this.exit.promise;
  }

  /** Resident set of the command's process (VmRSS; Linux only, 0 elsewhere). */
  memoryUsedBytes(): number {
    const pid = this.child?.pid;
    if (this.current === 'exited' || pid === undefined) return 0;
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  }

  /**
   * Peak RSS of the command's process (VmHWM; Linux only, 0 elsewhere). After exit: the
   * last value read while it ran (a dead process has no /proc entry left to ask).
   */
  maxMemoryUsedBytes(): number {
    const pid = this.child?.pid;
    if (this.current === 'exited' || pid === undefined) return this.lastPeak;
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb) this.lastPeak = Number(kb) * 1024;
    } catch {
      // exiting
    }
    return this.lastPeak;
  }

  resetMaxMemory(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.current === 'exited') return;
    this.lastPeak = 0;
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // not Linux, or not allowed
    }
  }
}
