/** PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */
import fs from 'node:fs';
import type { Operation, RequestContext, StreamedBody } from '../../../protocols/types.js';
import { evaluatePreconditions, type Preconditions, parseRange } from '../conditions.js';
import type { S3Deps } from '../deps.js';
import { invalidArgument, invalidRequest, keyTooLong, noSuchBucket, noSuchKey } from '../errors.js';
import { checksumOutput, readObjectBody } from '../object-body.js';
import type { ObjectRow, StoredHeaders } from '../store.js';
import { requireBucket } from './buckets.js';
import { bucketArn, bucketOf, type Input, keyOf, objectArn, operation, STATUS, str } from './define.js';

/** S3's largest single PUT: 5 GiB. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
const MAX_KEY_BYTES = 1024;

function checkKey(key: string): void {
  const size = Buffer.byteLength(key);
  if (size > MAX_KEY_BYTES) throw keyTooLong(size);
}

function storedHeaders(input: Input): StoredHeaders {
  const h: StoredHeaders = {};
  for (const name of [
    'ContentType',
    'ContentEncoding',
    'ContentDisposition',
    'ContentLanguage',
    'CacheControl',
    'Expires',
  ] as const) {
    const v = str(input, name);
    if (v !== undefined) h[name] = v;
  }
  return h;
}

/** User metadata keys are case-insensitive: S3 keeps and returns them lower case. */
function metadataOf(input: Input): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((input.Metadata as Record<string, string> | undefined) ?? {})) {
    out[k.toLowerCase()] = v;
  }
  return out;
}

/** The headers GetObject and HeadObject answer with. */
function objectHeaders(row: ObjectRow): Record<string, unknown> {
  return {
    ETag: `"${row.etag}"`,
    LastModified: new Date(row.lastModified),
    ContentLength: row.size,
    ContentType: row.headers.ContentType ?? 'binary/octet-stream',
    ContentEncoding: row.headers.ContentEncoding,
    ContentDisposition: row.headers.ContentDisposition,
    ContentLanguage: row.headers.ContentLanguage,
    CacheControl: row.headers.CacheControl,
    Expires: row.headers.Expires,
    Metadata: row.metadata,
    AcceptRanges: 'bytes',
    // S3 encrypts every object at rest (SSE-S3) and says so.
    ServerSideEncryption: 'AES256',
  };
}

/** `response-content-type` and friends override the stored headers on a GET. */
function responseOverrides(input: Input): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pairs: Array<[string, string]> = [
    ['ResponseContentType', 'ContentType'],
    ['ResponseContentEncoding', 'ContentEncoding'],
    ['ResponseContentDisposition', 'ContentDisposition'],
    ['ResponseContentLanguage', 'ContentLanguage'],
    ['ResponseCacheControl', 'CacheControl'],
  ];
  for (const [from, to] of pairs) {
    const v = str(input, from);
    if (v !== undefined) out[to] = v;
  }
  if (input.ResponseExpires instanceof Date) out.Expires = input.ResponseExpires.toUTCString();
  return out;
}

/** Reads an object's file (or a slice) as it is sent; the descriptor is opened before any await. */
function fileStream(path: string, start: number, end: number): AsyncIterable<Buffer> {
  const fd = fs.openSync(path, 'r');
  return fs.createReadStream('', { fd, start, end, highWaterMark: 256 * 1024 });
}

function readObject(
  deps: S3Deps,
  input: Input,
  ctx: RequestContext,
  withBody: boolean,
): Record<string, unknown> {
  const bucket = bucketOf(input);
  const key = keyOf(input);
  requireBucket(deps, bucket, ctx);
  const row = deps.store.getObject(bucket, key);
  if (!row) throw noSuchKey(key);
  const outcome = evaluatePreconditions(input as Preconditions, row.etag, row.lastModified);
  if (outcome === 'not-modified') {
    return { [STATUS]: 304, ETag: `"${row.etag}"`, LastModified: new Date(row.lastModified) };
  }
  const range = parseRange(str(input, 'Range'), row.size);
  const headers = { ...objectHeaders(row), ...(withBody ? responseOverrides(input) : {}) };
  if (range) {
    headers.ContentLength = range.end - range.start + 1;
    headers.ContentRange = `bytes ${range.start}-${range.end}/${row.size}`;
  }
  const out: Record<string, unknown> = { ...headers, ...(range ? { [STATUS]: 206 } : {}) };
  if (withBody) {
    // An empty object (or range of one) has no file bytes to stream.
    out.Body =
      row.size === 0
        ? Buffer.alloc(0)
        : fileStream(deps.store.pathOf(row.file), range?.start ?? 0, range?.end ?? row.size - 1);
  }
  return out;
}

const onObject = (action: string) => ({
  action,
  resources: (input: Input) => [objectArn(bucketOf(input), keyOf(input))],
});

/** `bucket/key` of `x-amz-copy-source` (URL-encoded, optionally with a leading `/` and `?versionId=`). */
function parseCopySource(raw: string): { bucket: string; key: string } {
  const [path = ''] = raw.split('?');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.startsWith('/') ? path.slice(1) : path);
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', raw);
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw invalidArgument('Invalid copy source object key', 'x-amz-copy-source', raw);
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

export function objectOperations(deps: S3Deps): Operation[] {
  return [
    operation(
      'PutObject',
      onObject('s3:PutObject'),
      async (input, ctx) => {
        const bucket = bucketOf(input);
        const key = keyOf(input);
        checkKey(key);
        requireBucket(deps, bucket, ctx);
        const body = readObjectBody(input.Body as StreamedBody, MAX_PUT_BYTES);
        const staged = await deps.store.stage(body);
        const result = body.result();
        const { size, md5Hex } = result;
        const committed = await deps.store.putObject({
          bucket,
          key,
          file: staged.file,
          size,
          etag: md5Hex,
          lastModified: deps.clock(),
          headers: storedHeaders(input),
          metadata: metadataOf(input),
        });
        if (!committed) throw noSuchBucket(bucket);
        return { ETag: `"${md5Hex}"`, ServerSideEncryption: 'AES256', ...checksumOutput(result) };
      },
      { streamingInput: true, maxRequestBytes: MAX_PUT_BYTES },
    ),
    operation('GetObject', onObject('s3:GetObject'), (input, ctx) => readObject(deps, input, ctx, true)),
    operation('HeadObject', onObject('s3:GetObject'), (input, ctx) => readObject(deps, input, ctx, false)),
    operation('DeleteObject', onObject('s3:DeleteObject'), async (input, ctx) => {
      const bucket = bucketOf(input);
      requireBucket(deps, bucket, ctx);
      await deps.store.deleteObject(bucket, keyOf(input));
      return { [STATUS]: 204 };
    }),
    operation(
      'DeleteObjects',
      {
        action: 's3:DeleteObject',
        resources: (input) => {
          const objects = (input.Delete as { Objects?: Array<{ Key?: string }> } | undefined)?.Objects ?? [];
          const bucket = bucketOf(input);
          return objects.length
            ? objects.map((o) => objectArn(bucket, String(o.Key ?? '')))
            : [bucketArn(bucket)];
        },
      },
      async (input, ctx) => {
        const bucket = bucketOf(input);
        requireBucket(deps, bucket, ctx);
        const request = input.Delete as { Objects?: Array<{ Key?: string }>; Quiet?: boolean } | undefined;
        const objects = request?.Objects ?? [];
        const deleted: Array<{ Key: string }> = [];
        const errors: Array<{ Key: string; Code: string; Message: string }> = [];
        for (const o of objects) {
          const key = String(o.Key ?? '');
          if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
            errors.push({ Key: key, Code: 'KeyTooLongError', Message: 'Your key is too long' });
            continue;
          }
          await deps.store.deleteObject(bucket, key);
          deleted.push({ Key: key });
        }
        return { Deleted: request?.Quiet ? undefined : deleted, Errors: errors.length ? errors : undefined };
      },
    ),
    operation('CopyObject', onObject('s3:PutObject'), async (input, ctx) => {
      const bucket = bucketOf(input);
      const key = keyOf(input);
      checkKey(key);
      const source = parseCopySource(String(input.CopySource ?? ''));
      requireBucket(deps, source.bucket, ctx);
      requireBucket(deps, bucket, ctx);
      const from = deps.store.getObject(source.bucket, source.key);
      if (!from) throw noSuchKey(source.key);
      const replace = str(input, 'MetadataDirective') === 'REPLACE';
      if (!replace && source.bucket === bucket && source.key === key) {
        throw invalidRequest(
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      const staged = await deps.store.stage(
        from.size === 0 ? emptySource() : fileStream(deps.store.pathOf(from.file), 0, from.size - 1),
      );
      const lastModified = deps.clock();
      const committed = await deps.store.putObject({
        bucket,
        key,
        file: staged.file,
        size: from.size,
        etag: from.etag,
        lastModified,
        headers: replace ? storedHeaders(input) : from.headers,
        metadata: replace ? metadataOf(input) : from.metadata,
      });
      if (!committed) throw noSuchBucket(bucket);
      return { CopyObjectResult: { ETag: `"${from.etag}"`, LastModified: new Date(lastModified) } };
    }),
  ];
}

async function* emptySource(): AsyncGenerator<Buffer> {}
