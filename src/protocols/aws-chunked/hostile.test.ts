/**
 * Random damage to well-formed bodies of every form: whatever the reader is fed, it either
 * accepts bytes that still verify or throws an S3 error (an AwsError) — never another
 * exception, never a hang. The damage is seeded, so a failure replays.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { checksumBase64 } from '../../shared/checksums.js';
import { AwsError } from '../../shared/errors.js';
import { readUploadBody, type UploadBodyOptions } from './read-upload-body.js';
import { deriveSigningKey } from './signing-key.js';
import { chunkedBody, drain, md5Hex, piecesOf } from './test-helpers.js';
import type { ChunkSigning } from './upload-headers.js';

/** xorshift32: a small deterministic generator so failures replay. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const signing: ChunkSigning = {
  signingKey: deriveSigningKey('test', '20261202', 'us-east-1', 's3'),
  seedSignature: 'b'.repeat(64),
  amzDate: '20261202T000000Z',
  scope: '20261202/us-east-1/s3/aws4_request',
};

async function forms(data: Buffer): Promise<[string, Buffer, UploadBodyOptions][]> {
  const crc = `x-amz-checksum-crc32:${await checksumBase64('CRC32', data)}`;
  const chunks = [data.subarray(0, 9000), data.subarray(9000)];
  const decoded = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) };
  return [
    [
      'plain + CRC32 header',
      data,
      { headers: { 'content-length': String(data.length), 'x-amz-checksum-crc32': crc.slice(21) } },
    ],
    [
      'unsigned trailer',
      chunkedBody(chunks, { trailers: [crc] }),
      {
        headers: {
          ...decoded,
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
      },
    ],
    [
      'signed',
      chunkedBody(chunks, { signing }),
      {
        headers: { ...decoded, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' },
        chunkSigning: signing,
      },
    ],
    [
      'signed trailer',
      chunkedBody(chunks, { signing, trailers: [crc] }),
      {
        headers: {
          ...decoded,
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
        chunkSigning: signing,
      },
    ],
  ];
}

function damage(body: Buffer, next: () => number): Buffer {
  const at = Math.floor(next() * body.length);
  switch (Math.floor(next() * 5)) {
    case 0: {
      const b = Buffer.from(body);
      b[at] = Math.floor(next() * 256);
      return b;
    }
    case 1:
      return body.subarray(0, at);
    case 2:
      return Buffer.concat([
        body.subarray(0, at),
        randomBytes(1 + Math.floor(next() * 20)),
        body.subarray(at),
      ]);
    case 3:
      return Buffer.concat([
        body.subarray(0, at),
        body.subarray(Math.min(body.length, at + 1 + Math.floor(next() * 20))),
      ]);
    default:
      return Buffer.concat([
        body.subarray(0, at),
        Buffer.from(['\r\n', '\n', ';', '0\r\n', ':'][Math.floor(next() * 5)] ?? ''),
        body.subarray(at),
      ]);
  }
}

describe('damaged bodies', () => {
  test('every damaged body is accepted intact or refused with an S3 error', async () => {
    const data = randomBytes(20_000);
    const next = random(20261202);
    for (const [label, body, options] of await forms(data)) {
      let refused = 0;
      for (let i = 0; i < 300; i++) {
        const bad = damage(body, next);
        const piece = 1 + Math.floor(next() * 5000);
        try {
          const { bytes, result } = await drain(readUploadBody(piecesOf(bad, piece), options));
          // Accepted: only if what was decoded is still exactly the data (e.g. a changed byte in
          // a chunk extension the unsigned form ignores).
          assert.ok(bytes.equals(data), `${label} #${i}: accepted different bytes`);
          assert.equal(result.md5Hex, md5Hex(data));
        } catch (e) {
          if (!(e instanceof AwsError)) assert.fail(`${label} #${i}: ${String(e)}`);
          refused++;
        }
      }
      assert.ok(refused > 250, `${label}: only ${refused} of 300 refused`);
    }
  });
});
