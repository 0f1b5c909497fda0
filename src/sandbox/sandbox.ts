/**
 * The Sandbox contract every execution-environment implementation satisfies (linux/,
 * process/), proven by the one shared suite in conformance.ts. A sandbox is a process tree
 * with limits; the environment lifecycle (INIT/INVOKE/FROZEN/SHUTDOWN), timeouts and the
 * Runtime API belong to the caller, which drives start/freeze/thaw/signal/kill.
 */

export type OutputStream = 'stdout' | 'stderr';

/** A relayed loopback port (SandboxSpec.loopbackPorts) with its options. */
export interface LoopbackRoute {
  /** Port on the sandbox's 127.0.0.1. */
  port: number;
  /** Port on the host's 127.0.0.1 it reaches; default `port`. */
  hostPort?: number;
  /** Each connection starts with `<token>\n` and waits for `K` (RuntimeEndpointOptions.token). */
  token?: string;
  /** Connections carried at once (default 64); more wait in the sandbox. */
  maxConnections?: number;
}

export interface SandboxSpec {
  /** Environment id, unique; used in messages and the hostname. */
  id: string;
  /**
   * argv run inside the sandbox, resolved in the sandbox's own view (PATH from `env`):
   * e.g. `['/var/runtime/nodejs/bootstrap']` or `['/var/task/bootstrap']`.
   */
  command: string[];
  /** The complete environment: nothing is inherited from the host. */
  env: Record<string, string>;
  /** Host directory shown read-only at layout().task (`/var/task`). */
  codeDir: string;
  /** Host directory shown read-only at layout().opt (`/opt`); absent: an empty /opt. */
  layersDir?: string;
  /** Host directory with Lambent's runtimes, shown read-only at layout().runtime (`/var/runtime`). */
  runtimeDir: string;
  /**
   * The language the function runs on (AWS's `/var/lang`): a host directory with `bin/node` or
   * `bin/python3`, shown read-only at layout().langBin's parent. Absent (`provided.*`): no
   * language at all — the Linux sandbox then also hides the host's node and python3.
   */
  langDir?: string;
  /**
   * node_modules of the runtime (AWS's `/var/runtime/node_modules`: the AWS SDK), shown
   * read-only at layout().runtimeModules.
   */
  sdkDir?: string;
  /**
   * Host directory shown writable at layout().tmp (`/tmp`), capped at tmpSizeMb. Its contents
   * outlive the sandbox: reuse it for the next environment of the same function (as Lambda
   * keeps /tmp across a timeout), and hand it to SandboxProvider.releaseTmp() when done.
   */
  tmpDir: string;
  /** EphemeralStorage, MB. */
  tmpSizeMb: number;
  /** MemorySize, MB: the memory limit; CPU share grows with it (1769 MB = one full core). */
  memoryMb: number;
  /** Most processes and threads at once; default 1024 (Lambda's limit). */
  pidsMax?: number;
  /** Whether the function may reach networks beyond the platform (true on Lambda). */
  outbound: boolean;
  /**
   * TCP ports on the host's 127.0.0.1 the sandbox must reach (the Runtime API's and the
   * platform endpoint's): where the sandbox has a network namespace of its own, they are
   * relayed from its own 127.0.0.1, and nothing else of the host's is reachable.
   */
  loopbackPorts?: Array<number | LoopbackRoute>;
  /** Raw output, delivered as it is written. All of it has arrived when `exited` resolves. */
  onOutput(stream: OutputStream, chunk: Buffer): void;
  /**
   * Name of a pool of pre-started sandboxes (SandboxProvider.definePools) that may serve this
   * spec instead of a new sandbox: its runtime was started with the pool's command and gets
   * `env` on its stdin. The caller sets it only when that is equivalent to running `command`
   * with `env` (the pool's entry point then runs the same bootstrap). Only specs with
   * `outbound` and the pool's runtimeDir are served; others start normally.
   */
  pool?: string;
  /**
   * For a pooled runtime only, delivered with its environment but not in it: a second, token-
   * authenticated port of its Runtime API (RuntimeEndpointOptions.token).
   */
  runtimeRoute?: { port: number; token: string };
}

/** A pool of sandboxes started ahead of time with a runtime and no function (see SandboxSpec.pool). */
export interface PoolDefinition {
  name: string;
  /** The pool's entry point: it reads `{"env": {...}}` on stdin, then runs the function's bootstrap. */
  command: string[];
  /** Environment the runtime boots with (no function's data). */
  env: Record<string, string>;
  runtimeDir: string;
  /** The pool's language (SandboxSpec.langDir); a spec is served only by a pool with its langDir. */
  langDir: string;
  sdkDir?: string;
  /** Sandboxes kept started; 0 disables the pool. */
  size: number;
}

export interface PoolStatus {
  name: string;
  size: number;
  /** Started and waiting for a function. */
  ready: number;
  booting: number;
  /** Handed to functions since the server started. */
  taken: number;
  /** Specs naming this pool that found it empty (they started normally). */
  missed: number;
  failures: number;
  lastError?: string;
}

export interface SandboxExit {
  /** Exit code of the command's process; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The kernel's OOM killer killed a process of this sandbox (cgroup memory limit). */
  oomKilled: boolean;
}

export type SandboxState = 'created' | 'starting' | 'running' | 'frozen' | 'exited';

export interface Sandbox {
  readonly id: string;
  /**
   * The unprivileged uid the sandbox's processes run as. Linux: unique among live sandboxes
   * on the host, so the owner uid of a TCP socket (/proc/net/tcp) identifies the sandbox.
   * Known from create() on.
   */
  readonly uid: number;
  /**
   * Host path of a unix socket that the sandbox's runtime finds at RUNTIME_SOCKET
   * (/var/rapid/runtime.sock): the Runtime API listens there for Lambent's own runtimes, a way in
   * without the relay that carries AWS_LAMBDA_RUNTIME_API's TCP port into the sandbox's network
   * namespace. Undefined where the provider has no such way (then only the TCP port serves).
   * Read it before start(): its directory is made on first read.
   */
  readonly runtimeSocket?: string | undefined;
  readonly state: SandboxState;
  /** Resolves once the command runs (exec succeeded); rejects with SandboxStartError. */
  start(): Promise<void>;
  /** Stops every process until thaw(); resolves once they are stopped. No-op once exited. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Sends a signal to the command's process (e.g. SIGTERM at SHUTDOWN). */
  signal(signal: NodeJS.Signals): void;
  /** Kills the whole process tree (frozen or not) and releases the sandbox; idempotent. */
  kill(): Promise<SandboxExit>;
  /** Resolves when the command's process has ended, all output is delivered and resources are released. */
  readonly exited: Promise<SandboxExit>;
  /** Peak memory since start or the last resetMaxMemory() (cgroup peak; process fallback: peak RSS). */
  maxMemoryUsedBytes(): number;
  /** Memory in use now (cgroup usage; process fallback: resident set of the command). */
  memoryUsedBytes(): number;
  resetMaxMemory(): void;
}

/** Where the sandboxed process finds things (build the function's env and command with these). */
export interface SandboxLayout {
  task: string;
  opt: string;
  runtime: string;
  tmp: string;
  /** Directory holding `node`, `python3`, ... (AWS's /var/lang/bin): the spec's langDir/bin. */
  langBin: string;
  /** The runtime's node_modules (AWS's /var/runtime/node_modules): the spec's sdkDir. */
  runtimeModules: string;
}

/** What layout() depends on. */
export type LayoutDirs = Pick<
  SandboxSpec,
  'codeDir' | 'layersDir' | 'runtimeDir' | 'tmpDir' | 'langDir' | 'sdkDir'
>;

export type SandboxIsolation = 'linux' | 'process';

export interface ProviderDescription {
  isolation: SandboxIsolation;
  /** Why full isolation is not in force (empty for linux). */
  missing: string[];
  details: Record<string, string>;
  /** Pools of pre-started sandboxes (see SandboxProvider.definePools). */
  pools?: PoolStatus[];
}

export interface SandboxProvider {
  readonly isolation: SandboxIsolation;
  layout(dirs: LayoutDirs): SandboxLayout;
  /** Creates a sandbox (not started). Throws SandboxStartError when no uid or cgroup is available. */
  create(spec: SandboxSpec): Sandbox;
  /** The function behind tmpDir is gone: drop its /tmp (unmount and delete its volume). */
  releaseTmp(tmpDir: string): Promise<void>;
  describe(): ProviderDescription;
  /**
   * Replaces the pools of pre-started sandboxes (filled in the background at low priority).
   * Providers without the means (process) ignore it: specs naming a pool start normally.
   */
  definePools(pools: PoolDefinition[]): void;
  /** Each defined pool's state (empty when the provider keeps no pools). */
  poolStatus(): PoolStatus[];
  /**
   * Whether a sandbox with this outbound setting gets a network namespace of its own, so that
   * only it can reach its relayed loopback ports (absent: never).
   */
  privateNetwork?(outbound: boolean): boolean;
  /** Kills every live sandbox and releases what the provider made. */
  close(): Promise<void>;
}

export type SandboxStartFailure =
  /** The command could not be executed (missing, not executable): Lambda's Runtime.InvalidEntrypoint. */
  | 'exec'
  /** Building the sandbox failed (mounts, cgroup, uid): a platform fault. */
  | 'setup'
  /** kill() was called before the command ran. */
  | 'killed';

export class SandboxStartError extends Error {
  override readonly name = 'SandboxStartError';

  constructor(
    message: string,
    readonly reason: SandboxStartFailure,
    /** errno name for 'exec' failures, e.g. ENOENT, EACCES. */
    readonly errno?: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PIDS_MAX = 1024;

/** Lambda: 1769 MB of memory buys one full vCPU. */
export const MB_PER_CORE = 1769;
