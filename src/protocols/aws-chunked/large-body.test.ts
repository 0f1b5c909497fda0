/**
 * A 256 MiB upload generated on the fly (one random 1 MiB block, sent as 64 KiB aws-chunked
 * chunks the way the SDK sends a file stream) goes through the reader with flat memory; the
 * reader's own throughput is printed beside MD5 alone over the same bytes (its floor: every
 * upload is MD5'd for the ETag).
 */

import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { readUploadBody } from './read-upload-body.js';
import { deriveSigningKey } from './signing-key.js';
import { EMPTY_SHA256 } from './test-helpers.js';
import type { ChunkSigning } from './upload-headers.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const block = randomBytes(MiB);
const CRLF = Buffer.from('\r\n');
const SIZE_LINE = Buffer.from(`${CHUNK.toString(16)}\r\n`);

/** `blocks` MiB as aws-chunked framing; no buffer bigger than a chunk header is allocated. */
async function* unsignedTrailerBody(blocks: number, trailer: string): AsyncGenerator<Buffer> {
  for (let b = 0; b < blocks; b++) {
    for (let o = 0; o < MiB; o += CHUNK) {
      yield SIZE_LINE;
      yield block.subarray(o, o + CHUNK);
      yield CRLF;
    }
  }
  yield Buffer.from(`0\r\n${trailer}\r\n\r\n`);
}

/** The same, signed; the chain of signatures is computed before timing starts. */
function signedBody(blocks: number, s: ChunkSigning): AsyncIterable<Buffer> {
  const lines: Buffer[] = [];
  let previous = s.seedSignature;
  const sign = (data: Buffer) => {
    const hash = createHash('sha256').update(data).digest('hex');
    previous = createHmac('sha256', s.signingKey)
      .update(`AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${previous}\n${EMPTY_SHA256}\n${hash}`)
      .digest('hex');
    return previous;
  };
  for (let b = 0; b < blocks; b++) {
    for (let o = 0; o < MiB; o += CHUNK) {
      lines.push(
        Buffer.from(`${CHUNK.toString(16)};chunk-signature=${sign(block.subarray(o, o + CHUNK))}\r\n`),
      );
    }
  }
  const last = Buffer.from(`0;chunk-signature=${sign(Buffer.alloc(0))}\r\n\r\n`);
  return (async function* () {
    let i = 0;
    for (let b = 0; b < blocks; b++) {
      for (let o = 0; o < MiB; o += CHUNK) {
        yield lines[i++] as Buffer;
        yield block.subarray(o, o + CHUNK);
        yield CRLF;
      }
    }
    yield last;
  })();
}

interface Run {
  mbPerSecond: number;
  rssGrowthMiB: number;
  size: number;
  md5Hex: string;
  checksum: string | undefined;
}

/** Reads the body to its end, sampling RSS every 16 MiB; the consumer only counts bytes. */
async function run(body: ReturnType<typeof readUploadBody>): Promise<Run> {
  const rssBefore = process.memoryUsage.rss();
  let maxRss = rssBefore;
  let seen = 0;
  let nextSample = 16 * MiB;
  const t0 = performance.now();
  for await (const bytes of body) {
    seen += bytes.length;
    if (seen >= nextSample) {
      maxRss = Math.max(maxRss, process.memoryUsage.rss());
      nextSample += 16 * MiB;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const result = body.result();
  assert.equal(seen, result.size);
  return {
    mbPerSecond: result.size / MiB / seconds,
    rssGrowthMiB: (maxRss - rssBefore) / MiB,
    size: result.size,
    md5Hex: result.md5Hex,
    checksum: result.checksum?.value,
  };
}

describe('large bodies', () => {
  test('256 MiB STREAMING-UNSIGNED-PAYLOAD-TRAILER (CRC32): flat memory, MB/s printed', async () => {
    const blocks = 256;
    const md5 = createHash('md5');
    let crc = 0;
    const t0 = performance.now();
    for (let b = 0; b < blocks; b++) md5.update(block);
    const md5Seconds = (performance.now() - t0) / 1000;
    for (let b = 0; b < blocks; b++) crc = zlib.crc32(block, crc);
    const crcBytes = Buffer.alloc(4);
    crcBytes.writeUInt32BE(crc);
    const trailer = `x-amz-checksum-crc32:${crcBytes.toString('base64')}`;

    const r = await run(
      readUploadBody(unsignedTrailerBody(blocks, trailer), {
        headers: {
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(blocks * MiB),
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
      }),
    );
    assert.equal(r.size, blocks * MiB);
    assert.equal(r.md5Hex, md5.digest('hex'));
    assert.equal(r.checksum, crcBytes.toString('base64'));
    console.log(
      `reader, 256 MiB unsigned+CRC32 trailer: ${r.mbPerSecond.toFixed(0)} MB/s (MD5 alone: ${(blocks / md5Seconds).toFixed(0)} MB/s); RSS grew ${r.rssGrowthMiB.toFixed(1)} MiB`,
    );
    assert.ok(r.rssGrowthMiB < 64, `RSS grew ${r.rssGrowthMiB} MiB`);
  });

  test('64 MiB STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk verified, flat memory, MB/s printed', async () => {
    const blocks = 64;
    const signing: ChunkSigning = {
      signingKey: deriveSigningKey('test', '20261202', 'us-east-1', 's3'),
      seedSignature: 'a'.repeat(64),
      amzDate: '20261202T000000Z',
      scope: '20261202/us-east-1/s3/aws4_request',
    };
    const r = await run(
      readUploadBody(signedBody(blocks, signing), {
        headers: {
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(blocks * MiB),
        },
        chunkSigning: signing,
      }),
    );
    assert.equal(r.size, blocks * MiB);
    console.log(
      `reader, 64 MiB signed chunks : ${r.mbPerSecond.toFixed(0)} MB/s; RSS grew ${r.rssGrowthMiB.toFixed(1)} MiB`,
    );
    assert.ok(r.rssGrowthMiB < 64, `RSS grew ${r.rssGrowthMiB} MiB`);
  });
});
