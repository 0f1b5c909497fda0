/**
 * The platform as one object: storage opened, the sandbox provider probed, services
 * created, the gateway ready. `createLambent(config)` does not listen; `start()` does.
 * `stop()` finishes in-flight requests, stops execution environments, lets background work
 * settle, then closes storage.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createGateway } from './gateway/server.js';
import { createAuthorizer } from './iam/authorizer.js';
import { createInvoker } from './invoke/invoker.js';
import { LogBudget } from './invoke/log-budget.js';
import { createRuntimeCatalog, findNodeSdk } from './invoke/runtimes.js';
import { createMetrics, renderPrometheus } from './metrics/index.js';
import { createSandboxProvider } from './sandbox/index.js';
import { createServices } from './services/registry.js';
import { type Config, iamEnforced } from './shared/config.js';
import { createLogger, type Logger } from './shared/logger.js';
import { packageRoot, VERSION } from './shared/version.js';
import { createBlobStore } from './storage/blob-store.js';
import { openDatabase } from './storage/db.js';

export interface Lambent {
  readonly config: Config;
  /** Listens on config.host:config.port; returns the real address (port 0 picks one). */
  start(): Promise<AddressInfo & { url: string }>;
  stop(): Promise<void>;
}

export async function createLambent(config: Config, logger: Logger = createLogger()): Promise<Lambent> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(path.join(config.dataDir, 'lambent.db'));
  const blobs = createBlobStore(path.join(config.dataDir, 'blobs'));
  const sdk = findNodeSdk();
  if (!sdk) logger.warn('the AWS SDK for JavaScript is not installed: Node functions must bundle their own');
  const sandboxes = await createSandboxProvider({
    ...(config.sandbox === 'auto' ? {} : { prefer: config.sandbox }),
    dataDir: config.dataDir,
    logger,
    // Interpreters from npm and the built-in SDK are bound into sandboxes: hide their host paths.
    linux: { viewDirs: [path.join(config.cacheDir, 'node'), ...(sdk ? [sdk.dir] : [])] },
  });
  const metrics = createMetrics({ db, logger });
  const logBudget = new LogBudget({ ...config.logs, dataDir: config.dataDir });
  // Functions reach the platform on loopback, whatever address the gateway listens on.
  let endpointUrl = `http://127.0.0.1:${config.port}`;
  const invoker = createInvoker({
    sandboxes,
    logs: undefined,
    logger,
    runtimeDir: path.join(packageRoot, 'src', 'runtimes'),
    ...(sdk ? { sdkDir: sdk.dir } : {}),
    runtimes: createRuntimeCatalog(config),
    tmpRoot: path.join(config.dataDir, 'lambda', 'tmp'),
    endpointUrl: () => endpointUrl,
    billingGranularityMs: config.lambda.billingGranularityMs,
    freezeDelayMs: config.lambda.freezeDelayMs,
    outbound: config.lambda.outbound,
    keepAliveMs: config.lambda.keepAliveSeconds * 1000,
    limits: config.lambda,
    metrics: metrics.lambda,
    prewarm: config.lambda.prewarmPoolSize,
    logBudget,
  });
  const { services, logs } = createServices({ config, db, blobs, logger, invoker, metrics });
  invoker.attachLogs(logs);
  logBudget.attachStore(() => logs.storedBytes());
  const started = Date.now();
  // Health is unauthenticated: it shows no host paths (the data directory, the launcher, the
  // interpreters, cgroup mounts). `lambent doctor`, run on the host, prints those.
  const gateway = createGateway({
    config,
    services,
    logger,
    // Until IAM users and roles exist every caller is an account's root user; their policies plug in here.
    authorizer: createAuthorizer({
      enforced: iamEnforced(config),
      logger,
      identityPolicies: { policiesOf: () => [] },
    }),
    health: () => {
      const sandbox = sandboxes.describe();
      const budget = logBudget.status();
      return {
        version: VERSION,
        status: 'ok',
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        parts: {
          gateway: { status: 'ok' },
          storage: { status: db.open ? 'ok' : 'closed' },
          sandbox: { status: 'ok', ...sandbox, details: withoutHostPaths(sandbox.details) },
          invoke: { status: 'ok', ...invoker.stats(), provisioned: invoker.provisioned.usageAll() },
          // Function output kept or dropped (log-budget.ts): degraded while the disk is short.
          functionLogs: budget,
          ...Object.fromEntries(services.map((s) => [s.name, s.health()])),
        },
      };
    },
    metrics: () =>
      renderPrometheus(metrics.lambda, invoker.stats(), Math.round((Date.now() - started) / 1000), logBudget),
  });
  let stopped = false;

  return {
    config,
    async start() {
      const address = await gateway.listen();
      endpointUrl = `http://127.0.0.1:${address.port}`;
      // Provisioned environments start once they can reach the platform.
      invoker.provisioned.resume();
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { ...address, url: `http://${host}:${address.port}` };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.close();
      await invoker.close();
      await Promise.all(services.map((s) => s.close()));
      await sandboxes.close();
      logBudget.close();
      metrics.close();
      db.close();
    },
  };
}

/** The provider's details without those that name a host path (values with an absolute path in them). */
function withoutHostPaths(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).filter(([, v]) => !/(^|[\s=:(])\//.test(v)));
}
