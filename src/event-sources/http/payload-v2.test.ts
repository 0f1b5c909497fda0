import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTextType } from './body-text.js';
import { applyCors, isPreflight, preflightHeaders } from './function-url-cors.js';
import { buildPayloadV2, queryParameters, requestTime } from './payload-v2.js';
import { mapResponseV2 } from './response-v2.js';

const route = {
  routeKey: '$default',
  stage: '$default',
  apiId: 'a'.repeat(32),
  domainName: `${'a'.repeat(32)}.lambda-url.us-east-1.localhost`,
  domainPrefix: 'a'.repeat(32),
  accountId: 'anonymous',
  requestId: '11111111-2222-3333-4444-555555555555',
};

const facts = (over: Partial<Parameters<typeof buildPayloadV2>[0]> = {}) => ({
  method: 'GET',
  rawPath: '/p',
  rawQuery: '',
  headers: {},
  body: Buffer.alloc(0),
  sourceIp: '10.0.0.1',
  protocol: 'HTTP/1.1',
  timeMs: Date.UTC(2020, 2, 12, 19, 3, 58),
  ...over,
});

test('query parameters: decoded, repeated keys joined by commas, none without a query', () => {
  assert.equal(queryParameters(''), undefined);
  assert.deepEqual(queryParameters('a=1&a=2&b=x%20y&c&d=e+f&bad=%E0'), {
    a: '1,2',
    b: 'x y',
    c: '',
    d: 'e f',
    bad: '%E0',
  });
});

test('requestContext.time is AWS’s CLF-style time', () => {
  assert.equal(requestTime(Date.UTC(2020, 2, 12, 19, 3, 58)), '12/Mar/2020:19:03:58 +0000');
});

test('text bodies stay text, others are base64 (one rule for URLs and HTTP APIs)', () => {
  for (const t of [
    'text/plain',
    'text/csv; charset=utf-8',
    'application/json; charset=utf-8',
    'application/xml',
    'application/javascript',
  ])
    assert.equal(isTextType(t), true, t);
  for (const t of [
    undefined,
    'application/octet-stream',
    'image/png',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/vnd.api+json',
    'application/yaml',
    'application/jsonx',
  ])
    assert.equal(isTextType(t), false, String(t));
});

test('the event: headers joined, cookies apart, no body key without a body', () => {
  const event = buildPayloadV2(
    facts({ headers: { 'x-a': ['1', '2'], cookie: ['a=1; b=2', 'c=3'], 'user-agent': ['ua'] } }),
    route,
  );
  assert.deepEqual(event.headers, { 'x-a': '1,2', 'user-agent': 'ua' });
  assert.deepEqual(event.cookies, ['a=1', 'b=2', 'c=3']);
  assert.equal('body' in event, false);
  assert.equal(event.isBase64Encoded, false);
  assert.equal(event.rawQueryString, '');
  assert.equal('queryStringParameters' in event, false);
  const rc = event.requestContext as Record<string, unknown>;
  assert.equal(rc.time, '12/Mar/2020:19:03:58 +0000');
  assert.equal(rc.timeEpoch, Date.UTC(2020, 2, 12, 19, 3, 58));
  assert.deepEqual(rc.http, {
    method: 'GET',
    path: '/p',
    protocol: 'HTTP/1.1',
    sourceIp: '10.0.0.1',
    userAgent: 'ua',
  });
});

test('the route object carries what API Gateway varies', () => {
  const event = buildPayloadV2(facts({ body: Buffer.from([0xff]) }), {
    ...route,
    routeKey: 'GET /items/{id}',
    stage: 'prod',
    path: '/items/1',
    pathParameters: { id: '1' },
    stageVariables: { v: 'x' },
  });
  assert.equal(event.routeKey, 'GET /items/{id}');
  assert.equal(event.rawPath, '/items/1');
  assert.deepEqual(event.pathParameters, { id: '1' });
  assert.deepEqual(event.stageVariables, { v: 'x' });
  assert.equal(event.body, '/w==');
  assert.equal(event.isBase64Encoded, true);
});

test('responses: bare values are 200 JSON, structured ones keep cookies apart, bad ones are undefined', () => {
  const bare = mapResponseV2(Buffer.from('{"hello": "world"}'));
  assert.equal(bare?.status, 200);
  assert.equal(bare?.body.toString(), '{"hello":"world"}');
  assert.deepEqual(bare?.headers.get('content-type'), ['application/json']);
  assert.equal(mapResponseV2(Buffer.from('"hi"'))?.body.toString(), 'hi');
  assert.equal(mapResponseV2(Buffer.from('[1, true]'))?.body.toString(), '[1,true]');
  const structured = mapResponseV2(
    Buffer.from(
      JSON.stringify({
        statusCode: 302,
        headers: { Location: '/x', 'Set-Cookie': 's=0' },
        multiValueHeaders: { 'x-m': ['1', '2'] },
        cookies: ['a=1', 'b=2'],
        body: Buffer.from([1, 2]).toString('base64'),
        isBase64Encoded: true,
      }),
    ),
  );
  assert.equal(structured?.status, 302);
  assert.deepEqual(structured?.headers.get('set-cookie'), ['s=0', 'a=1', 'b=2']);
  // Payload 2.0 has no multiValueHeaders (a 1.0 field): ignored, as AWS documents the format.
  assert.equal(structured?.headers.get('x-m'), undefined);
  assert.deepEqual(structured?.body, Buffer.from([1, 2]));
  assert.equal(mapResponseV2(Buffer.from('not json')), undefined);
  assert.equal(mapResponseV2(Buffer.from('{"statusCode": 99}')), undefined);
  assert.equal(mapResponseV2(Buffer.from('{"statusCode": "204"}'))?.status, 204);
});

test('CORS: preflight for an allowed origin and method only; the config replaces the function’s headers', () => {
  const cors = { AllowOrigins: ['*'], AllowMethods: ['*'], AllowHeaders: ['*'], MaxAge: 10 };
  const pre = { origin: ['https://a.example'], 'access-control-request-method': ['PUT'] };
  assert.equal(isPreflight('OPTIONS', pre), true);
  assert.equal(isPreflight('OPTIONS', { origin: ['x'] }), false);
  const h = preflightHeaders(cors, { ...pre, 'access-control-request-headers': ['x-y'] });
  assert.deepEqual(h.get('access-control-allow-origin'), ['*']);
  assert.deepEqual(h.get('access-control-allow-methods'), ['PUT']);
  assert.deepEqual(h.get('access-control-allow-headers'), ['x-y']);
  assert.deepEqual(h.get('access-control-max-age'), ['10']);
  assert.equal(preflightHeaders({ AllowOrigins: ['https://b.example'] }, pre).size, 0);
  const withCredentials = preflightHeaders({ ...cors, AllowCredentials: true }, pre);
  assert.deepEqual(withCredentials.get('access-control-allow-origin'), ['https://a.example']);

  const response = new Map([
    ['access-control-allow-origin', ['https://evil.example']],
    ['vary', ['Accept']],
  ]);
  applyCors({ AllowOrigins: ['https://a.example'], ExposeHeaders: ['x-e'] }, pre, response);
  assert.deepEqual(response.get('access-control-allow-origin'), ['https://a.example']);
  assert.deepEqual(response.get('access-control-expose-headers'), ['x-e']);
  assert.deepEqual(response.get('vary'), ['Accept', 'Origin']);
});
