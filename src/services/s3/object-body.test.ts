/**
 * S3's adapter over the aws-chunked reader (whose own tests cover every body form): a streamed
 * request body with its headers in, the object's bytes, size, MD5 and checksum out, and the
 * checksum S3 echoes from PutObject.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { chunkedBody } from '../../protocols/aws-chunked/test-helpers.js';
import type { StreamedBody } from '../../protocols/types.js';
import type { AwsError } from '../../shared/errors.js';
import { checksumOutput, readObjectBody } from './object-body.js';

function streamed(bytes: Buffer, headers: IncomingHttpHeaders): StreamedBody {
  return {
    headers,
    async *[Symbol.asyncIterator]() {
      yield bytes.subarray(0, 3);
      yield bytes.subarray(3);
    },
  };
}

async function drain(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of body) out.push(b);
  return Buffer.concat(out);
}

const crc32 = (s: string) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlib.crc32(s) >>> 0);
  return b.toString('base64');
};

test('a plain body: its bytes, size and MD5; no checksum to echo', async () => {
  const body = readObjectBody(
    streamed(Buffer.from('hello world'), {
      'content-length': '11',
      'x-amz-content-sha256': createHash('sha256').update('hello world').digest('hex'),
    }),
    1024,
  );
  assert.equal((await drain(body)).toString(), 'hello world');
  const result = body.result();
  assert.equal(result.size, 11);
  assert.equal(result.md5Hex, createHash('md5').update('hello world').digest('hex'));
  assert.deepEqual(checksumOutput(result), {});
});

test('an aws-chunked body with a CRC32 trailer (what the SDKs send by default): decoded, checksum echoed', async () => {
  const wire = chunkedBody([Buffer.from('hello world')], {
    trailers: [`x-amz-checksum-crc32:${crc32('hello world')}`],
  });
  const body = readObjectBody(
    streamed(wire, {
      'content-encoding': 'aws-chunked',
      'content-length': String(wire.length),
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': '11',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    }),
    1024,
  );
  assert.equal((await drain(body)).toString(), 'hello world');
  assert.deepEqual(checksumOutput(body.result()), {
    ChecksumCRC32: crc32('hello world'),
    ChecksumType: 'FULL_OBJECT',
  });
});

test('a body that does not hold to its headers is refused with S3 words', async () => {
  const body = readObjectBody(
    streamed(Buffer.from('abd'), {
      'content-length': '3',
      'content-md5': createHash('md5').update('abc').digest('base64'),
    }),
    1024,
  );
  await assert.rejects(drain(body), (err: AwsError) => err.code === 'BadDigest');
  assert.throws(() => body.result());
});
