/**
 * One Linux sandbox: a launcher process (launcher.ts) driven through its fd-3 events.
 *
 * A pooled sandbox (prewarm.ts) is booted ahead of time with a pool's command and no function:
 * boot() starts it without /var/task, /opt and /tmp, and resolves once the runtime runs (it
 * then waits on its stdin). adopt() gives it a function's spec; start() then mounts that
 * function's directories into it and hands the runtime the environment, instead of starting
 * a process. It is single-use like any sandbox: it ends with its function's environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Cgroup, CgroupLimits } from '../cgroups/cgroup.js';
import type { Sandbox, SandboxExit, SandboxSpec, SandboxState } from '../sandbox.js';
import { SandboxStartError } from '../sandbox.js';
import { deferred, errnoName, signalName } from '../util.js';
import type { LauncherEvent, Mount, Relay, VethConfig } from './launcher.js';
import { encodeAssign, encodeLaunch, parseLauncherLine } from './launcher.js';
import type { LauncherProcess } from './launcher-process.js';
import type { Rootfs } from './rootfs.js';
import type { TmpVolumes } from './tmp-volumes.js';

export const LINUX_LAYOUT = {
  task: '/var/task',
  opt: '/opt',
  runtime: '/var/runtime',
  tmp: '/tmp',
  langBin: '/var/lang/bin',
  runtimeModules: '/var/runtime/node_modules',
  /** Where the Runtime API's unix socket appears (Sandbox.runtimeSocket); AWS's init lives at /var/rapid. */
  rapid: '/var/rapid',
} as const;

/** The Runtime API's unix socket inside a sandbox, for Lambent's own runtimes (rapid-client.mjs, bootstrap.py). */
export const RUNTIME_SOCKET = `${LINUX_LAYOUT.rapid}/runtime.sock`;

/**
 * What a sandbox sees of its runtime: Lambent's bootstraps at /var/runtime, the runtime's
 * node_modules (the AWS SDK) inside it, and its language at /var/lang — or, without a
 * language (`provided.*`), blanks over the host's node and python.
 */
export function runtimeMounts(
  spec: SandboxSpec,
  rootfs: Rootfs,
  view: (dir: string) => string = (dir) => dir,
): Mount[] {
  return [
    { kind: 'ro', source: view(spec.runtimeDir), target: LINUX_LAYOUT.runtime },
    ...(spec.sdkDir
      ? [{ kind: 'ro' as const, source: view(spec.sdkDir), target: LINUX_LAYOUT.runtimeModules }]
      : []),
    ...(spec.langDir
      ? [{ kind: 'ro' as const, source: view(spec.langDir), target: '/var/lang' }]
      : rootfs.hidden),
  ];
}

/**
 * What a pool's entry point prints on stdout once it has loaded and waits for its assignment
 * (runtimes/nodejs/pool.mjs, runtimes/python/pool.py); never seen by a function.
 */
export const POOL_READY = 'lambent-pool-ready\n';

/** Lambda's per-environment file descriptor limit. */
const NOFILE = 1024;
/** Connections a relayed port carries at once unless the spec says otherwise. */
const RELAY_CONNECTIONS = 64;

export type SandboxNetwork = { network: 'host' | 'none' } | { network: 'veth'; veth: VethConfig };

function relaysOf(spec: SandboxSpec): Relay[] {
  return (spec.loopbackPorts ?? []).map((p) =>
    typeof p === 'number'
      ? { port: p, hostPort: p, maxConnections: RELAY_CONNECTIONS }
      : {
          port: p.port,
          hostPort: p.hostPort ?? p.port,
          ...(p.token ? { token: p.token } : {}),
          maxConnections: p.maxConnections ?? RELAY_CONNECTIONS,
        },
  );
}

export interface LinuxSandboxDeps {
  syscalls: Record<string, number>;
  /** The seccomp filter every sandbox process runs under (seccomp.ts). */
  seccomp: Buffer;
  rootfs: Rootfs;
  /** Absent: bind tmpDir as it is (the provider's own smoke test). */
  tmp: TmpVolumes | undefined;
  /** Where to bind a host directory from: its path-less view if it has one (path-views.ts). */
  view?(dir: string): string;
  /** A tmpfs where each sandbox gets a directory for its Runtime API socket (Sandbox.runtimeSocket). */
  sockets?: string;
  hostname: string;
  /** The network of a sandbox with this uid (provider.ts: namespaces, veth addresses). */
  net(uid: number, outbound: boolean): SandboxNetwork;
  /** Called once the command runs. */
  started(sandbox: LinuxSandbox): void;
  /** Called once the sandbox is gone and its uid free. */
  released(sandbox: LinuxSandbox): void;
}

type Status = { code: number | null; signal: NodeJS.Signals | null };

export class LinuxSandbox implements Sandbox {
  private current: SandboxState = 'created';
  /** Pooled: booted ahead of time; `booted` settles when its runtime runs, unassigned. */
  private readonly booted = deferred<void>();
  private assigned = false;
  /** Pooled: the command runs ('exec', fd 3) and has printed POOL_READY ('loaded', stdout), in either order. */
  private readonly bootSteps = new Set<'exec' | 'loaded'>();
  private initPid: number | undefined;
  private readonly events: LauncherEvent[] = [];
  private readonly started = deferred<void>();
  private readonly exit = deferred<SandboxExit>();
  private killing = false;
  private startFailure: SandboxStartError | undefined;
  private lastPeak = 0;
  /** Host directory holding the Runtime API socket, once runtimeSocket was read. */
  private socketDir: string | undefined;

  constructor(
    private spec: SandboxSpec,
    readonly uid: number,
    private readonly cgroup: Cgroup,
    private readonly launcher: LauncherProcess,
    private readonly deps: LinuxSandboxDeps,
    readonly pooled = false,
  ) {
    this.started.promise.catch(() => {});
    this.booted.promise.catch(() => {});
    launcher.attach({
      output: (stream, chunk) => {
        // Pooled and not yet assigned: the runtime's one line says it waits for its function.
        if (this.pooled && !this.assigned && chunk.includes(POOL_READY)) {
          this.bootSteps.add('loaded');
          this.checkBooted();
        } else this.spec.onOutput(stream, chunk);
      },
      event: (line) => this.onEvent(line),
      close: (code, signal, spawnError) => {
        if (spawnError) {
          this.startFailure ??= new SandboxStartError(
            `sandbox ${this.id}: cannot run the launcher: ${spawnError.message}`,
            'setup',
          );
        } else if (code === 124) {
          this.startFailure ??= new SandboxStartError(`sandbox ${this.id}: cannot join its cgroup`, 'setup');
        }
        void this.finish({ code, signal });
      },
    });
  }

  private checkBooted(): void {
    if (this.bootSteps.size === 2 && this.current === 'created') this.booted.resolve();
  }

  get id(): string {
    return this.spec.id;
  }

  get runtimeSocket(): string | undefined {
    const root = this.deps.sockets;
    if (!root) return undefined;
    if (!this.socketDir) {
      // Named by uid (unique among live sandboxes); only that uid may enter it.
      const dir = path.join(root, String(this.uid));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, this.uid, this.uid);
      this.socketDir = dir;
    }
    return path.join(this.socketDir, path.basename(RUNTIME_SOCKET));
  }

  get state(): SandboxState {
    return this.current;
  }

  get exited(): Promise<SandboxExit> {
    return this.exit.promise;
  }

  /** Pooled: starts the pool's command without a function (see the file's header). */
  async boot(): Promise<void> {
    if (!this.pooled || this.current !== 'created') throw new Error(`sandbox ${this.id} cannot boot`);
    this.current = 'starting';
    const { spec, deps } = this;
    let config: Buffer;
    try {
      config = encodeLaunch({
        syscalls: deps.syscalls,
        seccomp: deps.seccomp,
        parentPid: process.pid,
        uid: this.uid,
        gid: this.uid,
        root: deps.rootfs.root,
        hostname: deps.hostname,
        cwd: '/',
        nofile: NOFILE,
        mounts: [...deps.rootfs.mounts, ...runtimeMounts(spec, deps.rootfs, deps.view)],
        env: spec.env,
        argv: spec.command,
        ...deps.net(this.uid, true),
        relays: [],
        pool: true,
      });
    } catch (err) {
      this.startFailure ??= new SandboxStartError(`sandbox ${this.id}: ${(err as Error).message}`, 'setup');
      this.booted.reject(this.startFailure);
      await this.kill();
      return this.booted.promise;
    }
    this.launcher.send(config);
    return this.booted.promise;
  }

  /**
   * Pooled and booted: this sandbox now serves `spec` (same runtimeDir as the pool's, with
   * outbound access); start() assigns it. Its command is the pool's, `spec.command` is unused.
   */
  adopt(spec: SandboxSpec, limits: CgroupLimits): void {
    if (!this.pooled || this.current !== 'created' || this.assigned)
      throw new Error(`sandbox ${this.id} cannot be adopted: it is ${this.current}`);
    this.assigned = true;
    // The function's limits before anything of it runs (a runtime already above its memory fails here).
    this.cgroup.setLimits(limits);
    this.cgroup.resetMemoryPeak();
    this.spec = spec;
  }

  get adopted(): boolean {
    return this.assigned;
  }

  async start(): Promise<void> {
    if (this.current !== 'created') throw new Error(`sandbox ${this.id} cannot start: it is ${this.current}`);
    if (this.pooled && !this.assigned) throw new Error(`sandbox ${this.id} is pooled: adopt() it first`);
    this.current = 'starting';
    const { spec, deps } = this;
    let config: Buffer;
    // Pooled, new tmpDir: a spare volume made ahead of time, moved into place by the launcher.
    const spare = this.pooled ? deps.tmp?.claimSpare(spec.tmpDir, spec.tmpSizeMb, this.uid) : undefined;
    if (spare)
      void this.started.promise.then(
        () => spare.settle(true),
        () => spare.settle(false),
      );
    try {
      if (spare) {
        // mounted by the launcher below
      } else if (deps.tmp) {
        await deps.tmp.ensure(spec.tmpDir, spec.tmpSizeMb);
        await deps.tmp.chown(spec.tmpDir, this.uid, this.uid);
      } else {
        fs.chownSync(spec.tmpDir, this.uid, this.uid);
      }
      const functionMounts: Mount[] = [
        { kind: 'ro', source: deps.view?.(spec.codeDir) ?? spec.codeDir, target: LINUX_LAYOUT.task },
        ...(spec.layersDir
          ? [
              {
                kind: 'ro' as const,
                source: deps.view?.(spec.layersDir) ?? spec.layersDir,
                target: LINUX_LAYOUT.opt,
              },
            ]
          : []),
        { kind: 'rw', source: spec.tmpDir, target: LINUX_LAYOUT.tmp },
        // Read-only is enough: connecting to a socket needs write permission on the socket only.
        ...(this.socketDir
          ? [{ kind: 'ro' as const, source: this.socketDir, target: LINUX_LAYOUT.rapid }]
          : []),
      ];
      const net = deps.net(this.uid, spec.outbound);
      config = this.pooled
        ? encodeAssign(
            functionMounts,
            JSON.stringify({ env: spec.env, command: spec.command, runtimeRoute: spec.runtimeRoute }),
            spare ? [{ from: spare.from, to: spec.tmpDir }] : [],
            deps.net(this.uid, true).network === 'host' ? [] : relaysOf(spec),
          )
        : encodeLaunch({
            syscalls: deps.syscalls,
            seccomp: deps.seccomp,
            parentPid: process.pid,
            uid: this.uid,
            gid: this.uid,
            root: deps.rootfs.root,
            hostname: deps.hostname,
            cwd: LINUX_LAYOUT.task,
            nofile: NOFILE,
            mounts: [
              ...deps.rootfs.mounts,
              ...runtimeMounts(spec, deps.rootfs, deps.view),
              ...functionMounts,
            ],
            env: spec.env,
            argv: spec.command,
            ...net,
            relays: net.network === 'host' ? [] : relaysOf(spec),
          });
    } catch (err) {
      this.startFailure ??= new SandboxStartError(`sandbox ${this.id}: ${(err as Error).message}`, 'setup');
      await this.kill();
      return this.started.promise;
    }
    if (this.current !== 'starting') return this.started.promise; // killed meanwhile
    this.launcher.configure(config);
    return this.started.promise;
  }

  private onEvent(line: string): void {
    const event = parseLauncherLine(line);
    if (!event) return;
    this.events.push(event);
    switch (event.kind) {
      case 'init':
        this.initPid = event.pid;
        break;
      case 'ready':
        if (this.pooled) {
          // Running, unassigned: back to 'created' until adopt() + start(); booted once the
          // runtime reports that it has loaded and waits (POOL_READY).
          if (this.current === 'starting') this.current = 'created';
          this.bootSteps.add('exec');
          this.checkBooted();
          break;
        }
        if (this.current === 'starting') this.current = 'running';
        this.started.resolve();
        this.deps.started(this);
        break;
      case 'assigned':
        if (this.current === 'starting') this.current = 'running';
        this.started.resolve();
        this.deps.started(this);
        break;
      case 'execfail':
        this.startFailure ??= new SandboxStartError(
          `sandbox ${this.id}: cannot execute ${this.spec.command[0]}: ${event.message}`,
          'exec',
          errnoName(event.errno),
        );
        this.booted.reject(this.startFailure);
        this.started.reject(this.startFailure);
        break;
      case 'error':
        this.startFailure ??= new SandboxStartError(
          `sandbox ${this.id}: setup failed: ${event.message}`,
          'setup',
        );
        this.booted.reject(this.startFailure);
        this.started.reject(this.startFailure);
        break;
    }
  }

  private async finish(outer: Status | undefined): Promise<void> {
    if (this.current === 'exited') return;
    let oomKilled = false;
    try {
      oomKilled = this.cgroup.oomKills() > 0;
      this.lastPeak = this.cgroup.memoryPeakBytes();
    } catch {
      // the cgroup is already gone
    }
    try {
      await this.cgroup.remove();
    } catch {
      // left for the provider's sweep of stale cgroups
    }
    this.current = 'exited';
    this.booted.reject(
      new SandboxStartError(`pooled sandbox ${this.id} ended before it was assigned`, 'setup'),
    );
    this.started.reject(
      this.startFailure ??
        (this.killing
          ? new SandboxStartError(`sandbox ${this.id} was killed before its command ran`, 'killed')
          : new SandboxStartError(
              `sandbox ${this.id}: the launcher ended before the command ran (${JSON.stringify(outer)}; ` +
                "its stderr went to the function's output)",
              'setup',
            )),
    );
    if (this.socketDir) fs.rmSync(this.socketDir, { recursive: true, force: true });
    this.deps.released(this);
    this.exit.resolve({ ...this.exitStatus(outer), oomKilled });
  }

  private exitStatus(outer: Status | undefined): Status {
    for (const e of this.events) {
      if (e.kind === 'exit') return { code: e.code, signal: null };
      if (e.kind === 'signal') return { code: null, signal: signalName(e.signal) };
    }
    for (const e of this.events) {
      if (e.kind === 'initsignal') return { code: null, signal: signalName(e.signal) };
      if (e.kind === 'initexit') return { code: e.code, signal: null };
    }
    if (outer?.signal) return { code: null, signal: outer.signal };
    if (outer && !this.killing) return { code: outer.code, signal: null };
    return { code: null, signal: 'SIGKILL' };
  }

  async freeze(): Promise<void> {
    if (this.current === 'exited' || this.current === 'frozen') return;
    if (this.current !== 'running')
      throw new Error(`sandbox ${this.id} cannot freeze: it is ${this.current}`);
    try {
      await this.cgroup.freeze();
    } catch (err) {
      // The state may have changed while the kernel was freezing.
      if (this.state === 'exited' || this.killing) return;
      throw err;
    }
    if (this.state === 'running') this.current = 'frozen';
  }

  async thaw(): Promise<void> {
    if (this.current !== 'frozen') return;
    this.cgroup.thaw();
    this.current = 'running';
  }

  signal(signal: NodeJS.Signals): void {
    if (this.current === 'exited' || this.initPid === undefined) return;
    try {
      process.kill(this.initPid, signal);
    } catch {
      // already gone
    }
  }

  /** Every process of the sandbox, the launcher included, is in its cgroup: kill them all. */
  async kill(): Promise<SandboxExit> {
    if (this.current === 'exited') return this.exit.promise;
    this.killing = true;
    await this.cgroup.killAll().catch(() => {});
    this.launcher.kill();
    return this.exit.promise;
  }

  memoryUsedBytes(): number {
    if (this.current === 'exited') return 0;
    try {
      return this.cgroup.memoryCurrentBytes();
    } catch {
      return 0;
    }
  }

  maxMemoryUsedBytes(): number {
    if (this.current === 'exited') return this.lastPeak;
    try {
      return this.cgroup.memoryPeakBytes();
    } catch {
      return this.lastPeak;
    }
  }

  resetMaxMemory(): void {
    if (this.current === 'exited') return;
    try {
      this.cgroup.resetMemoryPeak();
    } catch {
      // gone
    }
  }
}
