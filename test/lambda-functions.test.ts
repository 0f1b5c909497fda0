/** The function lifecycle through the real AWS SDK against a listening server. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  paginateListFunctions,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active, updated } from './support/wait.js';
import { NODE_HANDLER, zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

describe('function lifecycle', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let zip: Buffer;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    zip = await zipOf({ 'index.js': NODE_HANDLER });
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('create → Pending, then Active with AWS defaults, CodeSha256 and CodeSize of the zip', async () => {
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'hello',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: zip },
      }),
    );
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.equal(created.State, 'Pending');
    assert.equal(created.StateReasonCode, 'Creating');
    assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:hello');
    assert.equal(created.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.equal(created.CodeSize, zip.length);
    assert.equal(created.MemorySize, 128);
    assert.equal(created.Timeout, 3);
    assert.deepEqual(created.EphemeralStorage, { Size: 512 });
    assert.deepEqual(created.Architectures, ['x86_64']);
    assert.deepEqual(created.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/hello' });
    assert.equal(created.Environment, undefined);
    assert.match(created.LastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

    await active(lambda, 'hello');
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'hello' }));
    assert.equal(got.Configuration?.State, 'Active');
    assert.equal(got.Configuration?.LastUpdateStatus, 'Successful');
    assert.notEqual(got.Configuration?.RevisionId, created.RevisionId);
    assert.equal(got.Code?.RepositoryType, 'S3');
    const download = await fetch(got.Code?.Location ?? '');
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), zip);
  });

  test('a tampered code URL is refused', async () => {
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'hello' }));
    const url = new URL(got.Code?.Location ?? '');
    url.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600));
    assert.equal((await fetch(url)).status, 403);
  });

  test('creating an existing function is a conflict', async () => {
    await assert.rejects(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'hello',
          Runtime: 'nodejs20.x',
          Handler: 'i.h',
          Role: ROLE,
          Code: { ZipFile: zip },
        }),
      ),
      (err: Error & { $metadata: { httpStatusCode: number } }) =>
        err.name === 'ResourceConflictException' &&
        err.message === 'Function already exist: hello' &&
        err.$metadata.httpStatusCode === 409,
    );
  });

  test('update configuration: InProgress then Successful; values kept', async () => {
    const res = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'hello',
        MemorySize: 512,
        Timeout: 30,
        Description: 'changed',
        Environment: { Variables: { ENV_A: 'a' } },
      }),
    );
    assert.equal(res.LastUpdateStatus, 'InProgress');
    await updated(lambda, 'hello');
    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'hello' }));
    assert.equal(conf.MemorySize, 512);
    assert.equal(conf.Timeout, 30);
    assert.equal(conf.Description, 'changed');
    assert.deepEqual(conf.Environment, { Variables: { ENV_A: 'a' } });
    assert.equal(conf.LastUpdateStatus, 'Successful');
  });

  test('configuration limits are AWS validation errors', async () => {
    await assert.rejects(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'hello', MemorySize: 64 })),
      {
        name: 'ValidationException',
        message:
          "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
      },
    );
    await assert.rejects(
      lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'hello',
          Timeout: 901,
          EphemeralStorage: { Size: 10241 },
        }),
      ),
      {
        name: 'ValidationException',
        message:
          "2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240",
      },
    );
  });

  test('update code with RevisionId and Publish; versions listed', async () => {
    const before = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'hello' }));
    await assert.rejects(
      lambda.send(
        new UpdateFunctionCodeCommand({ FunctionName: 'hello', ZipFile: zip, RevisionId: 'wrong' }),
      ),
      { name: 'PreconditionFailedException' },
    );
    const zip2 = await zipOf({ 'index.js': `${NODE_HANDLER}// v2\n` });
    const res = await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'hello',
        ZipFile: zip2,
        RevisionId: before.RevisionId,
        Publish: true,
      }),
    );
    assert.equal(res.Version, '1');
    assert.equal(res.CodeSha256, createHash('sha256').update(zip2).digest('base64'));
    assert.equal(res.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:hello:1');
    await updated(lambda, 'hello');
    const v1 = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'hello', Qualifier: '1' }),
    );
    assert.equal(v1.CodeSha256, res.CodeSha256);
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'hello' }));
    assert.deepEqual(
      versions.Versions?.map((v) => v.Version),
      ['$LATEST', '1'],
    );
    // Publishing an unchanged $LATEST returns the existing version.
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: 'hello' }));
    assert.equal(again.Version, '1');
  });

  test('list functions paginates with the SDK paginator', async () => {
    for (let i = 0; i < 7; i++) {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: `page-${i}`,
          Runtime: 'python3.12',
          Handler: 'a.b',
          Role: ROLE,
          Code: { ZipFile: zip },
        }),
      );
    }
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListFunctions({ client: lambda, pageSize: 3 }, {})) {
      pages++;
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ''));
    }
    assert.equal(pages, 3);
    assert.deepEqual(names, ['hello', ...Array.from({ length: 7 }, (_, i) => `page-${i}`)].sort());
    const all = await lambda.send(new ListFunctionsCommand({ FunctionVersion: 'ALL' }));
    assert.ok(all.Functions?.some((f) => f.FunctionArn?.endsWith(':hello:1')));
    assert.ok(
      all.Functions?.every((f) => f.State === undefined),
      'listings omit State as AWS does',
    );
  });

  test('the same name in another region is another function', async () => {
    const west = server.lambda({ region: 'eu-west-1' });
    await assert.rejects(west.send(new GetFunctionCommand({ FunctionName: 'hello' })), {
      name: 'ResourceNotFoundException',
    });
  });

  test('delete a version, then the function; its code URL stops working', async () => {
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'hello', Qualifier: '1' }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'hello', Qualifier: '1' }));
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'hello', Qualifier: '1' })), {
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello:1',
    });
    const del = await lambda.send(new DeleteFunctionCommand({ FunctionName: 'hello' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'hello' })), {
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello',
    });
    assert.equal((await fetch(got.Code?.Location ?? '')).status, 403);
  });
});
