import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { AwsError } from '../../shared/errors.js';
import { readObjectBody } from './object-body.js';

async function* pieces(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

async function drain(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of body) out.push(b);
  return Buffer.concat(out);
}

const md5b64 = (s: string) => createHash('md5').update(s).digest('base64');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('a plain body passes through with its size and MD5', async () => {
  const body = readObjectBody(pieces('hello ', 'world'), {
    'content-length': '11',
    'content-md5': md5b64('hello world'),
    'x-amz-content-sha256': sha('hello world'),
  });
  assert.equal((await drain(body)).toString(), 'hello world');
  assert.deepEqual(body.result(), {
    size: 11,
    md5Hex: createHash('md5').update('hello world').digest('hex'),
  });
});

test('UNSIGNED-PAYLOAD is not held to a hash', async () => {
  const body = readObjectBody(pieces('x'), { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
  assert.equal((await drain(body)).toString(), 'x');
  assert.equal(body.result().size, 1);
});

test("S3's errors for a body that does not hold to its headers", async () => {
  const code = async (headers: Record<string, string>, ...parts: string[]) => {
    const body = readObjectBody(pieces(...parts), headers);
    try {
      await drain(body);
    } catch (err) {
      assert.throws(() => body.result());
      return (err as AwsError).code;
    }
    return 'ok';
  };
  assert.equal(await code({ 'x-amz-content-sha256': sha('abc') }, 'abd'), 'XAmzContentSHA256Mismatch');
  assert.equal(await code({ 'content-md5': md5b64('abc') }, 'abd'), 'BadDigest');
  assert.equal(await code({ 'content-md5': 'MTIz' }, 'abc'), 'InvalidDigest');
  assert.equal(await code({ 'content-length': '5' }, 'abc'), 'IncompleteBody');
  assert.equal(
    await code({ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }, 'abc'),
    'NotImplemented',
  );
  assert.equal(await code({ 'content-encoding': 'aws-chunked' }, 'abc'), 'NotImplemented');
  assert.equal(await code({ 'content-md5': md5b64('abc') }, 'a', 'bc'), 'ok');
});
