import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidBucketName } from './bucket-names.js';

test('bucket names as S3 accepts and refuses them', () => {
  for (const ok of ['abc', 'my-bucket', 'my.bucket.1', '1bucket', 'a'.repeat(63)]) {
    assert.equal(isValidBucketName(ok), true, ok);
  }
  for (const bad of [
    'ab',
    'a'.repeat(64),
    'My-Bucket',
    '-abc',
    'abc-',
    'a..b',
    '192.168.1.1',
    'xn--abc',
    'abc-s3alias',
    'a_b',
    'a b',
  ]) {
    assert.equal(isValidBucketName(bad), false, bad);
  }
});
