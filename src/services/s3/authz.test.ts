import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { rootPrincipal } from '../../iam/principal.js';
import type { RequestContext } from '../../protocols/types.js';
import { openDatabase } from '../../storage/db.js';
import { createS3Service } from './index.js';

const ctx: RequestContext = {
  requestId: 'r',
  accountId: '000000000000',
  region: 'us-east-1',
  accessKeyId: 'test',
  principal: rootPrincipal('000000000000'),
  endpoint: 'http://localhost',
};

test("each request routes to its operation, which declares S3's IAM action and bucket or object ARN", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-s3-authz-'));
  const db = openDatabase(':memory:');
  try {
    const service = createS3Service({ db, dataDir: dir });
    const decide = (method: string, target: string, headers: Record<string, string> = {}) => {
      const [rawPath = '/', query = ''] = target.split('?');
      const match = service.route({
        method,
        rawPath,
        query: new URLSearchParams(query),
        headers: { host: '127.0.0.1:4566', ...headers },
      });
      assert.ok(match, `${method} ${target}`);
      const input = service.codec.decode(
        match.op,
        { method, rawPath, query: new URLSearchParams(query), headers, body: Buffer.alloc(0) },
        match.labels,
      );
      return [match.op.name, match.op.authz?.action, match.op.authz?.resources?.(input, ctx)];
    };
    assert.deepEqual(decide('GET', '/'), ['ListBuckets', 's3:ListAllMyBuckets', ['*']]);
    assert.deepEqual(decide('PUT', '/b'), ['CreateBucket', 's3:CreateBucket', ['arn:aws:s3:::b']]);
    assert.deepEqual(decide('HEAD', '/b'), ['HeadBucket', 's3:ListBucket', ['arn:aws:s3:::b']]);
    assert.deepEqual(decide('DELETE', '/b'), ['DeleteBucket', 's3:DeleteBucket', ['arn:aws:s3:::b']]);
    assert.deepEqual(decide('GET', '/b?location'), [
      'GetBucketLocation',
      's3:GetBucketLocation',
      ['arn:aws:s3:::b'],
    ]);
    assert.deepEqual(decide('GET', '/b?list-type=2'), ['ListObjectsV2', 's3:ListBucket', ['arn:aws:s3:::b']]);
    assert.deepEqual(decide('GET', '/b'), ['ListObjects', 's3:ListBucket', ['arn:aws:s3:::b']]);
    assert.deepEqual(decide('PUT', '/b/a%20b/c'), ['PutObject', 's3:PutObject', ['arn:aws:s3:::b/a b/c']]);
    assert.deepEqual(decide('PUT', '/b/k', { 'x-amz-copy-source': 'b/src' }), [
      'CopyObject',
      's3:PutObject',
      ['arn:aws:s3:::b/k'],
    ]);
    assert.deepEqual(decide('GET', '/b/k'), ['GetObject', 's3:GetObject', ['arn:aws:s3:::b/k']]);
    assert.deepEqual(decide('HEAD', '/b/k'), ['HeadObject', 's3:GetObject', ['arn:aws:s3:::b/k']]);
    assert.deepEqual(decide('DELETE', '/b/k'), ['DeleteObject', 's3:DeleteObject', ['arn:aws:s3:::b/k']]);
    assert.deepEqual(decide('POST', '/b?delete'), ['DeleteObjects', 's3:DeleteObject', ['arn:aws:s3:::b']]);
    // Sub-resources Lambent does not serve are no operation (the gateway answers NotImplemented).
    for (const sub of ['/b?versioning', '/b/k?tagging', '/b/k?uploads', '/b/k?uploadId=1&partNumber=1']) {
      const [rawPath = '/', query = ''] = sub.split('?');
      assert.equal(
        service.route({ method: 'GET', rawPath, query: new URLSearchParams(query), headers: {} }),
        undefined,
        sub,
      );
    }
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
