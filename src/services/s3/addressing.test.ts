import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressOf, bucketOfHost } from './addressing.js';

test('virtual-hosted hosts name the bucket; service hosts do not', () => {
  assert.equal(bucketOfHost('my-bucket.s3.amazonaws.com'), 'my-bucket');
  assert.equal(bucketOfHost('my.dotted.bucket.s3.us-east-1.amazonaws.com'), 'my.dotted.bucket');
  assert.equal(bucketOfHost('b1.s3.localhost.localstack.cloud:4566'), 'b1');
  assert.equal(bucketOfHost('b1.localhost:4566'), 'b1');
  assert.equal(bucketOfHost('s3.localhost:4566'), undefined);
  assert.equal(bucketOfHost('localhost:4566'), undefined);
  assert.equal(bucketOfHost('127.0.0.1:4566'), undefined);
  assert.equal(bucketOfHost('s3.amazonaws.com'), undefined);
});

test('keys keep their encoding, slashes and trailing slash', () => {
  assert.deepEqual(addressOf('127.0.0.1:1', '/'), { bucket: undefined, rawKey: undefined });
  assert.deepEqual(addressOf('127.0.0.1:1', '/b'), { bucket: 'b', rawKey: undefined });
  assert.deepEqual(addressOf('127.0.0.1:1', '/b/'), { bucket: 'b', rawKey: undefined });
  assert.deepEqual(addressOf('127.0.0.1:1', '/b//a%20b/c/'), { bucket: 'b', rawKey: '/a%20b/c/' });
  assert.deepEqual(addressOf('b.localhost:1', '/x%2By//'), { bucket: 'b', rawKey: 'x%2By//' });
  assert.deepEqual(addressOf('b.localhost:1', '/'), { bucket: 'b', rawKey: undefined });
});
