/**
 * Helpers for this folder's tests: feed bytes in awkward pieces, read a body to its end, build
 * aws-chunked bodies the way the AWS docs describe, and compare errors with AWS's recordings.
 */

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { conformanceDir } from '../../../test/support/conformance.js';
import { AwsError } from '../../shared/errors.js';
import type { UploadBody, UploadBodyResult } from './read-upload-body.js';
import type { ChunkSigning } from './upload-headers.js';

/** The bytes as an async source cut into `piece`-byte buffers (so lines and CRLFs straddle them). */
export async function* piecesOf(bytes: Buffer, piece = bytes.length || 1): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
}

/** Reads a body to its end; returns the decoded bytes and the result. */
export async function drain(body: UploadBody): Promise<{ bytes: Buffer; result: UploadBodyResult }> {
  const parts: Buffer[] = [];
  for await (const b of body) parts.push(Buffer.from(b));
  return { bytes: Buffer.concat(parts), result: body.result() };
}

/** Asserts that reading the body fails with the AWS error `code` (status, and message if given). */
export async function rejectsWith(
  body: UploadBody,
  code: string,
  status: number,
  message?: string,
): Promise<AwsError> {
  try {
    await drain(body);
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    if (message !== undefined) assert.equal(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}, but the body was accepted`);
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/**
 * An aws-chunked body of `chunks`, written independently of the reader from the AWS docs:
 * signed when `signing` is given, with trailer lines (and, signed, a trailer signature).
 */
export function chunkedBody(
  chunks: readonly Buffer[],
  options: { signing?: ChunkSigning; trailers?: readonly string[] } = {},
): Buffer {
  const { signing, trailers } = options;
  const out: Buffer[] = [];
  let previous = signing?.seedSignature ?? '';
  const sign = (stringToSign: string) =>
    createHmac('sha256', signing?.signingKey ?? Buffer.alloc(0))
      .update(stringToSign)
      .digest('hex');
  for (const data of [...chunks, Buffer.alloc(0)]) {
    let ext = '';
    if (signing !== undefined) {
      previous = sign(
        `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${previous}\n${EMPTY_SHA256}\n${createHash('sha256').update(data).digest('hex')}`,
      );
      ext = `;chunk-signature=${previous}`;
    }
    out.push(Buffer.from(`${data.length.toString(16)}${ext}\r\n`), data);
    if (data.length > 0) out.push(Buffer.from('\r\n'));
  }
  if (trailers !== undefined) {
    let canonical = '';
    for (const t of trailers) {
      out.push(Buffer.from(`${t}\r\n`));
      canonical += `${t}\n`;
    }
    if (signing !== undefined) {
      const sig = sign(
        `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${previous}\n${createHash('sha256').update(canonical).digest('hex')}`,
      );
      out.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
    }
  }
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}

/** One recorded AWS error: `recordedError('test_s3', 'TestS3::test_s3_invalid_content_md5', 'md5-error-0')`. */
export function recordedError(file: string, testSuffix: string, key: string): Record<string, unknown> {
  const doc = JSON.parse(
    fs.readFileSync(path.join(conformanceDir(), 'aws-recorded', `${file}.snapshot.json`), 'utf8'),
  ) as Record<string, { 'recorded-content': Record<string, { Error?: Record<string, unknown> }> }>;
  const test = Object.keys(doc).find((k) => k.endsWith(testSuffix));
  assert.ok(test !== undefined, `no recorded test ${testSuffix}`);
  const error = doc[test]?.['recorded-content'][key]?.Error;
  assert.ok(error !== undefined, `no recorded error ${key} in ${test}`);
  return error;
}

/** Asserts an error is the recorded one: code, message and every modeled member. */
export function assertRecorded(error: AwsError, recorded: Record<string, unknown>): void {
  assert.equal(error.code, recorded.Code);
  assert.equal(error.message, recorded.Message);
  for (const [k, v] of Object.entries(recorded)) {
    if (k === 'Code' || k === 'Message') continue;
    assert.equal(String(error.fields[k]), String(v), k);
  }
}
