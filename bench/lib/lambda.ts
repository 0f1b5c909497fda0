/** The control-plane side of a case, through the real SDK: deploy, reconfigure and delete functions, read logs. */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  type Runtime,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import type { Target } from './target.js';

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const SIGNING = { ...CREDENTIALS, region: 'us-east-1', service: 'lambda' };
const ROLE = 'arn:aws:iam::000000000000:role/bench';

export function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    zip.addBuffer(Buffer.from(content), name, { mode: 0o100644, mtime: new Date('2024-01-01T00:00:00Z') });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export interface FunctionOptions {
  memoryMb?: number;
  timeoutS?: number;
  env?: Record<string, string>;
  /** Default nodejs20.x. */
  runtime?: Runtime;
  /** Default index.handler. */
  handler?: string;
  /** The zip's files; default `index.js` with the source given. */
  files?: Record<string, string>;
}

export class Functions {
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;

  constructor(readonly url: string) {
    const common = { endpoint: url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
    this.lambda = new LambdaClient(common);
    this.logs = new CloudWatchLogsClient(common);
  }

  async create(name: string, source: string, o: FunctionOptions = {}): Promise<void> {
    await this.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: o.runtime ?? 'nodejs20.x',
        Handler: o.handler ?? 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await zipOf(o.files ?? { 'index.js': source }) },
        MemorySize: o.memoryMb ?? 128,
        Timeout: o.timeoutS ?? 10,
        ...(o.env ? { Environment: { Variables: o.env } } : {}),
      }),
    );
    await this.waitReady(name);
  }

  async setEnv(name: string, env: Record<string, string>): Promise<void> {
    await this.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: env } }),
    );
    await this.waitReady(name);
  }

  async delete(name: string): Promise<void> {
    await this.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  }

  /** Active and not updating, polled every 10 ms (the SDK waiters poll once a second at best). */
  async waitReady(name: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') {
        throw new Error(`${name}: ${c.StateReason ?? c.LastUpdateStatusReason}`);
      }
      if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') return;
      if (Date.now() > deadline) throw new Error(`${name} not active after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Every event of a log group matching a pattern (all pages). */
  async filterAll(logGroupName: string, filterPattern: string): Promise<string[]> {
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.logs.send(
        new FilterLogEventsCommand({ logGroupName, filterPattern, ...(nextToken ? { nextToken } : {}) }),
      );
      for (const e of page.events ?? []) out.push(e.message ?? '');
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  close(): void {
    this.lambda.destroy();
    this.logs.destroy();
  }
}

/** A signed Invoke of `name` on a server, as the load generator sends it. */
export function invokeTarget(
  server: { host: string; port: number },
  name: string,
  body: string,
  o: { type?: 'RequestResponse' | 'Event' | 'DryRun'; tail?: boolean } = {},
): Target {
  const headers: Record<string, string> = {};
  if (o.type && o.type !== 'RequestResponse') headers['x-amz-invocation-type'] = o.type;
  if (o.tail) headers['x-amz-log-type'] = 'Tail';
  return {
    host: server.host,
    port: server.port,
    method: 'POST',
    path: `/2015-03-31/functions/${name}/invocations`,
    headers,
    body,
    sign: SIGNING,
    expectStatus: o.type === 'Event' ? 202 : o.type === 'DryRun' ? 204 : 200,
  };
}

/** Lambent's own count of execution environments (GET /_lambent/health, part `invoke`). */
export async function invokeStats(url: string): Promise<{ environments: number; idle: number }> {
  try {
    const res = await fetch(`${url}/_lambent/health`);
    const doc = (await res.json()) as { parts?: { invoke?: { environments?: number; idle?: number } } };
    return {
      environments: doc.parts?.invoke?.environments ?? Number.NaN,
      idle: doc.parts?.invoke?.idle ?? Number.NaN,
    };
  } catch {
    return { environments: Number.NaN, idle: Number.NaN };
  }
}
