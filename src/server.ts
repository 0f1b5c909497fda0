/**
 * The platform as one object: storage opened, services created, the gateway ready.
 * `createLambent(config)` does not listen; `start()` does. `stop()` finishes in-flight
 * requests, lets background work settle, then closes storage.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createGateway } from './gateway/server.js';
import { createServices } from './services/registry.js';
import type { Config } from './shared/config.js';
import { createLogger, type Logger } from './shared/logger.js';
import { VERSION } from './shared/version.js';
import { createBlobStore } from './storage/blob-store.js';
import { openDatabase } from './storage/db.js';

export interface Lambent {
  readonly config: Config;
  /** Listens on config.host:config.port; returns the real address (port 0 picks one). */
  start(): Promise<AddressInfo & { url: string }>;
  stop(): Promise<void>;
}

export function createLambent(config: Config, logger: Logger = createLogger()): Lambent {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(path.join(config.dataDir, 'lambent.db'));
  const blobs = createBlobStore(path.join(config.dataDir, 'blobs'));
  const services = createServices({ config, db, blobs, logger });
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
        ...Object.fromEntries(services.map((s) => [s.name, s.health()])),
      },
    }),
  });
  let stopped = false;

  return {
    config,
    async start() {
      const address = await gateway.listen();
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { ...address, url: `http://${host}:${address.port}` };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.close();
      await Promise.all(services.map((s) => s.close()));
      db.close();
    },
  };
}
