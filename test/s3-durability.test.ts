/**
 * S3's storage against a real `lambent up` process: a 200 MB object streams in and out while the
 * server's RSS stays near idle, and a kill -9 in the middle of an upload leaves no object, no
 * listing entry and (after the restart) no temp file; deleting objects frees their disk space.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { exited, startCli } from './support/cli.js';
import { openRequest, patternBytes, signS3 } from './support/s3.js';

const s3At = (url: string) =>
  new S3Client({
    endpoint: url.replace('localhost', '127.0.0.1'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Bytes a process has read (rchar: every read(2), page cache included). */
function bytesRead(pid: number): number {
  return Number(/rchar:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

/** The paths a process has open. */
function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return fs.readdirSync(dir).flatMap((fd) => {
    try {
      return [fs.readlinkSync(path.join(dir, fd))];
    } catch {
      return [];
    }
  });
}

/** Files under a directory, recursively. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); ) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('a 200 MB object streams in and out; the server RSS stays within 64 MB of idle', {
  timeout: 300_000,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-s3-large-'));
  dirs.push(dir);
  const cli = await startCli(['--port', '0', '--data-dir', dir]);
  const pid = cli.child.pid as number;
  const s3 = s3At(cli.url);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'large' }));
    const idle = rssBytes(pid);
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 50);
    const size = 200 * 1024 * 1024;
    const expected = createHash('md5');
    for (const piece of patternBytes(size)) expected.update(piece);
    const md5 = expected.digest('hex');

    const headers = await signS3(cli.url, 'PUT', '/large/big.bin', { 'content-length': String(size) });
    const put = openRequest(cli.url, 'PUT', '/large/big.bin', headers);
    await pipeline(Readable.from(patternBytes(size)), put.req);
    const answer = await put.response;
    assert.equal(answer.status, 200, answer.body);

    const got = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: 'big.bin' }));
    assert.equal(got.ETag, `"${md5}"`);
    assert.equal(got.ContentLength, size);
    const readBack = createHash('md5');
    let bytes = 0;
    for await (const chunk of got.Body as AsyncIterable<Buffer>) {
      readBack.update(chunk);
      bytes += chunk.length;
    }
    clearInterval(sampler);
    peak = Math.max(peak, rssBytes(pid));
    assert.equal(bytes, size);
    assert.equal(readBack.digest('hex'), md5);
    const growth = peak - idle;
    console.log(
      `# server RSS idle ${(idle / 2 ** 20).toFixed(1)} MB, peak ${(peak / 2 ** 20).toFixed(1)} MB (+${(growth / 2 ** 20).toFixed(1)} MB) for 200 MB in and out`,
    );
    assert.ok(growth < 64 * 1024 * 1024, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB`);

    // A client that goes away after the first bytes: the server stops reading the file (its
    // descriptor closes after far fewer than 200 MB were read), rather than reading it to the end.
    const readBefore = bytesRead(pid);
    const objectFile = filesUnder(path.join(dir, 's3', 'objects'))[0] as string;
    const download = openRequest(
      cli.url,
      'GET',
      '/large/big.bin',
      await signS3(cli.url, 'GET', '/large/big.bin'),
    );
    download.req.end();
    await new Promise<void>((resolve, reject) => {
      download.req.once('response', (res) => res.once('data', () => resolve()));
      download.req.once('error', reject);
    });
    download.req.destroy();
    download.response.catch(() => {});
    await until(
      'the server closed the object file',
      () => !openFiles(pid).some((f) => f.endsWith(objectFile)),
    );
    const readAfterAbort = bytesRead(pid) - readBefore;
    console.log(
      `# read ${(readAfterAbort / 2 ** 20).toFixed(1)} MB of the file for a download cut after its first bytes`,
    );
    assert.ok(readAfterAbort < 100 * 1024 * 1024, `read ${readAfterAbort} bytes`);

    // Deleting frees the disk space: no object file is left.
    const objectsDir = path.join(dir, 's3', 'objects');
    assert.equal(filesUnder(objectsDir).length, 1);
    await s3.send(new DeleteObjectCommand({ Bucket: 'large', Key: 'big.bin' }));
    assert.equal(filesUnder(objectsDir).length, 0);
  } finally {
    s3.destroy();
    cli.child.kill('SIGTERM');
    await exited(cli.child);
  }
});

test('kill -9 in the middle of an upload: no object is visible and the temp file is reclaimed on start', {
  timeout: 120_000,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-s3-kill-'));
  dirs.push(dir);
  let cli = await startCli(['--port', '0', '--data-dir', dir]);
  let s3 = s3At(cli.url);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const size = 64 * 1024 * 1024;
    const headers = await signS3(cli.url, 'PUT', '/crash/partial.bin', { 'content-length': String(size) });
    const put = openRequest(cli.url, 'PUT', '/crash/partial.bin', headers);
    put.response.catch(() => {});
    // Half the body, then the process dies while the upload waits for the rest.
    let sent = 0;
    for (const piece of patternBytes(size / 2)) {
      if (!put.req.write(piece)) await new Promise((r) => put.req.once('drain', r));
      sent += piece.length;
    }
    const tmpDir = path.join(dir, 's3', 'tmp');
    await until('the upload is being written to a temp file', () =>
      fs.readdirSync(tmpDir).some((f) => fs.statSync(path.join(tmpDir, f)).size > 0),
    );
    cli.child.kill('SIGKILL');
    assert.equal((await exited(cli.child)).signal, 'SIGKILL');
    put.req.destroy();
    assert.ok(sent > 0);
    assert.ok(fs.readdirSync(tmpDir).length > 0, 'the crash left a temp file behind');

    s3.destroy();
    cli = await startCli(['--port', '0', '--data-dir', dir]);
    s3 = s3At(cli.url);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'crash', Key: 'partial.bin' })).then(
      () => 200,
      (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode,
    );
    assert.equal(head, 404);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'crash' }));
    assert.equal(listed.KeyCount, 0);
    assert.deepEqual(fs.readdirSync(tmpDir), []);
    assert.deepEqual(filesUnder(path.join(dir, 's3', 'objects')), []);
  } finally {
    s3.destroy();
    cli.child.kill('SIGTERM');
    await exited(cli.child);
  }
});
