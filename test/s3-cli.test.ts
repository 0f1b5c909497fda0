/**
 * S3 through the AWS CLI as a user runs it (skipped where the CLI is not installed): `aws s3 mb`,
 * `cp` up and down, `ls`, `rm`, `rb`, and `aws s3api` calls, with the CLI's default settings.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { awsCli, awsCliFailure, awsCliText, awsCliTool } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

describe('S3 with the AWS CLI', { skip: awsCliTool().skip }, () => {
  let server: TestServer;
  let home: string;
  let text: ReturnType<typeof awsCliText>;
  let json: ReturnType<typeof awsCli>;
  let fail: ReturnType<typeof awsCliFailure>;
  before(async () => {
    server = await startServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-s3-cli-'));
    const cli = awsCliTool().path as string;
    text = awsCliText(cli, server.url, home);
    json = awsCli(cli, server.url, home);
    fail = awsCliFailure(cli, server.url, home);
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('mb, cp up and down, ls, rm, rb', async () => {
    assert.match(await text('s3', 'mb', 's3://cli-bucket'), /make_bucket: cli-bucket/);
    const local = path.join(home, 'hello world.txt');
    const content = 'hello from the CLI\n'.repeat(1000);
    fs.writeFileSync(local, content);
    await text('s3', 'cp', local, 's3://cli-bucket/dir/hello world.txt');
    await text('s3', 'cp', local, 's3://cli-bucket/top.txt');
    const root = await text('s3', 'ls', 's3://cli-bucket/');
    assert.match(root, /PRE dir\//);
    assert.match(root, new RegExp(`${content.length} top\\.txt`));
    const recursive = await text('s3', 'ls', '--recursive', 's3://cli-bucket/');
    assert.match(recursive, /dir\/hello world\.txt/);
    const back = path.join(home, 'back.txt');
    await text('s3', 'cp', 's3://cli-bucket/dir/hello world.txt', back);
    assert.equal(fs.readFileSync(back, 'utf8'), content);
    const buckets = await text('s3', 'ls');
    assert.match(buckets, /cli-bucket/);
    assert.match(await fail('s3', 'rb', 's3://cli-bucket'), /BucketNotEmpty/);
    await text('s3', 'rm', '--recursive', 's3://cli-bucket/');
    assert.equal((await text('s3', 'ls', '--recursive', 's3://cli-bucket/')).trim(), '');
    assert.match(await text('s3', 'rb', 's3://cli-bucket'), /remove_bucket: cli-bucket/);
  });

  test('s3api: put-object with metadata, head-object, list-objects-v2, get-object, errors', async () => {
    await json('s3api', 'create-bucket', '--bucket', 'cli-api');
    const body = path.join(home, 'body.bin');
    fs.writeFileSync(body, 'api body');
    const put = (await json(
      's3api',
      'put-object',
      '--bucket',
      'cli-api',
      '--key',
      'a+b c',
      '--body',
      body,
      '--metadata',
      'k1=v1',
      '--content-type',
      'text/plain',
    )) as { ETag: string };
    assert.equal(put.ETag, `"${createHash('md5').update('api body').digest('hex')}"`);
    const head = (await json('s3api', 'head-object', '--bucket', 'cli-api', '--key', 'a+b c')) as {
      ContentLength: number;
      ContentType: string;
      Metadata: Record<string, string>;
      ETag: string;
    };
    assert.equal(head.ContentLength, 8);
    assert.equal(head.ContentType, 'text/plain');
    assert.deepEqual(head.Metadata, { k1: 'v1' });
    assert.equal(head.ETag, put.ETag);
    const listed = (await json('s3api', 'list-objects-v2', '--bucket', 'cli-api')) as {
      Contents: Array<{ Key: string; Size: number }>;
    };
    assert.deepEqual(
      listed.Contents.map((c) => [c.Key, c.Size]),
      [['a+b c', 8]],
    );
    const out = path.join(home, 'out.bin');
    await json('s3api', 'get-object', '--bucket', 'cli-api', '--key', 'a+b c', out);
    assert.equal(fs.readFileSync(out, 'utf8'), 'api body');
    assert.match(
      await fail('s3api', 'get-object', '--bucket', 'cli-api', '--key', 'missing', out),
      /NoSuchKey/,
    );
    assert.match(await fail('s3api', 'head-bucket', '--bucket', 'no-such-bucket-here'), /404/);
    assert.match(await fail('s3api', 'create-bucket', '--bucket', 'Bad_Name'), /InvalidBucketName/);
  });
});
