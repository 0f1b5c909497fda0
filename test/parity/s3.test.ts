/**
 * S3 parity with responses recorded from AWS (`test_s3`, `test_s3_list_operations`): the cases
 * whose operations Lambent implements, replayed with raw signed requests and read the way
 * botocore reads S3's answers (status, and `<Error>`'s children but RequestId and HostId).
 * Placeholders of the recordings (`<bucket-name:1>`) stand for whatever value is there.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { conformanceDir } from '../support/conformance.js';
import { signS3 } from '../support/s3.js';
import { removeDataDir, startServer, type TestServer } from '../support/server.js';

type Recorded = Record<string, { 'recorded-content': Record<string, unknown> }>;
const load = (module: string) =>
  JSON.parse(
    fs.readFileSync(path.join(conformanceDir(), 'aws-recorded', `${module}.snapshot.json`), 'utf8'),
  ) as Recorded;
const s3Recordings = load('test_s3');
const listRecordings = load('test_s3_list_operations');

function recorded(recordings: Recorded, module: string, name: string, key: string): Record<string, unknown> {
  const entry = recordings[`tests/aws/services/s3/${module}.py::${name}`];
  const content = entry?.['recorded-content'][key];
  if (!content) throw new Error(`no recording ${module}::${name} ${key}`);
  return content as Record<string, unknown>;
}

/** botocore's view of an S3 error answer: `{ Error: {...}, ResponseMetadata: { HTTPStatusCode } }`. */
function errorView(status: number, body: string): Record<string, unknown> {
  const parsed = new XMLParser({ parseTagValue: false }).parse(body) as { Error?: Record<string, unknown> };
  const error: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed.Error ?? {})) {
    if (k === 'RequestId' || k === 'HostId') continue;
    error[k] = v === '' ? null : v;
  }
  return { Error: error, ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: status } };
}

/** Deep equality where a recorded `<placeholder>` matches any non-empty value. */
function matches(actual: unknown, expected: unknown, at = ''): void {
  if (typeof expected === 'string' && /^<[^>]+>$/.test(expected)) {
    assert.ok(actual !== undefined && actual !== null && actual !== '', `${at}: a value for ${expected}`);
    return;
  }
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    const a = (actual ?? {}) as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(expected).sort(), `${at}: keys`);
    for (const [k, v] of Object.entries(expected)) matches(a[k], v, `${at}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, at);
}

describe('S3 parity (recorded: test_s3, test_s3_list_operations)', () => {
  let server: TestServer;
  const send = async (
    method: string,
    target: string,
    body = '',
    region = 'us-east-1',
    headers: Record<string, string> = {},
  ) => {
    const signed = await signS3(
      server.url,
      method,
      target,
      body ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers,
      region,
    );
    const res = await fetch(`${server.url}${target}`, {
      method,
      headers: signed,
      ...(body ? { body: new Uint8Array(Buffer.from(body)) } : {}),
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  const errorOf = async (...args: Parameters<typeof send>) => {
    const res = await send(...args);
    return errorView(res.status, res.body);
  };

  before(async () => {
    server = await startServer();
    assert.equal((await send('PUT', '/parity-bucket')).status, 200);
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('test_get_object_no_such_bucket, test_delete_bucket_no_such_bucket', async () => {
    matches(
      await errorOf('GET', '/no-such-parity-bucket/key'),
      recorded(s3Recordings, 'test_s3', 'TestS3::test_get_object_no_such_bucket', 'expected_error'),
    );
    matches(
      await errorOf('DELETE', '/does-not-exist-localstack-test'),
      recorded(s3Recordings, 'test_s3', 'TestS3::test_delete_bucket_no_such_bucket', 'expected_error'),
    );
  });

  test('test_invalid_range_error, test_range_key_not_exists, test_precondition_failed_error', async () => {
    assert.equal((await send('PUT', '/parity-bucket/eight', '12345678')).status, 200);
    matches(
      await errorOf('GET', '/parity-bucket/eight', '', 'us-east-1', { range: 'bytes=1024-4096' }),
      recorded(s3Recordings, 'test_s3', 'TestS3::test_invalid_range_error', 'exc'),
    );
    matches(
      await errorOf('GET', '/parity-bucket/my-key', '', 'us-east-1', { range: 'bytes=0-1' }),
      recorded(s3Recordings, 'test_s3', 'TestS3::test_range_key_not_exists', 'exc'),
    );
    matches(
      await errorOf('GET', '/parity-bucket/eight', '', 'us-east-1', { 'if-match': '"not-the-etag"' }),
      recorded(s3Recordings, 'test_s3', 'TestS3::test_precondition_failed_error', 'get-object-if-match'),
    );
  });

  test('test_create_bucket_with_invalid_location_constraint', async () => {
    const config = (c: string) =>
      `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${c}</LocationConstraint></CreateBucketConfiguration>`;
    for (const [region, constraint] of [
      ['us-east-1', 'us-east-1'],
      ['us-east-1', 'foo'],
      ['eu-west-1', 'bar'],
    ] as const) {
      matches(
        await errorOf('PUT', '/parity-location', config(constraint), region),
        recorded(
          s3Recordings,
          'test_s3',
          `TestS3::test_create_bucket_with_invalid_location_constraint[${region}-${constraint}]`,
          `${region}-location-constraint-${constraint}-error`,
        ),
      );
    }
  });

  test('test_range_header_body_length: 206 with the headers AWS sends', async () => {
    assert.equal((await send('PUT', '/parity-bucket/two-k', 'x'.repeat(2048))).status, 200);
    const expected = recorded(s3Recordings, 'test_s3', 'TestS3::test_range_header_body_length', 'get-object');
    const res = await send('GET', '/parity-bucket/two-k', '', 'us-east-1', { range: 'bytes=0-1023' });
    const meta = expected.ResponseMetadata as { HTTPStatusCode: number };
    assert.equal(res.status, meta.HTTPStatusCode);
    assert.equal(res.headers.get('accept-ranges'), expected.AcceptRanges);
    assert.equal(Number(res.headers.get('content-length')), expected.ContentLength);
    assert.equal(res.headers.get('content-range'), expected.ContentRange);
    assert.equal(res.headers.get('content-type'), expected.ContentType);
    assert.equal(res.headers.get('x-amz-server-side-encryption'), expected.ServerSideEncryption);
    assert.equal(res.body.length, 1024);
  });

  test('test_list_ops_encoding_type_validation[list_objects_v2, list_objects]', async () => {
    for (const [op, query] of [
      ['list_objects_v2', 'list-type=2&'],
      ['list_objects', ''],
    ] as const) {
      const name = `TestS3ListObjectsV2::test_list_ops_encoding_type_validation[${op}]`;
      matches(
        await errorOf('GET', `/parity-bucket?${query}encoding-type=value`),
        recorded(listRecordings, 'test_s3_list_operations', name, `${op}-error-wrong-value`),
      );
      matches(
        await errorOf('GET', `/parity-bucket?${query}encoding-type=`),
        recorded(listRecordings, 'test_s3_list_operations', name, `${op}-error-empty-value`),
      );
    }
  });

  test('test_list_objects_v2_with_prefix_and_delimiter', async () => {
    for (const key of ['test/foo/bar/123', 'test/foo/bar/456', 'test/bar/123']) {
      assert.equal((await send('PUT', `/parity-bucket/${key}`, 'x')).status, 200);
    }
    const name = 'TestS3ListObjectsV2::test_list_objects_v2_with_prefix_and_delimiter';
    const list = async (query: string) => {
      const res = await send('GET', `/parity-bucket?list-type=2&encoding-type=url&delimiter=%2F&${query}`);
      assert.equal(res.status, 200);
      const doc = new XMLParser({ parseTagValue: false, isArray: (n) => n === 'CommonPrefixes' }).parse(
        res.body,
      ) as {
        ListBucketResult: Record<string, unknown>;
      };
      return doc.ListBucketResult;
    };
    const commonPrefixes = (r: Record<string, unknown>) =>
      (r.CommonPrefixes as Array<{ Prefix: string }> | undefined)?.map((p) => ({ Prefix: p.Prefix }));
    for (const [query, key] of [
      ['prefix=test%2F', 'list-objects-v2-1'],
      ['prefix=test%2F&max-keys=1', 'list-objects-v2-1-with-max-keys'],
      ['prefix=test%2Ffoo', 'list-objects-v2-2'],
      ['prefix=test%2Ffoo%2Fbar', 'list-objects-v2-3'],
    ] as const) {
      const expected = recorded(listRecordings, 'test_s3_list_operations', name, key);
      const got = await list(query);
      assert.deepEqual(commonPrefixes(got), expected.CommonPrefixes, key);
      assert.equal(got.KeyCount, String(expected.KeyCount), key);
      assert.equal(got.IsTruncated, String(expected.IsTruncated), key);
      assert.equal(got.Prefix, expected.Prefix, key);
      assert.equal(got.MaxKeys, String(expected.MaxKeys), key);
      assert.equal(got.EncodingType, expected.EncodingType, key);
      assert.equal('NextContinuationToken' in got, 'NextContinuationToken' in expected, key);
    }
  });
});
