import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyAccounting, Throttled } from './concurrency.js';

const F = '000000000000/us-east-1/f';
const G = '000000000000/us-east-1/g';
const OTHER_REGION = '000000000000/eu-west-1/f';

function throttleOf(fn: () => unknown): Throttled {
  try {
    fn();
  } catch (err) {
    if (err instanceof Throttled) return err;
    throw err;
  }
  throw new Error('not throttled');
}

test('unreserved functions share the account pool; a reservation takes its share out of it', () => {
  const c = new ConcurrencyAccounting({ accountLimit: 3, scalingRatePer10s: 1000 });
  const leases = [c.acquire(F), c.acquire(G), c.acquire(F)];
  const t = throttleOf(() => c.acquire(G));
  assert.equal(t.reason, 'ConcurrentInvocationLimitExceeded');
  assert.equal(t.limit, 'concurrency');
  assert.equal(t.status, 429);
  assert.deepEqual(t.fields, { Type: 'User', Reason: 'ConcurrentInvocationLimitExceeded' });
  assert.equal(t.headers['Retry-After'], '1');
  // Another region is another account pool.
  c.acquire(OTHER_REGION).release();
  leases[0]?.release();
  leases[0]?.release(); // releasing twice frees one lease only
  assert.ok(c.canAcquire(G));
  c.acquire(G);
  assert.ok(!c.canAcquire(G));

  c.setReservation(F, 1);
  assert.equal(c.reservedTotal('000000000000/us-east-1'), 1);
  // F still has one invocation in flight from the pool: its reservation is full.
  assert.equal(throttleOf(() => c.acquire(F)).reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  leases[2]?.release();
  c.acquire(F);
});

test('reserved concurrency 0 blocks and says so; forget drops the reservation', () => {
  const c = new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 });
  c.setReservation(F, 0);
  const t = throttleOf(() => c.acquire(F));
  assert.equal(t.reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.equal(t.zeroReserved, true);
  c.forget(F);
  assert.equal(c.reservation(F), undefined);
  assert.equal(c.reservedTotal('000000000000/us-east-1'), 0);
  c.acquire(F);
});

test('the scaling rate is a token bucket refilled continuously', () => {
  let now = 0;
  const c = new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 2, now: () => now });
  c.takeScalingToken(F);
  c.takeScalingToken(F);
  assert.equal(throttleOf(() => c.takeScalingToken(F)).reason, 'FunctionInvocationRateLimitExceeded');
  c.takeScalingToken(G); // per function
  now += 4_999;
  assert.equal(throttleOf(() => c.takeScalingToken(F)).limit, 'scaling');
  now += 1; // 2 per 10 s: one token after 5 s
  c.takeScalingToken(F);
  c.setReservation(F, 5);
  assert.equal(throttleOf(() => c.takeScalingToken(F)).reason, 'ReservedFunctionInvocationRateLimitExceeded');
});

test('listeners hear about releases and limit changes', () => {
  const c = new ConcurrencyAccounting({ accountLimit: 10, scalingRatePer10s: 1000 });
  let calls = 0;
  const off = c.onChange(() => calls++);
  c.acquire(F).release();
  c.setReservation(F, 2);
  assert.equal(calls, 2);
  off();
  c.acquire(F).release();
  assert.equal(calls, 2);
});

test('provisioned concurrency: its slots serve the version first and come out of the reservation or the pool', () => {
  const c = new ConcurrencyAccounting({ accountLimit: 4, scalingRatePer10s: 1000 });
  c.setProvisioned(F, '1', 2);
  assert.equal(c.provisionedTotal(F), 2);
  assert.equal(c.unreservedProvisioned('000000000000/us-east-1'), 2);
  // Version 1 takes its two slots, then draws from the unreserved pool (4 - 2 set aside).
  const v1 = [c.acquire(F, '1'), c.acquire(F, '1')];
  assert.deepEqual(
    v1.map((l) => l.provisioned),
    [true, true],
  );
  const spill = [c.acquire(F, '1'), c.acquire(G)];
  assert.equal(spill[0]?.provisioned, false);
  assert.equal(throttleOf(() => c.acquire(F, '$LATEST')).reason, 'ConcurrentInvocationLimitExceeded');
  v1[0]?.release();
  const again = c.acquire(F, '1');
  assert.equal(again.provisioned, true);

  // With a reservation equal to the provisioned total, nothing is left for other versions.
  for (const l of [...v1, ...spill, again]) l?.release();
  c.setReservation(F, 2);
  assert.equal(c.unreservedProvisioned('000000000000/us-east-1'), 0);
  assert.equal(
    throttleOf(() => c.acquire(F, '$LATEST')).reason,
    'ReservedFunctionConcurrentInvocationLimitExceeded',
  );
  // The async queue does not know the version: a free provisioned slot counts as capacity.
  assert.ok(c.canAcquire(F));
  const held = [c.acquire(F, '1'), c.acquire(F, '1')];
  assert.ok(!c.canAcquire(F));
  for (const l of held) l.release();
  c.setReservation(F, undefined);
  assert.equal(c.unreservedProvisioned('000000000000/us-east-1'), 2);
  c.setProvisioned(F, '1', undefined);
  assert.equal(c.provisionedTotal(F), 0);
  assert.equal(c.unreservedProvisioned('000000000000/us-east-1'), 0);
});
