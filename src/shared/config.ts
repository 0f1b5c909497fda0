/**
 * Configuration, parsed once from CLI flags and the environment, validated by a schema,
 * frozen, and passed down. This is the only module that reads `process.env`.
 */
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const DEFAULT_ACCESS_KEY_ID = 'test';
export const DEFAULT_SECRET_ACCESS_KEY = 'test';
export const DEFAULT_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

const credentialSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  accountId: z.string().regex(/^\d{12}$/, 'account ids are 12 digits'),
});

const configSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(4566),
  dataDir: z.string().min(1).default('./.lambent'),
  /**
   * Downloads shared by every data directory of the machine: the Node builds that serve
   * nodejsNN.x runtimes the host's node does not match (LAMBENT_CACHE_DIR, else
   * $XDG_CACHE_HOME/lambent, else ~/.cache/lambent).
   */
  cacheDir: z
    .string()
    .min(1)
    .default(path.join(os.homedir(), '.cache', 'lambent')),
  /** Whether a missing Node major may be installed from the npm registry (LAMBENT_RUNTIME_INSTALL=0: no). */
  runtimeInstall: z.boolean().default(true),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region name')
    .default(DEFAULT_REGION),
  credentials: z
    .array(credentialSchema)
    .min(1)
    .default([
      {
        accessKeyId: DEFAULT_ACCESS_KEY_ID,
        secretAccessKey: DEFAULT_SECRET_ACCESS_KEY,
        accountId: DEFAULT_ACCOUNT_ID,
      },
    ]),
  /** Largest request body accepted by the gateway before any service sees it. */
  maxRequestBytes: z.coerce.number().int().positive().default(70_167_211),
  /** How the gateway bounds what clients can make it hold (issue 10, items 3 and 5). */
  gateway: z
    .object({
      /**
       * Bytes of request bodies held across all requests whose signature is not verified yet
       * (it covers the body's hash, so the body must be read first). Room for two of Lambda's
       * largest requests (70,167,211 bytes) at once; past it, requests are throttled.
       */
      maxPendingBodyBytes: z
        .number()
        .int()
        .positive()
        .default(160 * 1024 * 1024),
      /** A body that sends nothing for this long is answered 408 and its connection closed. */
      bodyIdleTimeoutMs: z.number().int().positive().default(20_000),
      /** Node's headersTimeout: the whole request head must arrive within this. */
      headersTimeoutMs: z.number().int().positive().default(20_000),
      /** Node's requestTimeout: the whole request (head and body) must arrive within this. */
      requestTimeoutMs: z.number().int().positive().default(300_000),
    })
    .default({}),
  /** Lambda quotas (AWS's defaults). */
  lambda: z
    .object({
      maxZippedCodeBytes: z.number().int().positive().default(52_428_800),
      maxUnzippedCodeBytes: z.number().int().positive().default(262_144_000),
      codeStorageBytes: z.number().int().positive().default(80_530_636_800),
      /** Account concurrency per region, shared by functions without reserved concurrency. */
      concurrentExecutions: z.number().int().positive().default(1000),
      /** Reservations may not bring the unreserved pool below this (AWS: 100). */
      minimumUnreservedConcurrency: z.number().int().min(0).default(100),
      /** New execution environments per function per 10 s, refilled continuously (AWS: 1000). */
      scalingRatePer10s: z.number().int().positive().default(1000),
      /**
       * Ceiling on running environments' memory limits plus frozen environments' real usage
       * (default: most of the machine).
       */
      maxMemoryMb: z.number().int().positive().default(defaultMaxMemoryMb()),
      /** Idle execution environments are stopped after this long. */
      keepAliveSeconds: z.number().int().positive().default(600),
      /** REPORT's Billed Duration: 1 ms (Lambda since 2020) or 100 ms steps (older Lambda). */
      billingGranularityMs: z.union([z.literal(1), z.literal(100)]).default(1),
      /** An idle environment is frozen after this delay (immediately would cost every warm invoke). */
      freezeDelayMs: z.number().int().min(0).default(20),
      /** Whether functions reach networks beyond the platform (true on Lambda). */
      outbound: z.boolean().default(true),
      /**
       * Largest streamed response (InvokeWithResponseStream, RESPONSE_STREAM URLs): Lambda's
       * documented 200 MB, a quota AWS raises on request.
       */
      maxStreamedResponseBytes: z
        .number()
        .int()
        .positive()
        .default(200 * 1024 * 1024),
      /** Parallel runs of queued asynchronous events. */
      asyncConcurrency: z.number().int().positive().default(16),
      /** Multiplies async retry delays and maximum event ages (1 = AWS's minutes; tests use less). */
      asyncRetryDelayScale: z.number().positive().max(1).default(1),
      /**
       * Sandboxes started ahead of time per runtime family, with the runtime booted and no
       * function: a cold start takes one (0 disables). One number for every family, or per family.
       */
      /**
       * Ceiling on the sum of /tmp volumes (EphemeralStorage of every environment's volume,
       * kept or in use), in MB. Default: half the free disk of the data directory at start.
       */
      maxTmpMb: z.number().int().positive().optional(),
      prewarmPoolSize: z
        .union([
          z.number().int().min(0),
          z.object({
            nodejs: z.number().int().min(0).default(2),
            python: z.number().int().min(0).default(1),
          }),
        ])
        .default({ nodejs: 2, python: 1 }),
    })
    .default({}),
  /** Function output kept in CloudWatch Logs: past these, output is dropped (and the drop logged). */
  logs: z
    .object({
      /** Output a function may log per second, all its environments together (bytes; 0: no limit). */
      functionBytesPerSecond: z
        .number()
        .int()
        .min(0)
        .default(1024 * 1024),
      /** What a function may log in one burst above that rate (bytes). Default: 10 s of the rate. */
      functionBurstBytes: z.number().int().positive().optional(),
      /** Ceiling on the stored log events of every group (bytes). Default: a quarter of the data dir's filesystem. */
      maxStoredBytes: z.number().int().positive().optional(),
      /** Below this much free disk under the data dir, function output is dropped (bytes). */
      minFreeDiskBytes: z.number().int().min(0).optional(),
    })
    .default({}),
  /** IAM and STS. */
  iam: z
    .object({
      /**
       * Multiplies the lifetime of STS temporary credentials (1 = what was asked for, AWS's
       * behaviour; tests use less to see sessions expire without waiting 15 minutes).
       */
      sessionDurationScale: z.number().positive().max(1).default(1),
    })
    .default({}),
  /** Execution-environment isolation: `linux` (namespaces + cgroups) when possible, else `process`. */
  sandbox: z.enum(['auto', 'linux', 'process']).default('auto'),
  /**
   * IPv4 block (/18 or larger) for the veth pairs that give Linux sandboxes with outbound
   * access their own network namespace; pick one the host's networks do not use.
   */
  sandboxSubnet: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR block such as 10.250.0.0/18')
    .default('10.250.0.0/18'),
  /** Print one line per request to stderr. */
  accessLog: z.boolean().default(false),
  /**
   * IAM permissions: `on` refuses what policies do not allow; `off` allows it and logs
   * "would deny"; `auto` is `on` unless the server is the local-development case (loopback
   * address and the default keys).
   */
  iamEnforcement: z.enum(['auto', 'on', 'off']).default('auto'),
});

/** 80 % of the machine's memory: the rest stays for the platform, the page cache and the host. */
function defaultMaxMemoryMb(): number {
  return Math.max(1024, Math.floor((os.totalmem() / (1024 * 1024)) * 0.8));
}

const GIB = 1024 * 1024 * 1024;

/** Size and free space of the filesystem that holds (or will hold) the data directory. */
function diskOf(dir: string): { totalBytes: number; freeBytes: number } {
  let at = dir;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  try {
    const s = fs.statfsSync(at);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: 0, freeBytes: 0 };
  }
}

/** 5 % of the filesystem, between 256 MB and 2 GB: room for SQLite's WAL and the host. */
function defaultMinFree(disk: { totalBytes: number }): number {
  return Math.min(2 * GIB, Math.max(256 * 1024 * 1024, Math.floor(disk.totalBytes * 0.05)));
}

/** Half of what is free at start (at least 1 GB): /tmp volumes never take the whole disk. */
function defaultMaxTmpMb(disk: { freeBytes: number }): number {
  return Math.max(1024, Math.floor(disk.freeBytes / 2 / (1024 * 1024)));
}

type Parsed = z.infer<typeof configSchema>;
export type Credential = z.infer<typeof credentialSchema>;
/** The parsed configuration, with the defaults that depend on the host filled in. */
export type Config = Readonly<
  Omit<Parsed, 'lambda' | 'logs'> & {
    lambda: Parsed['lambda'] & { maxTmpMb: number };
    logs: Required<Parsed['logs']>;
  }
>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {}

/** Validates and freezes a config; throws ConfigError with a readable message. */
export function parseConfig(input: ConfigInput): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${issues.join('; ')}`);
  }
  const dataDir = path.resolve(result.data.dataDir);
  const disk = diskOf(dataDir);
  const { logs, lambda } = result.data;
  const config = {
    ...result.data,
    dataDir,
    cacheDir: path.resolve(result.data.cacheDir),
    lambda: { ...lambda, maxTmpMb: lambda.maxTmpMb ?? defaultMaxTmpMb(disk) },
    logs: {
      ...logs,
      functionBurstBytes: logs.functionBurstBytes ?? Math.max(64 * 1024, logs.functionBytesPerSecond * 10),
      maxStoredBytes: logs.maxStoredBytes ?? Math.max(GIB, Math.floor(disk.totalBytes / 4)),
      minFreeDiskBytes: logs.minFreeDiskBytes ?? defaultMinFree(disk),
    },
  };
  assertSafeCredentials(config);
  return deepFreeze(config);
}

/** Reads LAMBENT_* environment variables; explicit flags (`overrides`) win. */
export function configFromEnv(env: NodeJS.ProcessEnv, overrides: ConfigInput = {}): Config {
  const fromEnv: ConfigInput = {};
  if (env.LAMBENT_HOST) fromEnv.host = env.LAMBENT_HOST;
  if (env.LAMBENT_PORT) fromEnv.port = Number(env.LAMBENT_PORT);
  if (env.LAMBENT_DATA_DIR) fromEnv.dataDir = env.LAMBENT_DATA_DIR;
  if (env.LAMBENT_REGION) fromEnv.region = env.LAMBENT_REGION;
  if (env.LAMBENT_CACHE_DIR) fromEnv.cacheDir = env.LAMBENT_CACHE_DIR;
  else if (env.XDG_CACHE_HOME) fromEnv.cacheDir = path.join(env.XDG_CACHE_HOME, 'lambent');
  if (env.LAMBENT_RUNTIME_INSTALL)
    fromEnv.runtimeInstall = !['0', 'false'].includes(env.LAMBENT_RUNTIME_INSTALL);
  if (env.LAMBENT_ACCESS_KEY_ID || env.LAMBENT_SECRET_ACCESS_KEY) {
    fromEnv.credentials = [
      {
        accessKeyId: env.LAMBENT_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.LAMBENT_SECRET_ACCESS_KEY ?? '',
        accountId: env.LAMBENT_ACCOUNT_ID ?? DEFAULT_ACCOUNT_ID,
      },
    ];
  }
  if (env.LAMBENT_ACCESS_LOG === '1') fromEnv.accessLog = true;
  if (env.LAMBENT_IAM_ENFORCEMENT)
    fromEnv.iamEnforcement = env.LAMBENT_IAM_ENFORCEMENT as 'auto' | 'on' | 'off';
  if (env.LAMBENT_SANDBOX) fromEnv.sandbox = env.LAMBENT_SANDBOX as 'auto' | 'linux' | 'process';
  if (env.LAMBENT_SANDBOX_SUBNET) fromEnv.sandboxSubnet = env.LAMBENT_SANDBOX_SUBNET;
  const lambda: NonNullable<ConfigInput['lambda']> = {};
  if (env.LAMBENT_KEEP_ALIVE_SECONDS) lambda.keepAliveSeconds = Number(env.LAMBENT_KEEP_ALIVE_SECONDS);
  if (env.LAMBENT_BILLING_GRANULARITY_MS)
    lambda.billingGranularityMs = Number(env.LAMBENT_BILLING_GRANULARITY_MS) as 1 | 100;
  if (env.LAMBENT_OUTBOUND) lambda.outbound = env.LAMBENT_OUTBOUND !== 'false';
  if (env.LAMBENT_CONCURRENT_EXECUTIONS)
    lambda.concurrentExecutions = Number(env.LAMBENT_CONCURRENT_EXECUTIONS);
  if (env.LAMBENT_MAX_MEMORY_MB) lambda.maxMemoryMb = Number(env.LAMBENT_MAX_MEMORY_MB);
  if (env.LAMBENT_ASYNC_RETRY_SCALE) lambda.asyncRetryDelayScale = Number(env.LAMBENT_ASYNC_RETRY_SCALE);
  if (env.LAMBENT_PREWARM_POOL) lambda.prewarmPoolSize = parsePoolSize(env.LAMBENT_PREWARM_POOL);
  if (env.LAMBENT_MAX_TMP_MB) lambda.maxTmpMb = Number(env.LAMBENT_MAX_TMP_MB);
  if (env.LAMBENT_MAX_STREAMED_RESPONSE_MB)
    lambda.maxStreamedResponseBytes = Number(env.LAMBENT_MAX_STREAMED_RESPONSE_MB) * 1024 * 1024;
  if (Object.keys(lambda).length) fromEnv.lambda = lambda;
  const gateway: NonNullable<ConfigInput['gateway']> = {};
  if (env.LAMBENT_MAX_PENDING_BODY_BYTES)
    gateway.maxPendingBodyBytes = Number(env.LAMBENT_MAX_PENDING_BODY_BYTES);
  if (env.LAMBENT_BODY_IDLE_TIMEOUT_MS) gateway.bodyIdleTimeoutMs = Number(env.LAMBENT_BODY_IDLE_TIMEOUT_MS);
  if (Object.keys(gateway).length) fromEnv.gateway = gateway;
  const logs: NonNullable<ConfigInput['logs']> = {};
  if (env.LAMBENT_FUNCTION_LOG_RATE) logs.functionBytesPerSecond = Number(env.LAMBENT_FUNCTION_LOG_RATE);
  if (env.LAMBENT_FUNCTION_LOG_BURST) logs.functionBurstBytes = Number(env.LAMBENT_FUNCTION_LOG_BURST);
  if (env.LAMBENT_LOGS_MAX_BYTES) logs.maxStoredBytes = Number(env.LAMBENT_LOGS_MAX_BYTES);
  if (env.LAMBENT_MIN_FREE_DISK_MB)
    logs.minFreeDiskBytes = Number(env.LAMBENT_MIN_FREE_DISK_MB) * 1024 * 1024;
  if (Object.keys(logs).length) fromEnv.logs = logs;
  if (env.LAMBENT_STS_DURATION_SCALE) {
    fromEnv.iam = { sessionDurationScale: Number(env.LAMBENT_STS_DURATION_SCALE) };
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseConfig({ ...fromEnv, ...defined });
}

/** LAMBENT_PREWARM_POOL: `2` (every family) or `nodejs=2,python=0`. */
function parsePoolSize(text: string): number | { nodejs?: number; python?: number } {
  if (!text.includes('=')) return Number(text);
  return Object.fromEntries(
    text.split(',').map((part) => {
      const [k, v] = part.split('=');
      return [(k ?? '').trim(), Number(v)];
    }),
  );
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Whether IAM denials are enforced (see `iamEnforcement`). */
export function iamEnforced(config: Pick<Config, 'host' | 'credentials' | 'iamEnforcement'>): boolean {
  if (config.iamEnforcement !== 'auto') return config.iamEnforcement === 'on';
  return !isLoopbackHost(config.host) || !config.credentials.every(isDefaultCredential);
}

function isDefaultCredential(c: Credential): boolean {
  return c.accessKeyId === DEFAULT_ACCESS_KEY_ID && c.secretAccessKey === DEFAULT_SECRET_ACCESS_KEY;
}

/** Anyone who can reach a non-loopback listener would know the default keys. */
function assertSafeCredentials(config: { host: string; credentials: Credential[] }): void {
  if (isLoopbackHost(config.host)) return;
  if (config.credentials.some(isDefaultCredential)) {
    throw new ConfigError(
      `refusing to listen on ${config.host} with the default credentials test/test: ` +
        'set LAMBENT_ACCESS_KEY_ID and LAMBENT_SECRET_ACCESS_KEY, or bind to 127.0.0.1',
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
