/**
 * Header-level rules and plain (not aws-chunked) bodies: Content-MD5 (AWS's recorded
 * InvalidDigest and BadDigest cases), a hex x-amz-content-sha256, lengths, and the values of
 * x-amz-content-sha256 / x-amz-sdk-checksum-algorithm S3 refuses.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { readUploadBody } from './read-upload-body.js';
import { assertRecorded, chunkedBody, drain, piecesOf, recordedError, rejectsWith } from './test-helpers.js';

const something = Buffer.from('something');
const plain = (extra: Record<string, string> = {}, body: Buffer = something) => ({
  'content-length': String(body.length),
  'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  ...extra,
});

describe('Content-MD5', () => {
  test('values that are not the base64 of 16 bytes → InvalidDigest, as recorded', async () => {
    for (const key of ['md5-error-0', 'md5-error-1', 'md5-error-2', 'md5-error-3', 'md5-error-4']) {
      const recorded = recordedError('test_s3', 'test_s3_invalid_content_md5', key);
      const error = await rejectsWith(
        readUploadBody(piecesOf(something), {
          headers: plain({ 'content-md5': String(recorded['Content-MD5']) }),
        }),
        'InvalidDigest',
        400,
      );
      assertRecorded(error, recorded);
    }
  });

  test('a digest of other bytes → BadDigest with ExpectedDigest and CalculatedDigest, as recorded', async () => {
    const recorded = recordedError('test_s3', 'test_s3_invalid_content_md5', 'md5-error-bad-digest');
    const sent = Buffer.from(String(recorded.ExpectedDigest), 'hex').toString('base64');
    const error = await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'content-md5': sent }) }),
      'BadDigest',
      400,
    );
    assertRecorded(error, recorded);
    // UploadPart shows the expected digest as sent (also recorded).
    const part = recordedError('test_s3', 'test_s3_invalid_content_md5', 'upload-part-md5-bad-digest');
    const partError = await rejectsWith(
      readUploadBody(piecesOf(something), {
        headers: plain({ 'content-md5': sent }),
        expectedDigestForm: 'base64',
      }),
      'BadDigest',
      400,
    );
    assertRecorded(partError, part);
  });

  test('the right digest passes, on plain and aws-chunked bodies', async () => {
    const md5 = createHash('md5').update(something).digest();
    const { result } = await drain(
      readUploadBody(piecesOf(something, 2), { headers: plain({ 'content-md5': md5.toString('base64') }) }),
    );
    assert.equal(result.md5Hex, md5.toString('hex'));
    assert.equal(result.md5Hex, '437b930db84b8079c2dd804a71936b5f'); // the recorded ETag of 'something'
    const chunked = {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '9',
      'content-md5': md5.toString('base64'),
    };
    assert.equal(
      (await drain(readUploadBody(piecesOf(chunkedBody([something]), 3), { headers: chunked }))).result.size,
      9,
    );
    await rejectsWith(
      readUploadBody(piecesOf(chunkedBody([Buffer.from('somethinG')])), { headers: chunked }),
      'BadDigest',
      400,
    );
  });
});

describe('plain bodies', () => {
  test('a hex x-amz-content-sha256 is held to the body (XAmzContentSHA256Mismatch)', async () => {
    const sha = createHash('sha256').update(something).digest('hex');
    for (const declared of [sha, sha.toUpperCase()]) {
      const { result } = await drain(
        readUploadBody(piecesOf(something), { headers: plain({ 'x-amz-content-sha256': declared }) }),
      );
      assert.equal(result.size, 9);
    }
    const wrong = createHash('sha256').update('other').digest('hex');
    const error = await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'x-amz-content-sha256': wrong }) }),
      'XAmzContentSHA256Mismatch',
      400,
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
    assert.deepEqual(error.fields, { ClientComputedContentSHA256: wrong, S3ComputedContentSHA256: sha });
  });

  test('fewer bytes than Content-Length, or more → IncompleteBody; none declared → MissingContentLength', async () => {
    const message = 'You did not provide the number of bytes specified by the Content-Length HTTP header';
    await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'content-length': '10' }) }),
      'IncompleteBody',
      400,
      message,
    );
    await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'content-length': '8' }) }),
      'IncompleteBody',
      400,
      message,
    );
    const { 'content-length': _, ...noLength } = plain();
    await rejectsWith(
      readUploadBody(piecesOf(something), { headers: noLength }),
      'MissingContentLength',
      411,
    );
  });

  test('over maxBytes → EntityTooLarge; an empty body is fine', async () => {
    const error = await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain(), maxBytes: 8 }),
      'EntityTooLarge',
      400,
    );
    assert.deepEqual(error.fields, { MaxSizeAllowed: '8', ProposedSize: '9' });
    const { result } = await drain(
      readUploadBody(piecesOf(Buffer.alloc(0)), { headers: plain({}, Buffer.alloc(0)) }),
    );
    assert.deepEqual(result, { size: 0, md5Hex: 'd41d8cd98f00b204e9800998ecf8427e' });
  });

  test('no x-amz-content-sha256 (presigned URLs, POST) reads as unsigned', async () => {
    const { result } = await drain(
      readUploadBody(piecesOf(something), { headers: { 'content-length': '9' } }),
    );
    assert.equal(result.size, 9);
  });
});

describe('headers S3 refuses', () => {
  test('an x-amz-content-sha256 that is no known value → InvalidArgument; SigV4a streaming → NotImplemented (501)', async () => {
    const error = await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'x-amz-content-sha256': 'nonsense' }) }),
      'InvalidArgument',
      400,
    );
    assert.equal(error.fields.ArgumentValue, 'nonsense');
    await rejectsWith(
      readUploadBody(piecesOf(something), {
        headers: plain({ 'x-amz-content-sha256': 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' }),
      }),
      'NotImplemented',
      501,
    );
  });

  test('x-amz-sdk-checksum-algorithm: unknown → the recorded InvalidRequest; without a checksum → InvalidRequest', async () => {
    const error = await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'x-amz-sdk-checksum-algorithm': 'MD5' }) }),
      'InvalidRequest',
      400,
    );
    assertRecorded(
      error,
      recordedError(
        'test_s3',
        'test_multipart_parts_checksum_exceptions_composite',
        'create-mpu-wrong-checksum-algo',
      ),
    );
    await rejectsWith(
      readUploadBody(piecesOf(something), { headers: plain({ 'x-amz-sdk-checksum-algorithm': 'CRC32' }) }),
      'InvalidRequest',
      400,
      'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.',
    );
  });

  test('result() before the end throws; after an error it stays unavailable', async () => {
    const body = readUploadBody(piecesOf(something), { headers: plain({ 'content-length': '10' }) });
    assert.throws(() => body.result());
    await rejectsWith(body, 'IncompleteBody', 400);
    assert.throws(() => body.result());
  });
});
