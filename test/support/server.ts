/**
 * Starts a real Lambent on a free port with a temporary data dir, and builds real AWS SDK
 * clients pointed at it. Integration tests use only this and the official clients.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambent, type Lambent } from '../../src/server.js';
import { type ConfigInput, parseConfig } from '../../src/shared/config.js';
import { createLogger, silentLogger } from '../../src/shared/logger.js';

export interface TestServer {
  url: string;
  dataDir: string;
  lambent: Lambent;
  lambda(overrides?: { secretAccessKey?: string; accessKeyId?: string; region?: string }): LambdaClient;
  logs(overrides?: { secretAccessKey?: string; accessKeyId?: string; region?: string }): CloudWatchLogsClient;
  /** Stops this instance and starts a new one on the same data dir. */
  restart(): Promise<TestServer>;
  stop(): Promise<void>;
}

export async function startServer(config: ConfigInput = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-test-'));
  const lambent = await createLambent(
    parseConfig({ port: 0, ...config, dataDir: dir }),
    process.env.LAMBENT_TEST_LOG === '1' ? createLogger() : silentLogger,
  );
  const { url } = await lambent.start();
  const server: TestServer = {
    url,
    dataDir: dir,
    lambent,
    lambda: (o = {}) =>
      new LambdaClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: { accessKeyId: o.accessKeyId ?? 'test', secretAccessKey: o.secretAccessKey ?? 'test' },
        maxAttempts: 1,
      }),
    logs: (o = {}) =>
      new CloudWatchLogsClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: { accessKeyId: o.accessKeyId ?? 'test', secretAccessKey: o.secretAccessKey ?? 'test' },
        maxAttempts: 1,
      }),
    async restart() {
      await lambent.stop();
      return startServer(config, dir);
    },
    async stop() {
      await lambent.stop();
    },
  };
  return server;
}

/** Removes a test data dir (call after stop). */
export function removeDataDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
