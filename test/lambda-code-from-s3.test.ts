/**
 * Lambda code packages named by S3 location, with the real clients: a zip put into Lambent's S3
 * with @aws-sdk/client-s3 becomes a function (CreateFunction `Code.S3Bucket`/`S3Key`), its new
 * code (UpdateFunctionCode) and a layer (PublishLayerVersion `Content`); a missing bucket or key
 * is AWS's InvalidParameterValueException naming S3's error (recorded messages).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  InvokeCommand,
  type LambdaClient,
  PublishLayerVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TEST_ROLE } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active, updated } from './support/wait.js';
import { zipOf } from './support/zips.js';

describe('Lambda code from S3', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let s3: S3Client;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    s3 = server.s3();
    await s3.send(new CreateBucketCommand({ Bucket: 'deploys' }));
  });
  after(async () => {
    s3?.destroy();
    lambda?.destroy();
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  const putZip = async (key: string, source: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: 'deploys',
        Key: key,
        Body: await zipOf({ 'index.js': source }),
      }),
    );
  const invoke = async (name: string) => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
    assert.equal(out.FunctionError, undefined);
    return JSON.parse(Buffer.from(out.Payload ?? []).toString());
  };

  test('CreateFunction and UpdateFunctionCode take the zip from a bucket', { timeout: 60_000 }, async () => {
    await putZip('v1/app.zip', "exports.handler = async () => 'from s3 v1';");
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'from-s3',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: TEST_ROLE,
        Code: { S3Bucket: 'deploys', S3Key: 'v1/app.zip' },
      }),
    );
    assert.ok((created.CodeSize ?? 0) > 0);
    await active(lambda, 'from-s3');
    assert.equal(await invoke('from-s3'), 'from s3 v1');

    await putZip('v2/app.zip', "exports.handler = async () => 'from s3 v2';");
    await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'from-s3', S3Bucket: 'deploys', S3Key: 'v2/app.zip' }),
    );
    await updated(lambda, 'from-s3');
    assert.equal(await invoke('from-s3'), 'from s3 v2');
  });

  test('PublishLayerVersion takes its content from a bucket', async () => {
    await putZip('layers/lib.zip', 'module.exports = 1;');
    const layer = await lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'from-s3-layer',
        Content: { S3Bucket: 'deploys', S3Key: 'layers/lib.zip' },
      }),
    );
    assert.equal(layer.Version, 1);
    assert.ok((layer.Content?.CodeSize ?? 0) > 0);
  });

  test("a missing bucket or key: S3's error in Lambda's words", async () => {
    const create = (Code: { S3Bucket: string; S3Key: string }) =>
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'from-s3-missing',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: TEST_ROLE,
          Code,
        }),
      );
    await assert.rejects(create({ S3Bucket: 'no-such-bucket-here', S3Key: 'x.zip' }), {
      name: 'InvalidParameterValueException',
      message:
        'Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist',
    });
    await assert.rejects(create({ S3Bucket: 'deploys', S3Key: 'missing.zip' }), {
      name: 'InvalidParameterValueException',
      message:
        'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.',
    });
  });
});
