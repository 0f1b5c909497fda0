/**
 * What the real AWS CLI (botocore) sends for uploads, captured by a bare node:http server on
 * loopback, then fed to the reader. Over http botocore sends plain bodies with a signed sha256
 * and Content-MD5 by default, or an x-amz-checksum-* header when asked (its aws-chunked trailers
 * are for https only). Skips where the CLI is not installed (as the other AWS CLI tests do).
 */

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { awsCliText, awsCliTool } from '../../../test/support/aws-cli.js';
import { checksumBase64 } from '../../shared/checksums.js';
import { readUploadBody } from './read-upload-body.js';
import { assertRecorded, drain, md5Hex, piecesOf, recordedError, rejectsWith } from './test-helpers.js';

const tool = awsCliTool();
let server: http.Server;
let aws: (...args: string[]) => Promise<string>;
let dir: string;
const captured: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
const data = randomBytes(100_000);

before(async () => {
  if (tool.path === undefined) return;
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      captured.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts),
      });
      res.writeHead(200, { ETag: `"${md5Hex(Buffer.concat(parts))}"`, 'Content-Length': '0' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-s3body-cli-'));
  fs.writeFileSync(path.join(dir, 'data.bin'), data);
  aws = awsCliText(tool.path, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, dir);
});

after(async () => {
  if (tool.path === undefined) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function capture(...args: string[]) {
  const start = captured.length;
  await aws(...args);
  const puts = captured.slice(start).filter((c) => c.method === 'PUT');
  assert.equal(puts.length, 1);
  return puts[0] as (typeof captured)[number];
}

const flipped = (body: Buffer) => {
  const b = Buffer.from(body);
  b[0] = (b[0] ?? 0) ^ 1;
  return b;
};

describe('AWS CLI uploads, captured and read back', { skip: tool.skip }, () => {
  for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
    test(`s3api put-object --checksum-algorithm ${algorithm}`, async () => {
      const expectedAlgorithm = algorithm;
      const c = await capture(
        's3api',
        'put-object',
        '--bucket',
        'bucket',
        '--key',
        'key',
        '--body',
        path.join(dir, 'data.bin'),
        '--checksum-algorithm',
        algorithm,
      );
      const expected = await checksumBase64(expectedAlgorithm, data);
      assert.equal(c.headers[`x-amz-checksum-${expectedAlgorithm.toLowerCase()}`], expected);
      const { bytes, result } = await drain(readUploadBody(piecesOf(c.body, 4000), { headers: c.headers }));
      assert.ok(bytes.equals(data));
      assert.deepEqual(result, {
        size: data.length,
        md5Hex: md5Hex(data),
        checksum: { algorithm: expectedAlgorithm, value: expected },
      });
      await rejectsWith(
        readUploadBody(piecesOf(flipped(c.body)), { headers: c.headers }),
        'XAmzContentSHA256Mismatch',
        400,
      );
      const unsigned = { ...c.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
      const error = await rejectsWith(
        readUploadBody(piecesOf(flipped(c.body)), { headers: unsigned }),
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

  test('s3api put-object with default settings: this botocore sends Content-MD5', async () => {
    const c = await capture(
      's3api',
      'put-object',
      '--bucket',
      'b',
      '--key',
      'k',
      '--body',
      path.join(dir, 'data.bin'),
    );
    assert.equal(c.headers['content-md5'], createHash('md5').update(data).digest('base64'));
    const { result } = await drain(readUploadBody(piecesOf(c.body, 4000), { headers: c.headers }));
    assert.deepEqual(result, { size: data.length, md5Hex: md5Hex(data) });
    const unsigned = { ...c.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const error = await rejectsWith(
      readUploadBody(piecesOf(flipped(c.body)), { headers: unsigned }),
      'BadDigest',
      400,
    );
    assert.equal(error.message, 'The Content-MD5 you specified did not match what we received.');
  });

  test('s3api put-object --content-md5', async () => {
    const md5 = createHash('md5').update(data).digest('base64');
    const c = await capture(
      's3api',
      'put-object',
      '--bucket',
      'b',
      '--key',
      'k',
      '--body',
      path.join(dir, 'data.bin'),
      '--content-md5',
      md5,
    );
    assert.equal(c.headers['content-md5'], md5);
    assert.equal(
      (await drain(readUploadBody(piecesOf(c.body), { headers: c.headers }))).result.md5Hex,
      md5Hex(data),
    );
    const unsigned = { ...c.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const error = await rejectsWith(
      readUploadBody(piecesOf(flipped(c.body)), { headers: unsigned }),
      'BadDigest',
      400,
    );
    assert.equal(error.message, 'The Content-MD5 you specified did not match what we received.');
  });

  test('s3 cp of a file under the multipart threshold', async () => {
    const c = await capture('s3', 'cp', path.join(dir, 'data.bin'), 's3://bucket/copied.bin');
    const { bytes, result } = await drain(readUploadBody(piecesOf(c.body, 8192), { headers: c.headers }));
    assert.ok(bytes.equals(data));
    assert.equal(result.md5Hex, md5Hex(data));
  });
});
