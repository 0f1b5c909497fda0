/**
 * S3 given bad input: AWS's error codes, statuses and messages, nothing stored, and the server
 * keeps serving. Raw signed requests where the SDK would not send the request.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { XMLParser } from 'fast-xml-parser';
import { rejectionOf } from './support/errors.js';
import { openRequest, patternBytes, signS3 } from './support/s3.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { signedFetch } from './support/sign.js';

const xml = new XMLParser({ parseTagValue: false });

const failure = (p: Promise<unknown>) => rejectionOf<S3ServiceException>(p);

describe('S3 bad input', () => {
  let server: TestServer;
  let s3: S3Client;
  before(async () => {
    server = await startServer();
    s3 = new S3Client({
      endpoint: server.url.replace('localhost', '127.0.0.1'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'bad' }));
  });
  after(async () => {
    s3.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  const put = (pathname: string, body: string, headers: Record<string, string> = {}) =>
    signedFetch(server.url, pathname, { method: 'PUT', service: 's3', body, headers });

  async function errorOf(res: Response): Promise<Record<string, string>> {
    const doc = xml.parse(await res.text()) as { Error: Record<string, string> };
    return doc.Error;
  }

  const notStored = async (key: string) => {
    const err = await failure(s3.send(new HeadObjectCommand({ Bucket: 'bad', Key: key })));
    assert.equal(err.$metadata.httpStatusCode, 404, key);
  };

  test('invalid bucket names: InvalidBucketName', async () => {
    for (const name of ['ab', 'UPPER', 'under_score', '-lead', 'a..b', '192.168.0.1']) {
      const res = await put(`/${name}`, '');
      assert.equal(res.status, 400, name);
      const err = await errorOf(res);
      assert.equal(err.Code, 'InvalidBucketName', name);
      assert.equal(err.Message, 'The specified bucket is not valid.');
      assert.equal(err.BucketName, name);
      assert.ok(err.RequestId);
    }
  });

  test('a key over 1024 bytes: KeyTooLongError', async () => {
    const err = await failure(
      s3.send(new PutObjectCommand({ Bucket: 'bad', Key: 'k'.repeat(1025), Body: 'x' })),
    );
    assert.equal(err.name, 'KeyTooLongError');
    assert.equal(err.message, 'Your key is too long');
    assert.equal(err.$metadata.httpStatusCode, 400);
    await s3.send(new PutObjectCommand({ Bucket: 'bad', Key: 'k'.repeat(1024), Body: 'x' }));
  });

  test('Content-MD5 that does not match: BadDigest; one that is not an MD5: InvalidDigest; nothing stored', async () => {
    const wrong = createHash('md5').update('other').digest('base64');
    const res = await put('/bad/md5', 'payload', { 'content-md5': wrong });
    assert.equal(res.status, 400);
    const err = await errorOf(res);
    assert.equal(err.Code, 'BadDigest');
    assert.equal(err.Message, 'The Content-MD5 you specified did not match what we received.');
    // PutObject shows the expected digest in hex (recorded: test_s3_invalid_content_md5).
    assert.equal(err.ExpectedDigest, Buffer.from(wrong, 'base64').toString('hex'));
    assert.equal(err.CalculatedDigest, createHash('md5').update('payload').digest('base64'));
    await notStored('md5');

    const invalid = await put('/bad/md5', 'payload', { 'content-md5': 'MTIz' });
    assert.equal(invalid.status, 400);
    assert.equal((await errorOf(invalid)).Code, 'InvalidDigest');
    await notStored('md5');

    const right = createHash('md5').update('payload').digest('base64');
    assert.equal((await put('/bad/md5', 'payload', { 'content-md5': right })).status, 200);
  });

  test('a body that does not match its declared x-amz-content-sha256: XAmzContentSHA256Mismatch', async () => {
    const declared = createHash('sha256').update('what was signed').digest('hex');
    const res = await put('/bad/sha', 'what was sent', { 'x-amz-content-sha256': declared });
    assert.equal(res.status, 400);
    const err = await errorOf(res);
    assert.equal(err.Code, 'XAmzContentSHA256Mismatch');
    assert.equal(err.ClientComputedContentSHA256, declared);
    await notStored('sha');
  });

  test('aws-chunked bodies with a checksum trailer: stored when it holds, BadDigest and nothing stored when not', async () => {
    const crc32 = (text: string) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(zlib.crc32(text) >>> 0);
      return b.toString('base64');
    };
    const chunked = (text: string, checksum: string) =>
      `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`;
    const headers = (wire: string) => ({
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '5',
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'content-length': String(Buffer.byteLength(wire)),
    });
    const good = chunked('hello', crc32('hello'));
    const stored = await put('/bad/chunked', good, headers(good));
    assert.equal(stored.status, 200);
    assert.equal(stored.headers.get('x-amz-checksum-crc32'), crc32('hello'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bad', Key: 'chunked' }));
    assert.equal(await got.Body?.transformToString(), 'hello');

    const bad = chunked('hello', crc32('other'));
    const refused = await put('/bad/chunked-bad', bad, headers(bad));
    assert.equal(refused.status, 400);
    assert.equal((await errorOf(refused)).Code, 'BadDigest');
    await notStored('chunked-bad');
  });

  test('malformed XML in DeleteObjects: MalformedXML', async () => {
    const body = '<Delete><Object><Key>x</Key></Object';
    const headers = await signS3(server.url, 'POST', '/bad?delete', {
      'content-length': String(body.length),
    });
    const res = await fetch(`${server.url}/bad?delete`, { method: 'POST', headers, body });
    assert.equal(res.status, 400);
    const err = await errorOf(res);
    assert.equal(err.Code, 'MalformedXML');
    assert.equal(
      err.Message,
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  });

  test('operations Lambent lacks answer NotImplemented in S3 XML', async () => {
    const res = await signedFetch(server.url, '/bad?versioning', { service: 's3' });
    assert.equal(res.status, 501);
    assert.equal((await errorOf(res)).Code, 'NotImplemented');
  });

  test('a client that disconnects mid-upload: nothing stored, the temp file removed, the server keeps serving', async () => {
    const size = 8 * 1024 * 1024;
    const headers = await signS3(server.url, 'PUT', '/bad/cut', { 'content-length': String(size) });
    const upload = openRequest(server.url, 'PUT', '/bad/cut', headers);
    upload.response.catch(() => {});
    const tmpDir = path.join(server.dataDir, 's3', 'tmp');
    for (const piece of patternBytes(size / 4)) {
      if (!upload.req.write(piece)) await new Promise((r) => upload.req.once('drain', r));
    }
    for (const deadline = Date.now() + 10_000; fs.readdirSync(tmpDir).length === 0; ) {
      assert.ok(Date.now() < deadline, 'the upload reached a temp file');
      await new Promise((r) => setTimeout(r, 10));
    }
    upload.req.destroy();
    for (const deadline = Date.now() + 10_000; fs.readdirSync(tmpDir).length > 0; ) {
      assert.ok(Date.now() < deadline, 'the temp file of the cut upload is removed');
      await new Promise((r) => setTimeout(r, 10));
    }
    await notStored('cut');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bad', Prefix: 'cut' }));
    assert.equal(listed.KeyCount, 0);
    await s3.send(new PutObjectCommand({ Bucket: 'bad', Key: 'after-cut', Body: 'still serving' }));
  });

  test('presigned URLs: GET and PUT through the S3 presigner', async () => {
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'bad', Key: 'presigned key+1' }), {
      expiresIn: 60,
    });
    const putRes = await fetch(putUrl, { method: 'PUT', body: 'via presigned url' });
    assert.equal(putRes.status, 200, await putRes.text());
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bad', Key: 'presigned key+1' }), {
      expiresIn: 60,
    });
    const getRes = await fetch(getUrl);
    assert.equal(getRes.status, 200);
    assert.equal(await getRes.text(), 'via presigned url');
    const tampered = await fetch(getUrl.replace('presigned%20key', 'other%20key'));
    assert.equal(tampered.status, 403);
  });

  test("authentication failures in S3's words: SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied", async () => {
    const wrongSecret = await signedFetch(server.url, '/bad', {
      service: 's3',
      credentials: { accessKeyId: 'test', secretAccessKey: 'not-the-secret' },
    });
    assert.equal(wrongSecret.status, 403);
    const mismatch = await errorOf(wrongSecret);
    assert.equal(mismatch.Code, 'SignatureDoesNotMatch');
    assert.equal(
      mismatch.Message,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
    const unknownKey = await signedFetch(server.url, '/bad', {
      service: 's3',
      credentials: { accessKeyId: 'AKIANOTAKEY0000000', secretAccessKey: 'x' },
    });
    assert.equal(unknownKey.status, 403);
    assert.equal((await errorOf(unknownKey)).Code, 'InvalidAccessKeyId');
    // An unsigned request to a virtual-hosted bucket reaches S3, which refuses it.
    const port = new URL(server.url).port;
    const anonymous = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: Number(port), path: '/key', headers: { host: `bad.localhost:${port}` } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(anonymous.status, 403);
    assert.match(anonymous.body, /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
  });
});

test('a streamed upload that stalls gets RequestTimeout after the idle timeout; nothing stored', async () => {
  const server = await startServer({ gateway: { bodyIdleTimeoutMs: 300 } });
  const s3 = new S3Client({
    endpoint: server.url.replace('localhost', '127.0.0.1'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'stall' }));
    const headers = await signS3(server.url, 'PUT', '/stall/k', { 'content-length': '1000' });
    const upload = openRequest(server.url, 'PUT', '/stall/k', headers);
    upload.req.write('only the first bytes');
    const answer = await upload.response;
    assert.equal(answer.status, 400);
    assert.match(answer.body, /<Code>RequestTimeout<\/Code>/);
    upload.req.destroy();
    const head = await failure(s3.send(new HeadObjectCommand({ Bucket: 'stall', Key: 'k' })));
    assert.equal(head.$metadata.httpStatusCode, 404);
    assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 's3', 'tmp')), []);
  } finally {
    s3.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  }
});
