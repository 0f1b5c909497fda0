/**
 * AWS's published chunked-upload example ("Signature Calculations for the Authorization Header:
 * Transferring Payload in Multiple Chunks", Example: PUT Object): the seed signature is checked
 * by the gateway's own SigV4 verifier, then every chunk signature by the body reader.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSigV4Headers, readCredentialScope, type SignedRequestView } from '../../gateway/sigv4.js';
import { checksumBase64 } from '../../shared/checksums.js';
import { readUploadBody } from './read-upload-body.js';
import { chunkSigningFor } from './signing-key.js';
import { chunkedBody, drain, md5Hex, piecesOf, rejectsWith } from './test-helpers.js';
import type { ChunkSigning } from './upload-headers.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
// The three chunk signatures as published.
const SIG1 = 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648';
const SIG2 = '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497';
const SIG3 = 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9';

const headers = {
  host: 's3.amazonaws.com',
  'x-amz-date': '20130524T000000Z',
  'x-amz-storage-class': 'REDUCED_REDUNDANCY',
  authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`,
  'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'content-encoding': 'aws-chunked',
  'x-amz-decoded-content-length': '66560',
  'content-length': '66824',
};

const data = Buffer.alloc(66560, 'a');
const wire = Buffer.concat([
  Buffer.from(`10000;chunk-signature=${SIG1}\r\n`),
  data.subarray(0, 65536),
  Buffer.from(`\r\n400;chunk-signature=${SIG2}\r\n`),
  data.subarray(65536),
  Buffer.from(`\r\n0;chunk-signature=${SIG3}\r\n\r\n`),
]);

/** The seed signature verified as the gateway verifies it, then the chunk-signing context. */
function verifiedSigning(): ChunkSigning {
  const view: SignedRequestView = {
    method: 'PUT',
    rawPath: '/examplebucket/chunkObject.txt',
    rawQuery: '',
    headers,
  };
  const lookup = (id: string) =>
    id === 'AKIAIOSFODNN7EXAMPLE' ? { secretAccessKey: SECRET, accountId: '000000000000' } : undefined;
  const pending = checkSigV4Headers(view, lookup, new Date('2013-05-24T00:00:00Z'));
  assert.equal(pending.needsBody, false);
  pending.verifySignature(); // throws InvalidSignatureException unless the seed is right
  const auth = readCredentialScope(view);
  assert.ok(auth !== undefined);
  return chunkSigningFor(auth, SECRET);
}

describe('AWS chunked-upload example (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  test('the published body is 66824 bytes and decodes to 66560 a’s, whatever the piece size', async () => {
    assert.equal(wire.length, 66824);
    const chunkSigning = verifiedSigning();
    for (const piece of [1, 2, 3, 7, 64, 1000, 65536, wire.length]) {
      const { bytes, result } = await drain(readUploadBody(piecesOf(wire, piece), { headers, chunkSigning }));
      assert.ok(bytes.equals(data), `piece ${piece}`);
      assert.deepEqual(result, { size: 66560, md5Hex: md5Hex(data) });
    }
  });

  test('one altered byte in either chunk → SignatureDoesNotMatch (403)', async () => {
    const chunkSigning = verifiedSigning();
    for (const at of [wire.indexOf('\r\n') + 2, wire.length - 200]) {
      const bad = Buffer.from(wire);
      bad[at] = 0x62; // 'b'
      await rejectsWith(
        readUploadBody(piecesOf(bad, 4096), { headers, chunkSigning }),
        'SignatureDoesNotMatch',
        403,
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    }
  });

  test('a changed signature, a wrong seed, a missing signature or a missing seed context are refused', async () => {
    const chunkSigning = verifiedSigning();
    const flipped = Buffer.from(wire.toString('latin1').replace(SIG3, `${SIG3.slice(0, 63)}a`), 'latin1');
    await rejectsWith(
      readUploadBody(piecesOf(flipped), { headers, chunkSigning }),
      'SignatureDoesNotMatch',
      403,
    );
    const wrongSeed = { ...chunkSigning, seedSignature: SIG1 };
    await rejectsWith(
      readUploadBody(piecesOf(wire), { headers, chunkSigning: wrongSeed }),
      'SignatureDoesNotMatch',
      403,
    );
    const unsigned = Buffer.from(wire.toString('latin1').replace(`;chunk-signature=${SIG2}`, ''), 'latin1');
    await rejectsWith(
      readUploadBody(piecesOf(unsigned), {
        headers: { ...headers, 'x-amz-decoded-content-length': '66560' },
        chunkSigning,
      }),
      'SignatureDoesNotMatch',
      403,
    );
    await rejectsWith(readUploadBody(piecesOf(wire), { headers }), 'SignatureDoesNotMatch', 403);
  });

  test('chunks swapped in order break the chain', async () => {
    const chunkSigning = verifiedSigning();
    const small = Buffer.alloc(8192, 'x');
    const big = Buffer.alloc(9000, 'y');
    const good = chunkedBody([big, small], { signing: chunkSigning });
    const h = { ...headers, 'x-amz-decoded-content-length': String(big.length + small.length) };
    assert.equal(
      (await drain(readUploadBody(piecesOf(good, 999), { headers: h, chunkSigning }))).result.size,
      17192,
    );
    // The same chunks with their signatures, sent second-first.
    const firstEnd = good.indexOf('\r\n', good.indexOf('\r\n') + 2 + big.length) + 2;
    const lastStart = good.lastIndexOf('0;chunk-signature=');
    const swapped = Buffer.concat([
      good.subarray(firstEnd, lastStart),
      good.subarray(0, firstEnd),
      good.subarray(lastStart),
    ]);
    await rejectsWith(
      readUploadBody(piecesOf(swapped), { headers: h, chunkSigning }),
      'SignatureDoesNotMatch',
      403,
    );
  });
});

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (signed trailer), with the example’s key', () => {
  const trailerHeaders = (size: number) => ({
    ...headers,
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    'x-amz-trailer': 'x-amz-checksum-crc32',
    'x-amz-decoded-content-length': String(size),
  });

  test('verified chunk and trailer signatures; the trailer checksum is returned', async () => {
    const chunkSigning = verifiedSigning();
    const crc = await checksumBase64('CRC32', data);
    const body = chunkedBody([data.subarray(0, 65536), data.subarray(65536)], {
      signing: chunkSigning,
      trailers: [`x-amz-checksum-crc32:${crc}`],
    });
    const { result } = await drain(
      readUploadBody(piecesOf(body, 333), { headers: trailerHeaders(66560), chunkSigning }),
    );
    assert.deepEqual(result, {
      size: 66560,
      md5Hex: md5Hex(data),
      checksum: { algorithm: 'CRC32', value: crc },
    });
  });

  test('an altered trailer → SignatureDoesNotMatch; a signed but wrong checksum → BadDigest', async () => {
    const chunkSigning = verifiedSigning();
    const crc = await checksumBase64('CRC32', data);
    const body = chunkedBody([data], { signing: chunkSigning, trailers: [`x-amz-checksum-crc32:${crc}`] });
    const other = await checksumBase64('CRC32', Buffer.from('other'));
    const tampered = Buffer.from(body.toString('latin1').replace(crc, other), 'latin1');
    await rejectsWith(
      readUploadBody(piecesOf(tampered), { headers: trailerHeaders(66560), chunkSigning }),
      'SignatureDoesNotMatch',
      403,
    );
    const wrong = chunkedBody([data], { signing: chunkSigning, trailers: [`x-amz-checksum-crc32:${other}`] });
    await rejectsWith(
      readUploadBody(piecesOf(wrong), { headers: trailerHeaders(66560), chunkSigning }),
      'BadDigest',
      400,
      'The CRC32 you specified did not match the calculated checksum.',
    );
    const unsignedTrailer = chunkedBody([data], { signing: chunkSigning });
    const withPlainTrailer = Buffer.concat([
      unsignedTrailer.subarray(0, -2),
      Buffer.from(`x-amz-checksum-crc32:${crc}\r\n\r\n`),
    ]);
    await rejectsWith(
      readUploadBody(piecesOf(withPlainTrailer), { headers: trailerHeaders(66560), chunkSigning }),
      'SignatureDoesNotMatch',
      403,
    );
  });
});
