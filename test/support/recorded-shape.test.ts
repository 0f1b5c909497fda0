/** The recorded-shape comparison must fail where a value does not fit the recording. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bindings, shapeDifferences } from './recorded-shape.js';

test('placeholders bind one value each, numbered ones distinct; kinds are checked by form; fields exactly', () => {
  const expected = { a: '<x:1>', b: 'arn:<partition>:s3:::<x:1>', c: '<x:2>', t: 'date', n: 3 };
  assert.deepEqual(
    shapeDifferences({ a: 'p', b: 'arn:aws:s3:::p', c: 'q', t: '2025-01-01T00:00:00.000Z', n: 3 }, expected),
    [],
  );
  assert.equal(
    shapeDifferences({ a: 'p', b: 'arn:aws:s3:::other', c: 'q', t: '2025-01-01T00:00:00Z', n: 3 }, expected)
      .length,
    1,
  );
  assert.equal(
    shapeDifferences({ a: 'p', b: 'arn:aws:s3:::p', c: 'p', t: '2025-01-01T00:00:00Z', n: 3 }, expected)
      .length,
    1,
  );
  assert.equal(
    shapeDifferences({ a: 'p', b: 'arn:aws:s3:::p', c: 'q', t: 'yesterday', n: 4, extra: 1 }, expected)
      .length,
    3,
  );
  const shared = new Bindings();
  assert.deepEqual(shapeDifferences({ v: 'one' }, { v: '<id:1>' }, shared), []);
  assert.equal(shapeDifferences({ v: 'two' }, { v: '<id:1>' }, shared).length, 1);
});
