import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRouteKey, RouteTable } from './route-keys.js';

test('route keys: valid and invalid forms', () => {
  for (const key of [
    '$default',
    'GET /',
    'ANY /{proxy+}',
    'POST /items/{id}/parts/{part}',
    'GET /a/b.c-d_e',
  ]) {
    assert.ok(!('error' in parseRouteKey(key)), key);
  }
  for (const key of [
    'GET',
    'GET items',
    'FETCH /x',
    'GET /{proxy+}/more',
    'GET //x',
    'GET /a{b}',
    'get /x',
    '',
  ]) {
    assert.ok('error' in parseRouteKey(key), key);
  }
});

test('matching: the most specific route, decoded path parameters, $default last', () => {
  const table = new RouteTable(
    [
      'GET /pets/dog/1',
      'GET /pets/dog/{id}',
      'GET /pets/{proxy+}',
      'ANY /{proxy+}',
      'POST /pets/{proxy+}',
      '$default',
    ].map((routeKey) => ({ routeKey })),
  );
  const key = (method: string, path: string) => table.match(method, path.slice(1).split('/'))?.route.routeKey;
  assert.equal(key('GET', '/pets/dog/1'), 'GET /pets/dog/1');
  assert.equal(key('GET', '/pets/dog/2'), 'GET /pets/dog/{id}');
  assert.equal(key('GET', '/pets/cat/1'), 'GET /pets/{proxy+}');
  assert.equal(key('POST', '/pets/cat'), 'POST /pets/{proxy+}');
  assert.equal(key('PUT', '/anything/else'), 'ANY /{proxy+}');
  assert.equal(table.match('GET', [])?.route.routeKey, '$default');
  assert.deepEqual(table.match('GET', ['pets', 'dog', 'a%20b'])?.pathParameters, { id: 'a b' });
  assert.deepEqual(table.match('GET', ['pets', 'x', 'y'])?.pathParameters, { proxy: 'x/y' });
  const noDefault = new RouteTable([{ routeKey: 'GET /items/{id}' }]);
  assert.equal(noDefault.match('GET', ['items']), undefined);
  assert.equal(noDefault.match('GET', ['items', '1', '2']), undefined);
  assert.equal(noDefault.match('POST', ['items', '1']), undefined);
});
