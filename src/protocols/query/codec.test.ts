import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { AwsError, ServiceException } from '../../shared/errors.js';
import { structure } from '../../shared/shapes.js';
import type { Operation, RequestView } from '../types.js';
import {
  createQueryCodec,
  InvalidAction,
  MissingAction,
  QueryActionRouter,
  queryCompatible,
} from './codec.js';
import { InvalidParameterValue } from './form.js';

const NS = 'http://example.amazonaws.com/doc/2020-01-01/';
const codec = createQueryCodec({
  xmlNamespace: NS,
  errorCode: (e) => (e.code === 'InvalidParameterValueException' ? 'InvalidParameterValue' : e.code),
});

const input = structure({
  Name: { type: 'string' },
  Count: { type: 'integer' },
  Ratio: { type: 'double' },
  Flag: { type: 'boolean' },
  At: { type: 'timestamp' },
  Data: { type: 'blob' },
  Tags: { type: 'list', member: { type: 'string' } },
  Items: {
    type: 'list',
    member: structure({ Key: { type: 'string' }, Values: { type: 'list', member: { type: 'double' } } }),
  },
  Attributes: { type: 'map', key: { type: 'string' }, value: { type: 'string' } },
  Nested: structure({ Inner: structure({ Deep: { type: 'string' } }) }),
  Renamed: { type: 'string', locationName: 'WireName' },
});

const op: Operation = {
  name: 'DoThing',
  http: { method: 'POST', path: '/', status: 200 },
  input,
  outputShape: structure({
    When: { type: 'timestamp' },
    Points: { type: 'list', member: structure({ V: { type: 'double' } }) },
    Stats: { type: 'map', key: { type: 'string' }, value: { type: 'double' } },
    Empty: { type: 'list', member: { type: 'string' } },
  }),
  handler: () => ({}),
};

function request(body: string, method = 'POST', query = ''): RequestView {
  return {
    method,
    rawPath: '/',
    query: new URLSearchParams(query),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: Buffer.from(body),
  };
}

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

describe('awsQuery codec: decoding forms', () => {
  test('scalars, lists, lists of structures, maps, nested structures, renamed members', () => {
    const form = new URLSearchParams({
      Action: 'DoThing',
      Version: '2020-01-01',
      Name: 'a b&c=d',
      Count: '42',
      Ratio: '-1.5e3',
      Flag: 'true',
      At: '2026-11-27T10:00:00Z',
      Data: Buffer.from('hi').toString('base64'),
      'Tags.member.1': 'x',
      'Tags.member.2': 'y',
      'Items.member.1.Key': 'k1',
      'Items.member.1.Values.member.1': '1',
      'Items.member.1.Values.member.2': '2.5',
      'Items.member.2.Key': 'k2',
      'Attributes.entry.1.key': 'color',
      'Attributes.entry.1.value': 'blue',
      'Attributes.entry.2.key': 'size',
      'Attributes.entry.2.value': '',
      'Nested.Inner.Deep': 'down',
      WireName: 'renamed',
      Unknown: 'ignored',
    });
    const out = codec.decode(op, request(form.toString()), {});
    assert.deepEqual(out, {
      Name: 'a b&c=d',
      Count: 42,
      Ratio: -1500,
      Flag: true,
      At: new Date('2026-11-27T10:00:00Z'),
      Data: Buffer.from('hi'),
      Tags: ['x', 'y'],
      Items: [{ Key: 'k1', Values: [1, 2.5] }, { Key: 'k2' }],
      Attributes: { color: 'blue', size: '' },
      Nested: { Inner: { Deep: 'down' } },
      Renamed: 'renamed',
    });
  });

  test('an empty list as botocore sends it, epoch-second timestamps, a GET query string', () => {
    assert.deepEqual(codec.decode(op, request('Tags=&At=1700000000'), {}), {
      Tags: [],
      At: new Date(1_700_000_000_000),
    });
    assert.deepEqual(codec.decode(op, request('', 'GET', 'Action=DoThing&Count=7'), {}), { Count: 7 });
  });

  test('a list stops at the first missing index (AWS lists are 1-based and contiguous)', () => {
    assert.deepEqual(codec.decode(op, request('Tags.member.1=a&Tags.member.3=c'), {}), { Tags: ['a'] });
  });

  test('values that do not parse are InvalidParameterValue', () => {
    for (const body of [
      'Count=4.5',
      'Count=abc',
      'Count=',
      'Ratio=NaN',
      'Ratio=1e999',
      'Flag=yes',
      'At=tomorrow',
    ]) {
      assert.throws(
        () => codec.decode(op, request(body), {}),
        (err: unknown) =>
          err instanceof InvalidParameterValue &&
          /^Value .* for parameter \w+ is invalid\.$/.test(err.message),
        body,
      );
    }
  });

  test('a malformed body decodes to nothing rather than throwing: validation then names what is missing', () => {
    assert.deepEqual(codec.decode(op, request('%%%&&==&Name'), {}), { Name: '' });
  });
});

describe('awsQuery codec: XML answers', () => {
  test('a response wraps the result and request id; lists, maps, timestamps and escaping', () => {
    const res = codec.encode(
      op,
      {
        When: new Date('2026-11-27T10:01:00Z'),
        Points: [{ V: 1.5 }, { V: 2 }],
        Stats: { p99: 3.25 },
        Empty: [],
        Text: 'a<b>&"c\'',
      },
      'req-1',
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/xml');
    const body = String(res.body);
    assert.match(body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DoThingResponse xmlns="http:\/\/example/);
    assert.match(body, /<When>2026-11-27T10:01:00Z<\/When>/);
    assert.match(body, /<Stats><entry><key>p99<\/key><value>3.25<\/value><\/entry><\/Stats>/);
    const doc = parser.parse(body);
    const result = doc.DoThingResponse.DoThingResult;
    assert.equal(doc.DoThingResponse['@_xmlns'], NS);
    assert.deepEqual(result.Points.member, [{ V: '1.5' }, { V: '2' }]);
    assert.equal(result.Text, 'a<b>&"c\'');
    assert.equal(result.Empty, '');
    assert.equal(doc.DoThingResponse.ResponseMetadata.RequestId, 'req-1');
  });

  test('an operation without output has no Result element', () => {
    const bare: Operation = { ...op, outputShape: undefined };
    const body = String(codec.encode(bare, {}, 'r').body);
    assert.ok(!body.includes('DoThingResult'));
    assert.match(
      body,
      /<DoThingResponse xmlns="[^"]+"><ResponseMetadata><RequestId>r<\/RequestId><\/ResponseMetadata><\/DoThingResponse>/,
    );
  });

  test('errors: ErrorResponse with Type, the query code, Message and RequestId', () => {
    const res = codec.encodeError(new AwsError('InvalidParameterValueException', 'bad <value>', 400), 'rid');
    assert.equal(res.status, 400);
    const doc = parser.parse(String(res.body));
    assert.deepEqual(doc.ErrorResponse.Error, {
      Type: 'Sender',
      Code: 'InvalidParameterValue',
      Message: 'bad <value>',
    });
    assert.equal(doc.ErrorResponse.RequestId, 'rid');
    const server = parser.parse(String(codec.encodeError(new ServiceException(), 'r2').body));
    assert.equal(server.ErrorResponse.Error.Type, 'Receiver');
  });
});

describe('awsQuery routing and query-compatible JSON', () => {
  const router = new QueryActionRouter('2020-01-01', [op]);
  test('Action picks the operation; a missing or unknown one is AWS’s error', () => {
    assert.equal(
      router.match({ method: 'POST', query: new URLSearchParams(), body: Buffer.from('Action=DoThing') }).op,
      op,
    );
    assert.throws(
      () => router.match({ method: 'POST', query: new URLSearchParams(), body: Buffer.from('X=1') }),
      MissingAction,
    );
    assert.throws(
      () => router.match({ method: 'POST', query: new URLSearchParams(), body: Buffer.from('Action=Nope') }),
      (err: unknown) =>
        err instanceof InvalidAction &&
        err.message === 'Could not find operation Nope for version 2020-01-01',
    );
  });

  test('the JSON codec of a query-compatible service adds x-amzn-query-error', () => {
    const json = {
      decode: () => ({}),
      encode: () => ({ status: 200, headers: {}, body: '' }),
      encodeError: (e: AwsError) => ({ status: e.status, headers: {} as Record<string, string>, body: '{}' }),
    };
    const compat = queryCompatible(json, () => 'InvalidParameterValue');
    assert.equal(
      compat.encodeError(new AwsError('InvalidParameterValueException', 'm', 400), 'r').headers[
        'x-amzn-query-error'
      ],
      'InvalidParameterValue;Sender',
    );
    assert.equal(
      compat.encodeError(new ServiceException(), 'r').headers['x-amzn-query-error'],
      'InvalidParameterValue;Receiver',
    );
  });
});
