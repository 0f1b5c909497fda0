/**
 * What the real @aws-sdk/client-s3 sends, captured by a bare node:http server on loopback (it
 * records headers and body bytes and answers 200 with an ETag), then fed to the reader: Buffer
 * bodies (a plain body with x-amz-checksum-* header) and stream bodies (aws-chunked,
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER with a checksum trailer), default settings and each
 * ChecksumAlgorithm. A flipped byte must give AWS's recorded error.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { readCredentialScope } from '../../gateway/sigv4.js';
import { type ChecksumAlgorithm, checksumBase64 } from '../../shared/checksums.js';
import { AwsError } from '../../shared/errors.js';
import { readUploadBody, type UploadBodyOptions } from './read-upload-body.js';
import { chunkSigningFor } from './signing-key.js';
import { assertRecorded, drain, md5Hex, piecesOf, recordedError, rejectsWith } from './test-helpers.js';

interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: http.Server;
let endpoint: string;
const captured: Captured[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      captured.push({ headers: req.headers, body: Buffer.concat(parts) });
      res.writeHead(200, { ETag: '"00000000000000000000000000000000"', 'Content-Length': '0' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(extra: { requestStreamBufferSize?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...extra,
  });
}

async function capture(
  s3: S3Client,
  input: Omit<PutObjectCommandInput, 'Bucket' | 'Key'>,
): Promise<Captured> {
  const before = captured.length;
  await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'key', ...input }));
  assert.equal(captured.length, before + 1);
  return captured[before] as Captured;
}

/** Reader options for a captured request; chunk signing derived as the gateway would. */
function optionsFor(c: Captured): UploadBodyOptions {
  const sha = c.headers['x-amz-content-sha256'];
  if (typeof sha === 'string' && sha.startsWith('STREAMING-AWS4-HMAC-SHA256')) {
    const auth = readCredentialScope({
      method: 'PUT',
      rawPath: '/bucket/key',
      rawQuery: '',
      headers: c.headers,
    });
    assert.ok(auth !== undefined);
    return { headers: c.headers, chunkSigning: chunkSigningFor(auth, 'test') };
  }
  return { headers: c.headers };
}

/** Index of the first object byte in the captured body (after the first chunk header if chunked). */
function firstDataByte(c: Captured): number {
  return c.headers['content-encoding'] === 'aws-chunked' ? c.body.indexOf('\r\n') + 2 : 0;
}

const data = randomBytes(100_000);

function flipByte(bytes: Buffer, at: number): void {
  bytes[at] = (bytes[at] ?? 0) ^ 1;
}
const streamOf = (bytes: Buffer, piece: number) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
    })(),
  );

const algorithms: (ChecksumAlgorithm | undefined)[] = [
  undefined,
  'CRC32',
  'CRC32C',
  'CRC64NVME',
  'SHA1',
  'SHA256',
];

describe('@aws-sdk/client-s3 PutObject, captured and read back', () => {
  for (const algorithm of algorithms) {
    const label = algorithm ?? 'default (CRC32)';
    const expectedAlgorithm = algorithm ?? 'CRC32';

    test(`Buffer body, ${label}: a plain body with x-amz-checksum header`, async () => {
      const c = await capture(client(), {
        Body: data,
        ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
      });
      assert.equal(c.headers['content-encoding'], undefined);
      const sent = c.headers[`x-amz-checksum-${expectedAlgorithm.toLowerCase()}`];
      const expected = await checksumBase64(expectedAlgorithm, data);
      assert.equal(sent, expected);
      const { bytes, result } = await drain(readUploadBody(piecesOf(c.body, 8191), optionsFor(c)));
      assert.ok(bytes.equals(data));
      assert.deepEqual(result, {
        size: data.length,
        md5Hex: md5Hex(data),
        checksum: { algorithm: expectedAlgorithm, value: expected },
      });

      const flipped = Buffer.from(c.body);
      flipByte(flipped, firstDataByte(c));
      // Over http the SDK signs the body's sha256: that fails first.
      await rejectsWith(readUploadBody(piecesOf(flipped), optionsFor(c)), 'XAmzContentSHA256Mismatch', 400);
      // As sent over https (UNSIGNED-PAYLOAD), the checksum catches it, in AWS's recorded words.
      const unsigned = { ...c.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
      const error = await rejectsWith(
        readUploadBody(piecesOf(flipped), { headers: unsigned }),
        'BadDigest',
        400,
      );
      assertRecorded(
        error,
        recordedError(
          'test_s3',
          `test_put_object_checksum[${expectedAlgorithm}]`,
          'put-wrong-checksum-value',
        ),
      );
    });

    test(`stream body, ${label}: aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER`, async () => {
      const c = await capture(client(), {
        Body: streamOf(data, 16384),
        ContentLength: data.length,
        ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
      });
      assert.equal(c.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      assert.equal(c.headers['x-amz-trailer'], `x-amz-checksum-${expectedAlgorithm.toLowerCase()}`);
      const expected = await checksumBase64(expectedAlgorithm, data);
      assert.ok(c.body.includes(`x-amz-checksum-${expectedAlgorithm.toLowerCase()}:${expected}\r\n`));
      for (const piece of [5, 8191, c.body.length]) {
        const { bytes, result } = await drain(readUploadBody(piecesOf(c.body, piece), optionsFor(c)));
        assert.ok(bytes.equals(data));
        assert.deepEqual(result, {
          size: data.length,
          md5Hex: md5Hex(data),
          checksum: { algorithm: expectedAlgorithm, value: expected },
        });
      }
      const flipped = Buffer.from(c.body);
      flipByte(flipped, firstDataByte(c));
      const error = await rejectsWith(
        readUploadBody(piecesOf(flipped, 4096), optionsFor(c)),
        'BadDigest',
        400,
      );
      assertRecorded(
        error,
        recordedError(
          'test_s3',
          `test_put_object_checksum[${expectedAlgorithm}]`,
          'put-wrong-checksum-value',
        ),
      );
    });
  }

  test('a checksum header that is not base64 → InvalidRequest as recorded, before any body is read', async () => {
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
      const c = await capture(client(), { Body: data, ChecksumAlgorithm: algorithm });
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      let read = false;
      const source = (async function* () {
        read = true;
        yield c.body;
      })();
      const error = await rejectsWith(
        readUploadBody(source, { headers: { ...c.headers, [name]: 'wrong-checksum' } }),
        'InvalidRequest',
        400,
      );
      assertRecorded(
        error,
        recordedError('test_s3', `test_put_object_checksum[${algorithm}]`, 'put-wrong-checksum-no-b64'),
      );
      assert.equal(read, false);
    }
  });

  test('two checksum headers → InvalidRequest as recorded', async () => {
    const c = await capture(client(), { Body: data, ChecksumAlgorithm: 'SHA256' });
    const headers = { ...c.headers, 'x-amz-checksum-crc32': await checksumBase64('CRC32', data) };
    const error = await rejectsWith(readUploadBody(piecesOf(c.body), { headers }), 'InvalidRequest', 400);
    assertRecorded(error, recordedError('test_s3', 'test_s3_checksum_no_algorithm', 'put-2-checksums'));
  });

  test('a stream in small pieces: the SDK sends a 1000-byte chunk, which S3 refuses; requestStreamBufferSize fixes it', async () => {
    const small = await capture(client(), { Body: streamOf(data, 1000), ContentLength: data.length });
    assert.ok(small.body.subarray(0, 5).equals(Buffer.from('3e8\r\n')));
    const error = await rejectsWith(
      readUploadBody(piecesOf(small.body, 65536), optionsFor(small)),
      'InvalidChunkSizeError',
      403,
      'Only the last chunk is allowed to have a size less than 8192 bytes',
    );
    assert.deepEqual(error.fields, { Chunk: 2, BadChunkSize: 1000 });

    const buffered = await capture(client({ requestStreamBufferSize: 65536 }), {
      Body: streamOf(data, 1000),
      ContentLength: data.length,
    });
    const { result } = await drain(readUploadBody(piecesOf(buffered.body, 65536), optionsFor(buffered)));
    assert.equal(result.size, data.length);
    assert.equal(result.checksum?.value, await checksumBase64('CRC32', data));
  });

  test('an empty Buffer and an empty stream', async () => {
    for (const body of [Buffer.alloc(0), streamOf(Buffer.alloc(0), 1)]) {
      const c = await capture(client(), { Body: body, ContentLength: 0 });
      const { result } = await drain(readUploadBody(piecesOf(c.body), optionsFor(c)));
      assert.equal(result.size, 0);
      assert.equal(result.md5Hex, 'd41d8cd98f00b204e9800998ecf8427e');
      assert.equal(result.checksum?.value, 'AAAAAA==');
    }
  });

  test('errors are AwsErrors with S3 codes, never plain Errors', async () => {
    const c = await capture(client(), { Body: streamOf(data, 16384), ContentLength: data.length });
    const truncated = c.body.subarray(0, c.body.length - 40);
    try {
      await drain(readUploadBody(piecesOf(truncated), optionsFor(c)));
      assert.fail('accepted a truncated body');
    } catch (e) {
      assert.ok(e instanceof AwsError);
    }
  });
});
