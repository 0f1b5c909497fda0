import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AwsError } from '../../shared/errors.js';
import { evaluatePreconditions, parseRange } from './conditions.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return `${(err as AwsError).code}:${(err as AwsError).status}`;
  }
};

test('ranges: the three forms, clamping, ignored and unsatisfiable ones', () => {
  assert.deepEqual(parseRange('bytes=0-3', 10), { start: 0, end: 3 });
  assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
  assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
  assert.equal(parseRange('items=0-1', 10), undefined);
  assert.equal(parseRange('bytes=5-2', 10), undefined);
  assert.equal(
    code(() => parseRange('bytes=10-', 10)),
    'InvalidRange:416',
  );
  assert.equal(
    code(() => parseRange('bytes=1024-4096', 8)),
    'InvalidRange:416',
  );
});

test('preconditions: 412 before 304, and each header pair as S3 pairs them', () => {
  const t = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const before = new Date(t - 60_000);
  const after = new Date(t + 60_000);
  assert.equal(evaluatePreconditions({ IfMatch: '"abc"' }, 'abc', t), 'ok');
  assert.equal(evaluatePreconditions({ IfMatch: '*' }, 'abc', t), 'ok');
  assert.equal(
    code(() => evaluatePreconditions({ IfMatch: '"x"' }, 'abc', t)),
    'PreconditionFailed:412',
  );
  assert.equal(
    code(() => evaluatePreconditions({ IfUnmodifiedSince: before }, 'abc', t)),
    'PreconditionFailed:412',
  );
  assert.equal(evaluatePreconditions({ IfMatch: '"abc"', IfUnmodifiedSince: before }, 'abc', t), 'ok');
  assert.equal(evaluatePreconditions({ IfNoneMatch: '"abc"' }, 'abc', t), 'not-modified');
  assert.equal(evaluatePreconditions({ IfNoneMatch: '"x"' }, 'abc', t), 'ok');
  assert.equal(evaluatePreconditions({ IfModifiedSince: after }, 'abc', t), 'not-modified');
  assert.equal(evaluatePreconditions({ IfModifiedSince: new Date(t) }, 'abc', t), 'not-modified');
  assert.equal(evaluatePreconditions({ IfModifiedSince: before }, 'abc', t), 'ok');
  assert.equal(evaluatePreconditions({ IfNoneMatch: '"x"', IfModifiedSince: after }, 'abc', t), 'ok');
});
