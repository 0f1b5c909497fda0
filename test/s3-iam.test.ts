/**
 * IAM decides S3 requests by each operation's action and bucket/object ARN: an IAM user allowed
 * to read one prefix and list the bucket is refused everything else with S3's AccessDenied, and a
 * refused PutObject stores nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { rejectionOf } from './support/errors.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const s3With = (url: string, credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new S3Client({
    endpoint: url.replace('localhost', '127.0.0.1'),
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });

const failure = (p: Promise<unknown>) => rejectionOf<S3ServiceException>(p);

describe('S3 under IAM', () => {
  let server: TestServer;
  let root: S3Client;
  let reader: S3Client;
  before(async () => {
    server = await startServer({ iamEnforcement: 'on' });
    root = s3With(server.url, { accessKeyId: 'test', secretAccessKey: 'test' });
    const iam = server.iam();
    await iam.send(new CreateUserCommand({ UserName: 's3-reader' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 's3-reader',
        PolicyName: 'read-public',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::iam-bucket/public/*' },
            { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::iam-bucket' },
          ],
        }),
      }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 's3-reader' }));
    iam.destroy();
    reader = s3With(server.url, {
      accessKeyId: AccessKey?.AccessKeyId as string,
      secretAccessKey: AccessKey?.SecretAccessKey as string,
    });
    await root.send(new CreateBucketCommand({ Bucket: 'iam-bucket' }));
    await root.send(new PutObjectCommand({ Bucket: 'iam-bucket', Key: 'public/a', Body: 'open' }));
    await root.send(new PutObjectCommand({ Bucket: 'iam-bucket', Key: 'private/b', Body: 'closed' }));
  });
  after(async () => {
    root.destroy();
    reader.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('allowed: GetObject under the prefix, ListObjectsV2 of the bucket', async () => {
    const got = await reader.send(new GetObjectCommand({ Bucket: 'iam-bucket', Key: 'public/a' }));
    assert.equal(await got.Body?.transformToString(), 'open');
    const listed = await reader.send(new ListObjectsV2Command({ Bucket: 'iam-bucket' }));
    assert.equal(listed.KeyCount, 2);
  });

  test('refused: another prefix, a write (nothing stored), creating a bucket', async () => {
    const other = await failure(
      reader.send(new GetObjectCommand({ Bucket: 'iam-bucket', Key: 'private/b' })),
    );
    assert.equal(other.name, 'AccessDenied');
    assert.equal(other.$metadata.httpStatusCode, 403);
    assert.match(other.message, /s3:GetObject/);
    const write = await failure(
      reader.send(
        new PutObjectCommand({ Bucket: 'iam-bucket', Key: 'public/new', Body: 'x'.repeat(100_000) }),
      ),
    );
    assert.equal(write.name, 'AccessDenied');
    const head = await failure(root.send(new HeadObjectCommand({ Bucket: 'iam-bucket', Key: 'public/new' })));
    assert.equal(head.$metadata.httpStatusCode, 404);
    const create = await failure(reader.send(new CreateBucketCommand({ Bucket: 'iam-other' })));
    assert.equal(create.name, 'AccessDenied');
  });
});
