/**
 * Broken aws-chunked framing and lengths: malformed chunk headers and CRLFs, truncation
 * anywhere, decoded lengths that disagree with x-amz-decoded-content-length, oversized bodies,
 * small chunks, and trailers that do not match x-amz-trailer. Every case must end in S3's
 * error, never a crash, a hang or an accepted body.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { checksumBase64 } from '../../shared/checksums.js';
import { readUploadBody } from './read-upload-body.js';
import { chunkedBody, drain, md5Hex, piecesOf, rejectsWith } from './test-helpers.js';

const TERMINATED = 'The request body terminated unexpectedly';
const data = randomBytes(20_000);
const chunks = [data.subarray(0, 10_000), data.subarray(10_000)];

/** `null`: without x-amz-decoded-content-length. */
function trailerHeaders(decodedLength: number | null = data.length): Record<string, string> {
  return {
    'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    'content-encoding': 'aws-chunked',
    'x-amz-trailer': 'x-amz-checksum-crc32',
    'x-amz-sdk-checksum-algorithm': 'CRC32',
    ...(decodedLength === null ? {} : { 'x-amz-decoded-content-length': String(decodedLength) }),
  };
}

async function goodBody(): Promise<Buffer> {
  return chunkedBody(chunks, { trailers: [`x-amz-checksum-crc32:${await checksumBase64('CRC32', data)}`] });
}

const replace = (body: Buffer, from: string, to: string) =>
  Buffer.from(body.toString('latin1').replace(from, to), 'latin1');

describe('aws-chunked framing', () => {
  test('the well-formed body reads back, in any piece size', async () => {
    const body = await goodBody();
    for (const piece of [1, 2, 9, 4096, body.length]) {
      const { bytes, result } = await drain(
        readUploadBody(piecesOf(body, piece), { headers: trailerHeaders() }),
      );
      assert.ok(bytes.equals(data));
      assert.equal(result.md5Hex, md5Hex(data));
    }
  });

  test('malformed chunk headers and separators → IncompleteBody', async () => {
    const body = await goodBody();
    const cases: [string, Buffer][] = [
      ['non-hex size', replace(body, '2710\r\n', 'zz10\r\n')],
      ['empty size', replace(body, '2710\r\n', '\r\n')],
      ['size with sign', replace(body, '2710\r\n', '-2710\r\n')],
      ['bare LF after the size', replace(body, '2710\r\n', '2710\n')],
      [
        'data not followed by CRLF',
        Buffer.concat([body.subarray(0, 6 + 10_000), Buffer.from('XX'), body.subarray(6 + 10_002)]),
      ],
      ['a size line with no end', Buffer.concat([Buffer.from('2710'), Buffer.alloc(5000, '0')])],
      ['a size far beyond the declared length', replace(body, '2710\r\n', 'fffffffffffff\r\n')],
      ['bytes after the final empty line', Buffer.concat([body, Buffer.from('junk')])],
    ];
    for (const [label, bad] of cases) {
      for (const piece of [1, 4096]) {
        await rejectsWith(
          readUploadBody(piecesOf(bad, piece), { headers: trailerHeaders() }),
          'IncompleteBody',
          400,
          TERMINATED,
        ).catch((e: unknown) => assert.fail(`${label} (pieces of ${piece}): ${String(e)}`));
      }
    }
  });

  test('truncated anywhere → IncompleteBody (or the missing trailer named)', async () => {
    const body = await goodBody();
    const trailerStart = body.indexOf('x-amz-checksum-crc32:');
    for (let cut = 0; cut < body.length - 2; cut += cut < 50 || cut > body.length - 80 ? 1 : 997) {
      const error = await rejectsWith(
        readUploadBody(piecesOf(body.subarray(0, cut), 777), { headers: trailerHeaders() }),
        cut === trailerStart ? 'MalformedTrailerError' : 'IncompleteBody',
        400,
      ).catch((e: unknown) => assert.fail(`cut at ${cut}: ${String(e)}`));
      assert.ok(error);
    }
  });

  test('decoded length other than x-amz-decoded-content-length → IncompleteBody; missing → MissingContentLength (411)', async () => {
    const body = await goodBody();
    await rejectsWith(
      readUploadBody(piecesOf(body), { headers: trailerHeaders(data.length + 1) }),
      'IncompleteBody',
      400,
      TERMINATED,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body), { headers: trailerHeaders(data.length - 1) }),
      'IncompleteBody',
      400,
      TERMINATED,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body), { headers: trailerHeaders(null) }),
      'MissingContentLength',
      411,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body), {
        headers: { ...trailerHeaders(), 'x-amz-decoded-content-length': '12abc' },
      }),
      'MissingContentLength',
      411,
    );
  });

  test('more than maxBytes → EntityTooLarge before the body is read', async () => {
    let read = false;
    const source = (async function* () {
      read = true;
      yield await goodBody();
    })();
    const error = await rejectsWith(
      readUploadBody(source, { headers: trailerHeaders(), maxBytes: 19_999 }),
      'EntityTooLarge',
      400,
      'Your proposed upload exceeds the maximum allowed size',
    );
    assert.deepEqual(error.fields, { MaxSizeAllowed: '19999', ProposedSize: '20000' });
    assert.equal(read, false);
    const { result } = await drain(
      readUploadBody(piecesOf(await goodBody()), { headers: trailerHeaders(), maxBytes: 20_000 }),
    );
    assert.equal(result.size, 20_000);
  });

  test('a chunk under 8 KiB before the last → InvalidChunkSizeError; a small last chunk is fine', async () => {
    const crc = `x-amz-checksum-crc32:${await checksumBase64('CRC32', data)}`;
    const smallFirst = chunkedBody([data.subarray(0, 8191), data.subarray(8191)], { trailers: [crc] });
    const error = await rejectsWith(
      readUploadBody(piecesOf(smallFirst), { headers: trailerHeaders() }),
      'InvalidChunkSizeError',
      403,
    );
    assert.deepEqual(error.fields, { Chunk: 2, BadChunkSize: 8191 });
    const smallLast = chunkedBody(
      [data.subarray(0, 8192), data.subarray(8192, 19_990), data.subarray(19_990)],
      { trailers: [crc] },
    );
    assert.equal(
      (await drain(readUploadBody(piecesOf(smallLast), { headers: trailerHeaders() }))).result.size,
      20_000,
    );
  });

  test('trailers: undeclared, missing, repeated, malformed, not base64, wrong', async () => {
    const crc = await checksumBase64('CRC32', data);
    const other = await checksumBase64('CRC32', Buffer.from('x'));
    const body = (trailers: string[]) => chunkedBody(chunks, { trailers });
    const { 'x-amz-trailer': _t, 'x-amz-sdk-checksum-algorithm': _a, ...noTrailerHeaders } = trailerHeaders();
    await rejectsWith(
      readUploadBody(piecesOf(body([`x-amz-checksum-crc32:${crc}`])), { headers: noTrailerHeaders }),
      'MalformedTrailerError',
      400,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body([])), { headers: trailerHeaders() }),
      'MalformedTrailerError',
      400,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body([`x-amz-checksum-sha256:${await checksumBase64('SHA256', data)}`])), {
        headers: trailerHeaders(),
      }),
      'MalformedTrailerError',
      400,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body([`x-amz-checksum-crc32:${crc}`, `x-amz-checksum-crc32:${crc}`])), {
        headers: trailerHeaders(),
      }),
      'MalformedTrailerError',
      400,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body(['no colon here'])), { headers: trailerHeaders() }),
      'MalformedTrailerError',
      400,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body([`x-amz-trailer-signature:${'0'.repeat(64)}`])), {
        headers: trailerHeaders(),
      }),
      'MalformedTrailerError',
      400,
    );
    await rejectsWith(
      readUploadBody(piecesOf(body(['x-amz-checksum-crc32:not!base64'])), { headers: trailerHeaders() }),
      'InvalidRequest',
      400,
      'Value for x-amz-checksum-crc32 header is invalid.',
    );
    await rejectsWith(
      readUploadBody(piecesOf(body([`x-amz-checksum-crc32:${other}`])), { headers: trailerHeaders() }),
      'BadDigest',
      400,
      'The CRC32 you specified did not match the calculated checksum.',
    );
    // The final empty line may be missing (the input ends cleanly after the trailer).
    const noFinalLine = body([`x-amz-checksum-crc32:${crc}`]).subarray(0, -2);
    assert.equal(
      (await drain(readUploadBody(piecesOf(noFinalLine), { headers: trailerHeaders() }))).result.size,
      20_000,
    );
  });

  test('x-amz-trailer naming no checksum, or beside a checksum header → InvalidRequest', async () => {
    const body = await goodBody();
    await rejectsWith(
      readUploadBody(piecesOf(body), { headers: { ...trailerHeaders(), 'x-amz-trailer': 'x-amz-meta-foo' } }),
      'InvalidRequest',
      400,
      'The value specified in the x-amz-trailer header is not supported',
    );
    await rejectsWith(
      readUploadBody(piecesOf(body), {
        headers: { ...trailerHeaders(), 'x-amz-checksum-crc32': await checksumBase64('CRC32', data) },
      }),
      'InvalidRequest',
      400,
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  });

  test('a source that fails mid-body passes its error through (a client that disconnects)', async () => {
    const body = await goodBody();
    const source = (async function* () {
      yield body.subarray(0, 5000);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })();
    await assert.rejects(drain(readUploadBody(source, { headers: trailerHeaders() })), {
      code: 'ECONNRESET',
    });
  });

  test('Content-Encoding: aws-chunked with UNSIGNED-PAYLOAD (Java SDK v2) is decoded too', async () => {
    const headers = {
      ...trailerHeaders(),
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'content-encoding': 'gzip, aws-chunked',
    };
    const { bytes } = await drain(readUploadBody(piecesOf(await goodBody()), { headers }));
    assert.ok(bytes.equals(data));
  });
});
