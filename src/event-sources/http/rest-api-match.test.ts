import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceDoc } from '../../services/apigateway/model.js';
import { buildResourceTree, matchResource } from './rest-api-match.js';
import { buildRestProxyEvent, eventPath, requestTime } from './rest-proxy-event.js';
import { matchesBinary, readProxyResponse } from './rest-proxy-response.js';

const r = (
  id: string,
  parentId: string | undefined,
  pathPart: string | undefined,
  path: string,
): ResourceDoc => ({
  id,
  ...(parentId ? { parentId } : {}),
  ...(pathPart ? { pathPart } : {}),
  path,
});

const tree = buildResourceTree([
  r('root', undefined, undefined, '/'),
  r('proxy', 'root', '{proxy+}', '/{proxy+}'),
  r('users', 'root', 'users', '/users'),
  r('user', 'users', '{id}', '/users/{id}'),
  r('me', 'users', 'me', '/users/me'),
  r('orders', 'user', 'orders', '/users/{id}/orders'),
]);

const match = (path: string) => {
  assert.ok(tree);
  const m = matchResource(tree, path);
  return m && [m.resource.path, m.pathParameters];
};

test('a literal part wins over {param}, which wins over {proxy+}; dead ends fall back', () => {
  assert.deepEqual(match(''), ['/', {}]);
  assert.deepEqual(match('/'), ['/', {}]);
  assert.deepEqual(match('/users'), ['/users', {}]);
  assert.deepEqual(match('/users/me'), ['/users/me', {}]);
  assert.deepEqual(match('/users/42'), ['/users/{id}', { id: '42' }]);
  assert.deepEqual(match('/users/42/orders'), ['/users/{id}/orders', { id: '42' }]);
  // No `/users/{id}/x`: the greedy root resource takes the whole path.
  assert.deepEqual(match('/users/42/x'), ['/{proxy+}', { proxy: 'users/42/x' }]);
  // Trailing slash ignored for matching; inner double slashes kept in the greedy value.
  assert.deepEqual(match('/a/'), ['/{proxy+}', { proxy: 'a' }]);
  assert.deepEqual(match('/a//b'), ['/{proxy+}', { proxy: 'a//b' }]);
  assert.deepEqual(match('//users'), ['/users', {}]);
});

test('no greedy resource: an unknown path matches nothing', () => {
  const small = buildResourceTree([r('root', undefined, undefined, '/'), r('a', 'root', 'a', '/a')]);
  assert.ok(small);
  assert.equal(matchResource(small, '/b'), undefined);
  assert.equal(matchResource(small, '/a/b'), undefined);
});

test('event path, request time, and the event of a bare request', () => {
  assert.equal(eventPath('//x/'), '/x/');
  assert.equal(eventPath(''), '/');
  assert.equal(requestTime(Date.UTC(2026, 11, 2, 7, 5, 9)), '02/Dec/2026:07:05:09 +0000');
  const event = buildRestProxyEvent({
    method: 'GET',
    path: '/x',
    fullPath: '/prod/x',
    rawQuery: '',
    rawHeaders: [],
    body: Buffer.alloc(0),
    binaryBody: false,
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    domainName: 'abc.execute-api.localhost',
    requestId: 'r',
    extendedRequestId: 'e',
    timeEpochMs: 0,
    apiId: 'abc',
    stage: 'prod',
    accountId: '000000000000',
    deploymentId: 'd',
    resourceId: 'res',
    resourcePath: '/x',
    pathParameters: null,
    stageVariables: null,
  });
  assert.equal(event.headers, null);
  assert.equal(event.queryStringParameters, null);
  assert.equal(event.body, null);
  assert.equal((event.requestContext as { domainPrefix: string }).domainPrefix, 'abc');
});

test('proxy answers: statuses, headers merged, refused shapes', () => {
  const read = (doc: unknown, accept?: string) =>
    readProxyResponse(Buffer.from(JSON.stringify(doc)), { mediaTypes: ['image/*'], accept });
  assert.equal(read({ statusCode: 404 })?.status, 404);
  assert.equal(read({ statusCode: '201' })?.status, 201);
  assert.equal(read({ statusCode: 99 }), undefined);
  assert.equal(read({ statusCode: 200, body: { not: 'a string' } }), undefined);
  assert.equal(read(null), undefined);
  assert.equal(read([1]), undefined);
  const merged = read({ headers: { A: 'x' }, multiValueHeaders: { a: ['y', 'z'] } });
  assert.deepEqual(merged?.headers.get('a')?.values, ['y', 'z', 'x']);
  const png = read({ body: Buffer.from([1, 2]).toString('base64'), isBase64Encoded: true }, 'image/png');
  assert.deepEqual(png?.body, Buffer.from([1, 2]));
  assert.equal(matchesBinary(['*/*'], 'text/html'), true);
  assert.equal(matchesBinary(['application/octet-stream'], 'application/json'), false);
  assert.equal(matchesBinary([], 'image/png'), false);
});
