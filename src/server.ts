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
import { createInvoker } from './invoke/invoker.js';
import { createMetrics, renderPrometheus } from './metrics/index.js';
import { createSandboxProvider } from './sandbox/index.js';
import { createServices } from './services/registry.js';
import type { Config } from './shared/config.js';
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
  const sandboxes = await createSandboxProvider({
    ...(config.sandbox === 'auto' ? {} : { prefer: config.sandbox }),
    linux: { sandboxSubnet: config.sandboxSubnet },
    dataDir: config.dataDir,
    logger,
  });
  const metrics = createMetrics({ db, logger });
  // Functions reach the platform on loopback, whatever address the gateway listens on.
  let endpointUrl = `http://127.0.0.1:${config.port}`;
  const invoker = createInvoker({
    sandboxes,
    logs: undefined,
    logger,
    runtimeDir: path.join(packageRoot, 'src', 'runtimes'),
    tmpRoot: path.join(config.dataDir, 'lambda', 'tmp'),
    endpointUrl: () => endpointUrl,
    billingGranularityMs: config.lambda.billingGranularityMs,
    freezeDelayMs: config.lambda.freezeDelayMs,
    outbound: config.lambda.outbound,
    keepAliveMs: config.lambda.keepAliveSeconds * 1000,
    limits: config.lambda,
    metrics: metrics.lambda,
    prewarm: config.lambda.prewarmPoolSize,
  });
  const { services, logs } = createServices({ config, db, blobs, logger, invoker, metrics });
  invoker.attachLogs(logs);
  const started = Date.now();
  const gateway = createGateway({
    config,
    services,
    logger,
    health: () => ({
      version: VERSION,
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      parts: {
        gateway: { status: 'ok' },
        storage: { status: db.open ? 'ok' : 'closed', dataDir: config.dataDir },
        sandbox: { status: 'ok', ...sandboxes.describe() },
        invoke: { status: 'ok', ...invoker.stats(), provisioned: invoker.provisioned.usageAll() },
        ...Object.fromEntries(services.map((s) => [s.name, s.health()])),
      },
    }),
    metrics: () =>
      renderPrometheus(metrics.lambda, invoker.stats(), Math.round((Date.now() - started) / 1000)),
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
      metrics.close();
      db.close();
    },
  };
}
