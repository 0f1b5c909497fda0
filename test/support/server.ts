/**
 * Starts a real Lambent on a free port with a temporary data dir, and builds real AWS SDK
 * clients pointed at it. Integration tests use only this and the official clients.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { createLambent, type Lambent } from '../../src/server.js';
import { type ConfigInput, parseConfig } from '../../src/shared/config.js';
import { createLogger, silentLogger } from '../../src/shared/logger.js';

export interface TestServer {
  url: string;
  dataDir: string;
  lambent: Lambent;
  lambda(overrides?: ClientCredentials): LambdaClient;
  logs(overrides?: ClientCredentials): CloudWatchLogsClient;
  iam(credentials?: ClientCredentials): IAMClient;
  sts(credentials?: ClientCredentials): STSClient;
  /** S3 with the SDK's defaults (path style for the server's IP endpoint, default checksums). */
  s3(credentials?: ClientCredentials): S3Client;
  /** API Gateway's REST APIs (v1). */
  apigateway(credentials?: ClientCredentials): APIGatewayClient;
  /** API Gateway's HTTP APIs (v2). */
  apigatewayv2(credentials?: ClientCredentials): ApiGatewayV2Client;
  /** Stops this instance and starts a new one on the same data dir. */
  restart(): Promise<TestServer>;
  stop(): Promise<void>;
}

/** Credentials for a client: the root keys by default, or a user's keys, or a session's. */
export interface ClientCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
}

function credentialsOf(o: ClientCredentials) {
  return {
    accessKeyId: o.accessKeyId ?? 'test',
    secretAccessKey: o.secretAccessKey ?? 'test',
    ...(o.sessionToken !== undefined ? { sessionToken: o.sessionToken } : {}),
  };
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
        credentials: credentialsOf(o),
        maxAttempts: 1,
      }),
    logs: (o = {}) =>
      new CloudWatchLogsClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: credentialsOf(o),
        maxAttempts: 1,
      }),
    iam: (o = {}) =>
      new IAMClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: credentialsOf(o),
        maxAttempts: 1,
      }),
    sts: (o = {}) =>
      new STSClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: credentialsOf(o),
        maxAttempts: 1,
      }),
    s3: (o = {}) =>
      new S3Client({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: credentialsOf(o),
        maxAttempts: 1,
      }),
    apigateway: (o = {}) =>
      new APIGatewayClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: credentialsOf(o),
        maxAttempts: 1,
      }),
    apigatewayv2: (o = {}) =>
      new ApiGatewayV2Client({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        credentials: credentialsOf(o),
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
