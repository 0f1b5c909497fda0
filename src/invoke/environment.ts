/**
 * One execution environment: a sandbox running a runtime, its own Runtime API endpoint and
 * its own log stream. Its lifecycle is the explicit table below; the scheduler decides
 * when environments start, serve and stop.
 *
 *   initializing ──▶ ready ◀──▶ busy          (init done; one invocation at a time)
 *        │            │  ▲                     ready ──▶ frozen after a short idle delay,
 *        │            ▼  │                     frozen ──▶ busy thaws first
 *        │          frozen
 *        └──────────────┴──────▶ stopping ──▶ stopped   (reaped, timed out, crashed, replaced)
 */
import { randomUUID } from 'node:crypto';
import type {
  InitOutcome,
  InvocationResult,
  ResponseSink,
  RuntimeEndpoint,
} from '../sandbox/runtime-api/types.js';
import type { Sandbox, SandboxExit } from '../sandbox/sandbox.js';
import { exitPayload, type PlatformLog, timeoutPayload } from './log-format.js';
import type { OutputCapture } from './output-capture.js';

export type EnvironmentState = 'initializing' | 'ready' | 'frozen' | 'busy' | 'stopping' | 'stopped';

const TRANSITIONS: Readonly<Record<EnvironmentState, readonly EnvironmentState[]>> = {
  initializing: ['ready', 'stopping'],
  ready: ['busy', 'frozen', 'stopping'],
  frozen: ['busy', 'stopping'],
  busy: ['ready', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Lambda's limit for the INIT phase. */
export const INIT_TIMEOUT_MS = 10_000;

export interface EnvironmentOptions {
  id: string;
  /** Which function version (and configuration) this environment serves. */
  key: string;
  version: string;
  invokedArn: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** 1 ms billing (current Lambda) or 100 ms (older). */
  billingGranularityMs: 1 | 100;
  /** Wait this long idle before freezing (freezing right away costs every warm invoke). */
  freezeDelayMs: number;
  sandbox: Sandbox;
  endpoint: RuntimeEndpoint;
  capture: OutputCapture;
  /** START/END/REPORT in the function's log format. */
  platformLog: PlatformLog;
  /** The /tmp directory this environment used, handed back when it stops. */
  tmpDir: string;
  /** When its credentials expire (ms since the epoch): the scheduler retires it before then. */
  retireAt?: number;
  onStopped(env: Environment): void;
}

export interface InvokeRequest {
  requestId: string;
  payload: Buffer;
  clientContext?: string;
  /** Collect the last 4 KB of log for `LogType: Tail`. */
  tail: boolean;
  /** The ARN this invocation was made with (an alias's, say), when not the environment's. */
  invokedArn?: string;
  /**
   * Response streaming: a streamed response goes here as it is written (src/invoke/response-stream.ts).
   * The invocation still ends, with START/END/REPORT, duration and memory, when the stream ends.
   */
  stream?: ResponseSink;
}

export interface InvokeOutcome {
  result: InvocationResult;
  /** Present when the request asked for the tail. */
  logTail?: string;
  durationMs: number;
  /** The environment cannot serve again (timeout, crash, init failure). */
  environmentLost: boolean;
}

type Ending =
  | { kind: 'result'; result: InvocationResult }
  | { kind: 'timeout' }
  | { kind: 'exit'; exit: SandboxExit };

export class Environment {
  readonly id: string;
  readonly key: string;
  state: EnvironmentState = 'initializing';
  lastUsedAt = Date.now();
  /** Started for provisioned concurrency: kept (never reaped) and served first. */
  provisioned = false;
  /** Called once the sandbox is frozen (the scheduler then counts its real memory use). */
  onFrozen: (() => void) | undefined;
  private initDurationMs: number | undefined;
  private initOutcome: InitOutcome | undefined;
  private freezeTimer: NodeJS.Timeout | undefined;
  /** The freeze in progress or done; a thaw waits for it so the two never cross. */
  private freezing: Promise<void> = Promise.resolve();
  private readonly startedAt = performance.now();

  constructor(private readonly o: EnvironmentOptions) {
    this.id = o.id;
    this.key = o.key;
    o.sandbox.exited.then((exit) => this.onExit(exit));
  }

  /** True when its credentials expire within `marginMs` (it must not take another invocation). */
  retiring(now: number, marginMs: number): boolean {
    return this.o.retireAt !== undefined && this.o.retireAt - now <= marginMs;
  }

  get tmpDir(): string {
    return this.o.tmpDir;
  }

  /** INIT ended without the runtime asking for its first event (init error, crash, INIT timeout). */
  get initFailed(): boolean {
    return this.initOutcome !== undefined ? this.initOutcome.kind !== 'ready' : this.state !== 'initializing';
  }

  /** INIT: starts the sandbox and waits for the runtime's first `/next` or its init error. */
  async init(): Promise<void> {
    try {
      await this.o.sandbox.start();
    } catch (err) {
      // The command could not run at all (missing or not executable bootstrap).
      this.initOutcome = {
        kind: 'init-error',
        errorType: 'Runtime.InvalidEntrypoint',
        payload: Buffer.from(
          JSON.stringify({
            errorType: 'Runtime.InvalidEntrypoint',
            errorMessage: err instanceof Error ? err.message : String(err),
          }),
        ),
      };
      this.initDurationMs = performance.now() - this.startedAt;
      if (this.state === 'initializing') this.transition('ready');
      return;
    }
    const outcome = await Promise.race([
      this.o.endpoint.initialized,
      delay(INIT_TIMEOUT_MS).then(() => undefined),
      this.o.sandbox.exited.then(() => undefined),
    ]).catch(() => undefined);
    this.initDurationMs = performance.now() - this.startedAt;
    this.initOutcome = outcome;
    if (this.state === 'initializing') this.transition('ready');
    // Idle until its first invocation (which cancels this): a provisioned environment, or one
    // whose request was served sooner by another, is frozen like any idle environment.
    if (this.state === 'ready' && outcome?.kind === 'ready') this.scheduleFreeze();
  }

  /** INVOKE: runs one invocation to its end: response, error, timeout or crash. */
  async invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    this.clearFreezeTimer();
    const wasFrozen = this.state === 'frozen';
    this.transition('busy');
    if (wasFrozen) {
      await this.freezing;
      await this.o.sandbox.thaw();
    }
    const { capture, sandbox, endpoint } = this.o;
    if (req.tail) capture.beginTail();
    for (const line of this.o.platformLog.start(req.requestId, this.o.version)) capture.line(line);
    sandbox.resetMaxMemory();
    const started = performance.now();
    const deadlineMs = Date.now() + this.o.timeoutSeconds * 1000;

    let ending: Ending;
    if (this.initOutcome?.kind !== 'ready') {
      ending = this.initFailure(req.requestId);
    } else {
      const timer = { id: undefined as NodeJS.Timeout | undefined };
      ending = await Promise.race<Ending>([
        endpoint
          .invoke({
            requestId: req.requestId,
            payload: req.payload,
            deadlineMs,
            invokedFunctionArn: req.invokedArn ?? this.o.invokedArn,
            traceId: traceId(),
            ...(req.clientContext !== undefined ? { clientContext: req.clientContext } : {}),
            ...(req.stream !== undefined ? { stream: req.stream } : {}),
          })
          .then((result) => ({ kind: 'result' as const, result }))
          // The endpoint was aborted: the sandbox is ending; its exit says why.
          .catch(() => sandbox.exited.then((exit) => ({ kind: 'exit' as const, exit }))),
        new Promise<Ending>((resolve) => {
          timer.id = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, deadlineMs - Date.now()));
        }),
        sandbox.exited.then((exit) => ({ kind: 'exit' as const, exit })),
      ]);
      clearTimeout(timer.id);
    }
    const durationMs = performance.now() - started;

    let result: InvocationResult;
    let lost = false;
    if (ending.kind === 'result') {
      result = ending.result;
    } else if (ending.kind === 'timeout') {
      lost = true;
      for (const line of this.o.platformLog.timedOut(req.requestId, this.o.timeoutSeconds))
        capture.line(line);
      result = {
        kind: 'error',
        payload: timeoutPayload(req.requestId, this.o.timeoutSeconds),
        errorType: 'Sandbox.Timedout',
      };
    } else {
      lost = true;
      result = { kind: 'error', payload: exitPayload(req.requestId, ending.exit) };
    }
    if (this.initOutcome?.kind !== 'ready') lost = true;
    // The runtime wrote its output to the pipe before it sent the response, but both may
    // become readable in the same turn with the response handled first: let the rest of that
    // turn's I/O in, so the function's last lines come before END (and into the tail).
    if (ending.kind === 'result') await new Promise<void>((resolve) => setImmediate(resolve));

    capture.flushPartial();
    const report = this.o.platformLog.end({
      requestId: req.requestId,
      durationMs,
      billedMs: Math.max(
        this.o.billingGranularityMs,
        Math.ceil(durationMs / this.o.billingGranularityMs) * this.o.billingGranularityMs,
      ),
      memorySizeMb: this.o.memoryMb,
      maxMemoryUsedMb: Math.max(1, Math.round(sandbox.maxMemoryUsedBytes() / (1024 * 1024))),
      // A provisioned environment ran INIT ahead of time: Lambda reports no Init Duration.
      ...(this.initDurationMs !== undefined && !this.provisioned
        ? { initDurationMs: this.initDurationMs }
        : {}),
      ...(ending.kind === 'timeout' ? { status: 'timeout' as const } : {}),
    });
    for (const line of report) capture.line(line);
    // Init Duration appears on an environment's first invocation only.
    this.initDurationMs = undefined;
    const logTail = req.tail ? capture.endTail() : undefined;
    this.lastUsedAt = Date.now();

    if (lost) {
      // Finish stopping before answering, so the next invocation's new environment can take
      // over this one's /tmp (Lambda keeps /tmp across a timeout or crash).
      await this.stop();
    } else if (this.state === 'busy') {
      this.transition('ready');
      this.scheduleFreeze();
    }
    return { result, durationMs, environmentLost: lost, ...(logTail !== undefined ? { logTail } : {}) };
  }

  /** SHUTDOWN: kills the sandbox (SIGTERM grace is the sandbox's business) and closes the endpoint. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.clearFreezeTimer();
    this.transition('stopping');
    this.o.endpoint.abort(new Error('environment stopped'));
    await this.o.sandbox.kill().catch(() => undefined);
    await this.o.endpoint.close().catch(() => undefined);
    this.o.capture.flushPartial();
    this.transition('stopped');
    this.o.onStopped(this);
  }

  private initFailure(requestId: string): Ending {
    if (this.initOutcome?.kind === 'init-error') {
      return {
        kind: 'result',
        result: {
          kind: 'error',
          payload: this.initOutcome.payload,
          ...(this.initOutcome.errorType ? { errorType: this.initOutcome.errorType } : {}),
        },
      };
    }
    // The runtime never reached /next: it died during INIT or overran the INIT limit.
    return {
      kind: 'result',
      result: {
        kind: 'error',
        payload: Buffer.from(
          JSON.stringify({
            errorType: 'Runtime.Unknown',
            errorMessage: `RequestId: ${requestId} Error: Runtime failed to start within ${INIT_TIMEOUT_MS / 1000} seconds or exited during init`,
          }),
        ),
      },
    };
  }

  /** Memory the sandbox uses now (its cgroup's usage). */
  memoryUsedBytes(): number {
    return this.o.sandbox.memoryUsedBytes();
  }

  private onExit(_exit: SandboxExit): void {
    // A sandbox that ends on its own between invocations takes the environment with it.
    // During INIT or INVOKE the running phase sees the exit and reports it first.
    if (this.state === 'ready' || this.state === 'frozen') void this.stop();
  }

  private scheduleFreeze(): void {
    this.freezeTimer = setTimeout(() => {
      this.freezeTimer = undefined;
      if (this.state !== 'ready') return;
      this.transition('frozen');
      this.freezing = this.o.sandbox
        .freeze()
        .then(() => {
          if (this.state === 'frozen') this.onFrozen?.();
        })
        .catch(() => undefined);
    }, this.o.freezeDelayMs);
    this.freezeTimer.unref();
  }

  private clearFreezeTimer(): void {
    if (this.freezeTimer) clearTimeout(this.freezeTimer);
    this.freezeTimer = undefined;
  }

  private transition(to: EnvironmentState): void {
    if (!TRANSITIONS[this.state].includes(to)) {
      throw new Error(`environment ${this.id}: illegal transition ${this.state} → ${to}`);
    }
    this.state = to;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** An X-Ray style trace header: Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0. */
function traceId(): string {
  const id = randomUUID().replaceAll('-', '');
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${id.slice(0, 24)};Parent=${id.slice(16, 32)};Sampled=0`;
}
