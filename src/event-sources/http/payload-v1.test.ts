import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildV1Event } from './payload-v1.js';
import { mapV1Response } from './response-v1.js';

const facts = {
  method: 'POST',
  rawPath: '/dev/items/a%20b',
  rawQuery: 'q=1&q=2&s=x+y',
  rawHeaders: ['Host', 'abc.execute-api.localhost', 'X-Two', 'a', 'x-two', 'b', 'Content-Type', 'text/plain'],
  body: Buffer.from('hi'),
  sourceIp: '10.0.0.1',
  protocol: 'HTTP/1.1',
  time: new Date('2020-03-04T19:15:17.135Z'),
};
const ctx = {
  accountId: '000000000000',
  apiId: 'abc',
  domainName: 'abc.execute-api.localhost',
  stage: 'dev',
  routeKey: 'POST /items/{id}',
  requestId: 'rid=',
  pathParameters: { id: 'a b' },
  stageVariables: {},
};

test('payload 1.0: multi-value maps, header spelling, nulls, request context', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the test reads deep into a JSON event by name
  const e = buildV1Event(facts, ctx) as Record<string, any>;
  assert.equal(e.version, '1.0');
  assert.equal(e.resource, '/items/{id}');
  assert.equal(e.path, '/dev/items/a b');
  assert.deepEqual(e.headers['X-Two'], 'b');
  assert.deepEqual(e.multiValueHeaders['X-Two'], ['a', 'b']);
  assert.deepEqual(e.queryStringParameters, { q: '2', s: 'x y' });
  assert.deepEqual(e.multiValueQueryStringParameters, { q: ['1', '2'], s: ['x y'] });
  assert.deepEqual(e.pathParameters, { id: 'a b' });
  assert.equal(e.stageVariables, null);
  assert.equal(e.body, 'hi');
  assert.equal(e.isBase64Encoded, false);
  assert.equal(e.requestContext.requestTime, '04/Mar/2020:19:15:17 +0000');
  assert.equal(e.requestContext.requestTimeEpoch, 1583349317135);
  assert.equal(e.requestContext.resourceId, 'POST /items/{id}');
  assert.equal(e.requestContext.domainPrefix, 'abc');
  assert.equal(e.requestContext.identity.sourceIp, '10.0.0.1');
  const empty = buildV1Event(
    { ...facts, rawQuery: '', body: Buffer.alloc(0) },
    { ...ctx, pathParameters: {} },
  ) as Record<string, unknown>;
  assert.equal(empty.queryStringParameters, null);
  assert.equal(empty.multiValueQueryStringParameters, null);
  assert.equal(empty.pathParameters, null);
  assert.equal(empty.body, null);
});

test('response 1.0: proxy shape required; headers merged; base64 bodies', () => {
  const ok = mapV1Response(
    Buffer.from(
      JSON.stringify({
        statusCode: 200,
        headers: { 'Content-Type': 'text/plain', 'X-A': 1 },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: Buffer.from('bin').toString('base64'),
        isBase64Encoded: true,
      }),
    ),
  );
  assert.deepEqual(ok?.headers, [
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
    ['content-type', 'text/plain'],
    ['x-a', '1'],
  ]);
  assert.equal(ok?.body.toString(), 'bin');
  for (const bad of [
    '{"hello":"world"}',
    '"text"',
    '[1]',
    'not json',
    '{"statusCode":200,"body":{"a":1}}',
    '{"statusCode":"abc"}',
  ]) {
    assert.equal(mapV1Response(Buffer.from(bad)), undefined, bad);
  }
});
