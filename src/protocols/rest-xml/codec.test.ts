import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwsError } from '../../shared/errors.js';
import type { StructureShape } from '../../shared/shapes.js';
import type { Operation } from '../types.js';
import { createRestXmlCodec } from './codec.js';

const codec = createRestXmlCodec({
  xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
  outputRoots: { List: 'ListBucketResult', Where: 'LocationConstraint' },
  malformedXml: () => new AwsError('MalformedXML', 'bad xml', 400),
  invalidValue: (name, value) => new AwsError('InvalidArgument', `${name}=${value}`, 400),
  hostId: () => 'host-id',
});

const op = (
  name: string,
  input: StructureShape,
  output: StructureShape,
  extra: Partial<Operation> = {},
): Operation => ({
  name,
  http: { method: 'GET', path: '/', status: 200 },
  input,
  outputShape: output,
  handler: () => ({}),
  ...extra,
});

test('decode: labels, query, headers, header maps and an XML payload by the model', () => {
  const input: StructureShape = {
    type: 'structure',
    members: {
      Bucket: { type: 'string', location: 'uri', locationName: 'Bucket' },
      Key: { type: 'string', location: 'uri', locationName: 'Key' },
      MaxKeys: { type: 'integer', location: 'querystring', locationName: 'max-keys' },
      Since: { type: 'timestamp', location: 'header', locationName: 'If-Modified-Since' },
      Metadata: {
        type: 'map',
        key: { type: 'string' },
        value: { type: 'string' },
        location: 'headers',
        locationName: 'x-amz-meta-',
      },
      Delete: {
        type: 'structure',
        locationName: 'Delete',
        members: {
          Objects: {
            type: 'list',
            flattened: true,
            member: { type: 'structure', members: { Key: { type: 'string' } } },
            locationName: 'Object',
          },
          Quiet: { type: 'boolean' },
        },
      },
    },
  };
  const decoded = codec.decode(
    op('D', input, { type: 'structure', members: {} }, { inputPayload: 'Delete' }),
    {
      method: 'POST',
      rawPath: '/',
      query: new URLSearchParams('max-keys=5'),
      headers: { 'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT', 'x-amz-meta-color': 'blue' },
      body: Buffer.from(
        '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b</Key></Object><Object><Key> c </Key></Object><Quiet>true</Quiet></Delete>',
      ),
    },
    { Bucket: 'b', Key: 'dir/a%20b%2Bc' },
  );
  assert.deepEqual(decoded, {
    Bucket: 'b',
    Key: 'dir/a b+c',
    MaxKeys: 5,
    Since: new Date('2015-10-21T07:28:00Z'),
    Metadata: { color: 'blue' },
    Delete: { Objects: [{ Key: 'a & b' }, { Key: ' c ' }], Quiet: true },
  });
  assert.throws(
    () =>
      codec.decode(
        op('D', input, { type: 'structure', members: {} }, { inputPayload: 'Delete' }),
        {
          method: 'POST',
          rawPath: '/',
          query: new URLSearchParams(),
          headers: {},
          body: Buffer.from('<Delete><Object>'),
        },
        {},
      ),
    /bad xml/,
  );
});

test('encode: headers, flattened and wrapped lists, ISO timestamps, escaping, a one-value document', () => {
  const output: StructureShape = {
    type: 'structure',
    members: {
      Etag: { type: 'string', location: 'header', locationName: 'ETag' },
      Modified: { type: 'timestamp', location: 'header', locationName: 'Last-Modified' },
      Name: { type: 'string' },
      Contents: {
        type: 'list',
        flattened: true,
        member: {
          type: 'structure',
          members: { Key: { type: 'string' }, LastModified: { type: 'timestamp' } },
        },
      },
      Buckets: {
        type: 'list',
        member: { type: 'structure', members: { Name: { type: 'string' } }, locationName: 'Bucket' },
      },
    },
  };
  const res = codec.encode(
    op('List', { type: 'structure', members: {} }, output),
    {
      Etag: '"x"',
      Modified: new Date('2015-10-21T07:28:00Z'),
      Name: 'b',
      Contents: [
        { Key: 'a<&>\r', LastModified: new Date('2020-01-01T00:00:00Z') },
        { Key: 'z', LastModified: new Date(0) },
      ],
      Buckets: [{ Name: 'one' }],
    },
    'req-1',
  );
  assert.equal(res.headers.etag, '"x"');
  assert.equal(res.headers['last-modified'], 'Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(res.headers['x-amz-request-id'], 'req-1');
  assert.equal(
    res.body,
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>' +
      '<Contents><Key>a&lt;&amp;&gt;&#13;</Key><LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>' +
      '<Contents><Key>z</Key><LastModified>1970-01-01T00:00:00.000Z</LastModified></Contents>' +
      '<Buckets><Bucket><Name>one</Name></Bucket></Buckets></ListBucketResult>',
  );
  const where = codec.encode(
    op(
      'Where',
      { type: 'structure', members: {} },
      { type: 'structure', members: { LocationConstraint: { type: 'string' } } },
    ),
    { LocationConstraint: 'eu-west-1' },
    'r',
  );
  assert.match(String(where.body), /<LocationConstraint xmlns="[^"]+">eu-west-1<\/LocationConstraint>$/);
});

test("errors: S3's <Error> with the error's extra elements, RequestId and HostId", () => {
  const res = codec.encodeError(
    new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { fields: { Key: 'a&b' } }),
    'req-2',
  );
  assert.equal(res.status, 404);
  assert.equal(res.headers['content-type'], 'application/xml');
  assert.equal(res.headers['x-amz-request-id'], 'req-2');
  assert.equal(
    res.body,
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key><RequestId>req-2</RequestId><HostId>host-id</HostId></Error>',
  );
});
