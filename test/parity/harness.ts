/**
 * Shared set-up of the parity tests: one real server per test file, instrumented SDK clients,
 * and the replay of LocalStack's fixtures (`create_lambda_function`, which waits until the
 * function left Pending and wraps the response; `create_lambda_function_aws`, which waits the
 * same way and returns it as is).
 */
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { removeDataDir, startServer, type TestServer } from '../support/server.js';
import { zipOf } from '../support/zips.js';
import {
  ACCOUNT_ID,
  call,
  fixtureCreateView,
  instrument,
  Recording,
  type SnapshotModule,
  type View,
} from './recorded.js';

export const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/lambda-parity-role`;

export interface ParityServer {
  readonly server: TestServer;
  /** An instrumented client for the default region (us-east-1). */
  readonly lambda: LambdaClient;
  /** An instrumented client for another region. */
  client(region: string): LambdaClient;
}

/** Starts one server for the whole file (before the first test) and stops it afterwards. */
export function parityServer(config: Parameters<typeof startServer>[0] = {}): ParityServer {
  let server: TestServer | undefined;
  let lambda: LambdaClient | undefined;
  const clients: LambdaClient[] = [];
  before(async () => {
    server = await startServer(config);
    lambda = instrument(server.lambda());
    clients.push(lambda);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    if (server) {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });
  return {
    get server() {
      if (!server) throw new Error('server not started');
      return server;
    },
    get lambda() {
      if (!lambda) throw new Error('server not started');
      return lambda;
    },
    client(region: string) {
      if (!server) throw new Error('server not started');
      const c = instrument(server.lambda({ region }));
      clients.push(c);
      return c;
    },
  };
}

export interface CaseOptions {
  /** Known difference from AWS (reported, does not fail the run). */
  todo?: string;
  skip?: string;
  timeout?: number;
  /** The recorded module the case belongs to (default `test_lambda_api`). */
  module?: SnapshotModule;
}

/** One `test()` per recorded case; the replay matches responses on `rec`, then `rec.done()` judges. */
export function parityCase(
  testName: string,
  options: CaseOptions,
  replay: (rec: Recording) => Promise<void>,
): void {
  test(testName, { todo: options.todo, skip: options.skip, timeout: options.timeout ?? 30_000 }, async () => {
    const rec = new Recording(testName, options.module);
    await replay(rec);
    rec.done();
  });
}

/** A fresh name like LocalStack's `f"{prefix}-{short_uid()}"`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

const PYTHON_ECHO = [
  'import json',
  '',
  '',
  'def handler(event, context):',
  '    print(json.dumps(event))',
  '    return event',
  '',
].join('\n');

/** A small Python echo function; `marker` makes the zip (and its CodeSha256) unique. */
export function pythonZip(file: string, marker: string): Promise<Buffer> {
  return zipOf({ [file]: `# ${marker}\n${PYTHON_ECHO}` });
}

const POLL_MS = 5;
const WAIT_LIMIT_MS = 15_000;

async function pollConfiguration(
  lambda: LambdaClient,
  functionName: string,
  qualifier: string | undefined,
  done: (c: { State?: string; LastUpdateStatus?: string }) => boolean,
): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const c = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: qualifier }),
    );
    if (done(c)) return;
    if (Date.now() > deadline)
      throw new Error(`${functionName} did not settle: ${c.State}/${c.LastUpdateStatus}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Like boto3's `function_active_v2` waiter (and the fixtures' "not Pending" wait). */
export function waitActive(lambda: LambdaClient, functionName: string, qualifier?: string): Promise<void> {
  return pollConfiguration(lambda, functionName, qualifier, (c) => c.State !== 'Pending');
}

/** Like boto3's `function_updated_v2` waiter. */
export function waitUpdated(lambda: LambdaClient, functionName: string, qualifier?: string): Promise<void> {
  return pollConfiguration(lambda, functionName, qualifier, (c) => c.LastUpdateStatus !== 'InProgress');
}

export interface FixtureOptions {
  name: string;
  runtime?: Runtime | string;
  handler?: string;
  zip?: Buffer;
  envvars?: Record<string, string>;
  layers?: string[];
  /** Other CreateFunction members (MemorySize, Timeout, Description, Publish, Tags, ...). */
  extra?: Partial<CreateFunctionCommandInput>;
}

/**
 * LocalStack's `create_lambda_function` fixture: handler.py zip, `handler.handler`, python3.12,
 * Timeout 30, `Environment.Variables` always sent; waits until not Pending; wraps the response.
 */
export async function createFixture(lambda: LambdaClient, options: FixtureOptions): Promise<View> {
  const input: CreateFunctionCommandInput = {
    FunctionName: options.name,
    Runtime: (options.runtime ?? 'python3.12') as Runtime,
    Handler: options.handler ?? 'handler.handler',
    Role: ROLE,
    Code: { ZipFile: options.zip ?? (await pythonZip('handler.py', options.name)) },
    Timeout: 30,
    Environment: { Variables: options.envvars ?? {} },
    ...(options.layers ? { Layers: options.layers } : {}),
    ...options.extra,
  };
  const view = await call(lambda.send(new CreateFunctionCommand(input)));
  if (!('Error' in view)) await waitActive(lambda, options.name);
  return fixtureCreateView(view);
}

/** LocalStack's `create_lambda_function_aws` fixture: CreateFunction as given, then waits until not Pending. */
export async function createRaw(lambda: LambdaClient, input: CreateFunctionCommandInput): Promise<View> {
  const view = await call(lambda.send(new CreateFunctionCommand(input)));
  if (!('Error' in view) && input.FunctionName) await waitActive(lambda, input.FunctionName);
  return view;
}

/** The members LocalStack's raw create calls pass: index.py zip, `index.handler`, PackageType Zip. */
export async function rawInput(
  name: string,
  runtime: string,
  extra: Partial<CreateFunctionCommandInput> = {},
) {
  return {
    FunctionName: name,
    Handler: 'index.handler',
    Code: { ZipFile: await pythonZip('index.py', name) },
    PackageType: 'Zip',
    Role: ROLE,
    Runtime: runtime as Runtime,
    ...extra,
  } satisfies CreateFunctionCommandInput;
}
