/**
 * Builds an execution environment for a function version: the Runtime API endpoint that
 * only this sandbox reaches (through its relay, with a token; or by its uid where it shares
 * the host's network), the sandbox with the function's code, layers, /tmp and
 * limits, the exact environment variables Lambda sets, and the log stream its output goes to.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { createRuntimeEndpoint } from '../sandbox/runtime-api/endpoint.js';
import { peerUidOf } from '../sandbox/runtime-api/peer-uid.js';
import type { PoolDefinition, SandboxLayout, SandboxProvider } from '../sandbox/sandbox.js';
import { SandboxStartError } from '../sandbox/sandbox.js';
import type { LogsApi } from '../services/logs/index.js';
import type { Logger } from '../shared/logger.js';
import { functionIdOf } from './concurrency.js';
import { Environment } from './environment.js';
import type { LogBudget } from './log-budget.js';
import { logStreamName, platformLog } from './log-format.js';
import { type LogEvent, OutputCapture } from './output-capture.js';
import { familyOf, type LanguageFamily, type LanguageRuntime, type RuntimeCatalog } from './runtimes.js';

/**
 * Connections one environment keeps open at once through its relay: to its Runtime API (a
 * runtime needs one or two; the endpoint also refuses past its own cap) and to the platform
 * (the AWS SDKs pool up to 50). More wait inside the sandbox, so one function cannot use up
 * the server's descriptors.
 */
const RUNTIME_API_CONNECTIONS = 8;
const PLATFORM_CONNECTIONS = 128;

/** How long log lines wait to be stored together (they still appear "live"). */
const LOG_FLUSH_MS = 10;

/** What the invoke layer needs to know about the function version it runs. */
export interface FunctionTarget {
  accountId: string;
  region: string;
  name: string;
  version: string;
  /** Unqualified or qualified ARN the caller used (the runtime's invokedFunctionArn). */
  arn: string;
  runtime: string;
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  ephemeralMb: number;
  environment: Record<string, string>;
  logGroup: string;
  logFormat: 'Text' | 'JSON';
  applicationLogLevel?: string;
  systemLogLevel?: string;
  codeDir: string;
  /** Directory with the function's layers merged (as /opt), if it has layers. */
  layersDir?: string;
  /** Whether the function may reach networks beyond the platform (server setting and function tag). */
  outbound: boolean;
  /** The execution role (its ARN): each environment gets temporary credentials of it. */
  role: string;
}

/** Temporary credentials of a function's execution role, for one environment. */
export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When they expire (ms since the epoch): the environment is retired before then. */
  expiresAt: number;
  /** Revokes them at once (the environment ended). */
  revoke(): void;
  /**
   * Set when the role may not write the function's logs (IAM enforced): AWS's denial. The
   * environment's output is then not stored, as on AWS, and each tail says why.
   */
  logsDenied?: string;
}

export interface LaunchContext {
  sandboxes: SandboxProvider;
  logs: LogsApi | undefined;
  logger: Logger;
  /** Host dir with src/runtimes (mounted at /var/runtime). */
  runtimeDir: string;
  /** Host node_modules with the AWS SDK for JavaScript (mounted at /var/runtime/node_modules for Node). */
  sdkDir?: string;
  /** Which interpreter serves each runtime. */
  runtimes: RuntimeCatalog;
  /** Where per-function /tmp directories live. */
  tmpRoot: string;
  /** The platform endpoint functions reach (AWS_ENDPOINT_URL). */
  endpointUrl: () => string;
  billingGranularityMs: 1 | 100;
  freezeDelayMs: number;
  outbound: boolean;
  /** Largest streamed response (default: the Runtime API's, 200 MiB). */
  maxStreamedResponseBytes?: number;
  /** What function output is kept (rate per function, disk); absent: all of it. */
  logBudget?: LogBudget;
  /** Issues an environment's credentials for the function's execution role (never the account's keys). */
  credentials(t: FunctionTarget, logStream: string): EnvironmentCredentials;
}

/** `AWS_LAMBDA_INITIALIZATION_TYPE`: how the environment came to be. */
export type InitializationType = 'on-demand' | 'provisioned-concurrency';

/** Runtime families whose bootstrap is Lambent's: their sandboxes can be started before the function is known. */
export type PooledFamily = LanguageFamily;
export type PoolSizes = number | Partial<Record<PooledFamily, number>>;

/** What every environment of a family gets whatever the function: the pool boots with exactly this. */
function bootEnvironment(family: PooledFamily, layout: SandboxLayout): Record<string, string> {
  return { ...baseEnvironment(layout), ...(family === 'python' ? { PYTHONUNBUFFERED: '1' } : {}) };
}

/** The variables every runtime starts with (a function's own Environment may override them). */
function baseEnvironment(layout: SandboxLayout): Record<string, string> {
  return {
    PATH: `${layout.langBin}:/usr/local/bin:/usr/bin:/bin:${layout.opt}/bin`,
    LD_LIBRARY_PATH: `${layout.langBin}/../lib:/lib64:/usr/lib64:${layout.runtime}:${layout.runtime}/lib:${layout.task}:${layout.task}/lib:${layout.opt}/lib`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  };
}

/**
 * The pools of pre-started sandboxes, one per interpreter in use (`nodejs22`, `python3.11`:
 * RuntimeCatalog.pools()). Their entry points (runtimes/nodejs/pool.mjs,
 * runtimes/python/pool.py) take a function's environment on stdin and run its bootstrap.
 * `sizes` is `lambda.prewarmPoolSize`: one size for every pool, or one per family.
 */
export function poolDefinitions(
  sandboxes: SandboxProvider,
  runtimeDir: string,
  sizes: PoolSizes,
  langs: LanguageRuntime[],
  sdkDir?: string,
): PoolDefinition[] {
  return langs.map((lang) => {
    const dirs = runtimeDirs(lang, runtimeDir, sdkDir);
    const layout = sandboxes.layout({ codeDir: runtimeDir, tmpDir: runtimeDir, ...dirs });
    return {
      name: lang.pool,
      command:
        lang.family === 'nodejs'
          ? [`${layout.langBin}/node`, `${layout.runtime}/nodejs/pool.mjs`]
          : [`${layout.langBin}/python3`, `${layout.runtime}/python/pool.py`],
      env: bootEnvironment(lang.family, layout),
      ...dirs,
      langDir: lang.langDir,
      size: typeof sizes === 'number' ? sizes : (sizes[lang.family] ?? 0),
    };
  });
}

/** The runtime directories a sandbox of this language gets (the SDK for Node only, as on Lambda). */
function runtimeDirs(
  lang: LanguageRuntime | undefined,
  runtimeDir: string,
  sdkDir: string | undefined,
): { runtimeDir: string; langDir?: string; sdkDir?: string } {
  return {
    runtimeDir,
    ...(lang ? { langDir: lang.langDir } : {}),
    ...(lang?.family === 'nodejs' && sdkDir ? { sdkDir } : {}),
  };
}

/**
 * Variables an interpreter (or the dynamic loader, or a wrapper) reads when it starts, before
 * a pooled runtime learns the function's environment. NODE_PATH and PYTHONPATH are applied
 * by the pool's entry points.
 */
const READ_AT_PROCESS_START =
  /^(NODE_(?!PATH$)|PYTHON(?!PATH$)|LD_|LC_|LANG$|LANGUAGE$|TZ$|MALLOC_|GLIBC_|UV_|OPENSSL_|SSL_CERT_|AWS_LAMBDA_EXEC_WRAPPER$)/;

/**
 * The pool that may serve this function, if any: a Lambent bootstrap family, with outbound
 * access (without it the sandbox needs its own network namespace and relays for this
 * environment's Runtime API port, made before the runtime starts), and an environment that
 * agrees with the pool's on everything read at process start.
 */
export function poolFor(
  lang: Pick<LanguageRuntime, 'family' | 'pool'> | undefined,
  env: Record<string, string>,
  outbound: boolean,
  layout: SandboxLayout,
): string | undefined {
  if (!lang || !outbound) return undefined;
  const boot = bootEnvironment(lang.family, layout);
  for (const key of new Set([...Object.keys(env), ...Object.keys(boot)])) {
    if (READ_AT_PROCESS_START.test(key) && env[key] !== boot[key]) return undefined;
  }
  return lang.pool;
}

/** Lambda's reserved variables: a function's own Environment cannot override these. */
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** The command a runtime family runs, as the sandbox sees paths. */
export function runtimeCommand(
  runtime: string,
  layout: SandboxLayout,
  t: Pick<FunctionTarget, 'codeDir' | 'layersDir'>,
): string[] {
  if (runtime.startsWith('nodejs'))
    return [`${layout.langBin}/node`, `${layout.runtime}/nodejs/bootstrap.mjs`];
  if (runtime.startsWith('python'))
    return [`${layout.langBin}/python3`, `${layout.runtime}/python/bootstrap.py`];
  if (runtime.startsWith('provided')) {
    // Lambda looks for bootstrap in the code first, then in the layers; when neither has one,
    // starting /var/task/bootstrap fails and the caller reports Runtime.InvalidEntrypoint.
    if (
      !existsSync(path.join(t.codeDir, 'bootstrap')) &&
      t.layersDir &&
      existsSync(path.join(t.layersDir, 'bootstrap'))
    ) {
      return [`${layout.opt}/bootstrap`];
    }
    return [`${layout.task}/bootstrap`];
  }
  throw new Error(`runtime ${runtime} is not available in Lambent yet`);
}

export function lambdaEnvironment(
  t: FunctionTarget,
  layout: SandboxLayout,
  extra: {
    runtimeApi: string;
    logStream: string;
    endpointUrl: string;
    initType?: InitializationType;
    /** Python: where boto3 is (after the function's packages and layers). */
    pythonSdkPath?: string;
    /** The environment's execution-role credentials (absent: empty, as in a pool's compatibility check). */
    credentials?: Pick<EnvironmentCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;
  },
): Record<string, string> {
  const own = Object.fromEntries(Object.entries(t.environment).filter(([k]) => !RESERVED.has(k)));
  const pyVersion = t.runtime.startsWith('python') ? t.runtime.slice('python'.length) : '';
  const env: Record<string, string> = {
    ...baseEnvironment(layout),
    ...own,
    _HANDLER: t.handler,
    AWS_REGION: t.region,
    AWS_DEFAULT_REGION: t.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${t.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: t.name,
    AWS_LAMBDA_FUNCTION_VERSION: t.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(t.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: extra.initType ?? 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: t.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: extra.logStream,
    AWS_LAMBDA_RUNTIME_API: extra.runtimeApi,
    AWS_ACCESS_KEY_ID: extra.credentials?.accessKeyId ?? '',
    AWS_SECRET_ACCESS_KEY: extra.credentials?.secretAccessKey ?? '',
    AWS_SESSION_TOKEN: extra.credentials?.sessionToken ?? '',
    LAMBDA_TASK_ROOT: layout.task,
    LAMBDA_RUNTIME_DIR: layout.runtime,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_LAMBDA_LOG_FORMAT: t.logFormat,
    // Lambent's addition: the SDK inside a function reaches this platform with no configuration.
    AWS_ENDPOINT_URL: extra.endpointUrl,
  };
  if (t.applicationLogLevel) env.AWS_LAMBDA_LOG_LEVEL = t.applicationLogLevel;
  if (t.runtime.startsWith('nodejs')) {
    const major = t.runtime.slice('nodejs'.length).replace('.x', '');
    env.NODE_PATH = [
      `${layout.opt}/nodejs/node${major}/node_modules`,
      `${layout.opt}/nodejs/node_modules`,
      `${layout.runtimeModules}`,
      `${layout.runtime}`,
      `${layout.task}`,
    ].join(':');
    env.NODE_OPTIONS = own.NODE_OPTIONS ?? '';
  }
  if (t.runtime.startsWith('python')) {
    env.PYTHONPATH = [
      `${layout.runtime}`,
      `${layout.task}`,
      `${layout.opt}/python/lib/python${pyVersion}/site-packages`,
      `${layout.opt}/python`,
      ...(extra.pythonSdkPath ? [extra.pythonSdkPath] : []),
    ].join(':');
    env.PYTHONUNBUFFERED = '1';
  }
  if (!env.NODE_OPTIONS) delete env.NODE_OPTIONS;
  return env;
}

/** Starts an environment (sandbox + Runtime API + log stream) and runs its INIT phase. */
export async function launchEnvironment(
  ctx: LaunchContext,
  t: FunctionTarget,
  key: string,
  tmpDir: string,
  onStopped: (env: Environment) => void,
  initType: InitializationType = 'on-demand',
): Promise<Environment> {
  const id = randomUUID();
  const logStream = logStreamName(t.version);
  let lang: LanguageRuntime | undefined;
  if (familyOf(t.runtime)) {
    try {
      lang = await ctx.runtimes.ensure(t.runtime);
    } catch (err) {
      throw new SandboxStartError(`runtime ${t.runtime} is unavailable: ${(err as Error).message}`, 'setup');
    }
  }
  const dirs = {
    codeDir: t.codeDir,
    tmpDir,
    ...runtimeDirs(lang, ctx.runtimeDir, ctx.sdkDir),
    ...(t.layersDir ? { layersDir: t.layersDir } : {}),
  };
  const pythonSdk = lang?.sdkPath ? { pythonSdkPath: lang.sdkPath } : {};
  const layout = ctx.sandboxes.layout(dirs);
  // The uid is known once the sandbox exists; the endpoint is created first, so it asks late.
  let sandboxUid: number | undefined;
  const outbound = ctx.outbound && t.outbound;
  const linux = ctx.sandboxes.isolation === 'linux';
  // A sandbox in a network namespace of its own reaches its Runtime API only through its relay,
  // which opens each connection on the token port with the token: the endpoint knows it in
  // O(1), and its plain port serves nobody (a host process has no business there).
  const privateNet = linux && (ctx.sandboxes.privateNetwork?.(outbound) ?? false);
  // Otherwise (outbound without nftables) the plain port checks the peer's uid; a function a
  // pre-started sandbox may serve gets the token privately (SandboxSpec.runtimeRoute), to skip
  // that check. (Node's only so far: the Python bootstrap keeps the uid-checked address.)
  const tokenable =
    lang?.family === 'nodejs' &&
    linux &&
    !privateNet &&
    ctx.sandboxes.poolStatus().some((p) => p.name === lang.pool && p.size > 0) &&
    poolFor(
      lang,
      lambdaEnvironment(t, layout, { runtimeApi: '', logStream, endpointUrl: '' }),
      outbound,
      layout,
    ) === lang.pool;
  const token = tokenable || privateNet ? randomBytes(16).toString('hex') : undefined;
  const endpoint = await createRuntimeEndpoint({
    authorize: async (socket: Socket) => {
      if (!linux) return true;
      if (privateNet) return false;
      return sandboxUid !== undefined && (await peerUidOf(socket)) === sandboxUid;
    },
    ...(token ? { token } : {}),
    ...(ctx.maxStreamedResponseBytes ? { maxStreamedResponseBytes: ctx.maxStreamedResponseBytes } : {}),
  });
  // Lines are gathered for a few milliseconds and stored together: one write per burst
  // (START, output, END, REPORT) instead of one per line keeps the warm path and the WAL light.
  let pending: LogEvent[] = [];
  let flushScheduled = false;
  // False when the execution role may not write the logs (decided below, once per environment).
  let storeLogs = true;
  const flush = () => {
    flushScheduled = false;
    const events = pending;
    pending = [];
    ctx.logs
      ?.append(t.accountId, t.region, t.logGroup, logStream, events)
      .catch((err) => ctx.logger.error(`could not store log events of ${t.name}`, err));
  };
  const platform = platformLog(t.logFormat, t.systemLogLevel);
  const capture = new OutputCapture(
    (event) => {
      if (!storeLogs) return;
      pending.push(event);
      if (!flushScheduled) {
        flushScheduled = true;
        setTimeout(flush, LOG_FLUSH_MS);
      }
    },
    ctx.logBudget?.gate(functionIdOf(t.accountId, t.region, t.name), platform),
  );
  const endpointUrl = ctx.endpointUrl();
  const runtimePort = Number(endpoint.address.split(':')[1]);
  const platformPort = Number(new URL(endpointUrl).port);
  const credentials = ctx.credentials(t, logStream);
  if (credentials.logsDenied !== undefined) {
    storeLogs = false;
    capture.tailNotice(
      `Lambent: this function's logs are not stored: its execution role may not write them (${credentials.logsDenied})`,
    );
  }
  const env = lambdaEnvironment(t, layout, {
    runtimeApi: endpoint.address,
    logStream,
    endpointUrl,
    initType,
    credentials,
    ...pythonSdk,
  });
  const pool = poolFor(lang, env, outbound, layout);
  // A runtime served by another version than it names says so first thing in its log.
  if (lang?.note) capture.write('stderr', Buffer.from(`Lambent: ${lang.note}\n`));
  const sandbox = ctx.sandboxes.create({
    id,
    command: runtimeCommand(t.runtime, layout, t),
    env,
    ...dirs,
    tmpSizeMb: t.ephemeralMb,
    memoryMb: t.memoryMb,
    outbound,
    loopbackPorts: [
      privateNet && token && endpoint.tokenPort
        ? { port: runtimePort, hostPort: endpoint.tokenPort, token, maxConnections: RUNTIME_API_CONNECTIONS }
        : runtimePort,
      { port: platformPort, maxConnections: PLATFORM_CONNECTIONS },
    ],
    onOutput: (stream, chunk) => capture.write(stream, chunk),
    ...(pool ? { pool } : {}),
    ...(pool && tokenable && token && endpoint.tokenPort
      ? { runtimeRoute: { port: endpoint.tokenPort, token } }
      : {}),
  });
  sandboxUid = sandbox.uid;
  // Lambent's runtimes reach their Runtime API on a unix socket in the sandbox when there is
  // one (no relay hop on each call); AWS_LAMBDA_RUNTIME_API's port still serves any other client.
  const socketPath = lang ? sandbox.runtimeSocket : undefined;
  if (socketPath) {
    try {
      await endpoint.listenUnix(socketPath, sandbox.uid);
    } catch (err) {
      await Promise.allSettled([sandbox.kill(), endpoint.close()]);
      throw new SandboxStartError(`Runtime API socket: ${(err as Error).message}`, 'setup');
    }
  }
  const environment = new Environment({
    id,
    key,
    version: t.version,
    invokedArn: t.arn,
    memoryMb: t.memoryMb,
    timeoutSeconds: t.timeoutSeconds,
    billingGranularityMs: ctx.billingGranularityMs,
    freezeDelayMs: ctx.freezeDelayMs,
    sandbox,
    endpoint,
    capture,
    platformLog: platform,
    tmpDir,
    retireAt: credentials.expiresAt,
    onStopped: (env) => {
      credentials.revoke();
      onStopped(env);
    },
  });
  environment.provisioned = initType === 'provisioned-concurrency';
  await environment.init();
  return environment;
}

export function tmpDirFor(ctx: LaunchContext, t: FunctionTarget, slot: number): string {
  return path.join(ctx.tmpRoot, `${t.accountId}-${t.region}-${t.name}`, String(slot));
}
