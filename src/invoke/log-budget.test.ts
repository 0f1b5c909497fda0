import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBudget } from './log-budget.js';

const F = '000000000000/us-east-1/f';
const G = '000000000000/us-east-1/g';

function budget(o: Partial<ConstructorParameters<typeof LogBudget>[0]> & { free?: number } = {}) {
  let now = 0;
  let free = o.free ?? 10 * 1024 ** 3;
  const b = new LogBudget({
    functionBytesPerSecond: 1000,
    functionBurstBytes: 5000,
    maxStoredBytes: 1_000_000,
    minFreeDiskBytes: 1_000_000,
    dataDir: '/',
    now: () => now,
    freeDisk: async () => free,
    checkIntervalMs: 3_600_000,
    ...o,
  });
  return {
    b,
    advance: (ms: number) => {
      now += ms;
    },
    setFree: (bytes: number) => {
      free = bytes;
    },
  };
}

test('each function has a bucket of bytes: a burst, then its rate per second', async () => {
  const { b, advance } = budget();
  await b.check();
  assert.equal(b.admit(F, 5000), undefined);
  assert.equal(b.admit(F, 1), 'rate');
  assert.equal(b.admit(G, 4000), undefined, 'another function has its own bucket');
  advance(500);
  assert.equal(b.admit(F, 500), undefined);
  assert.equal(b.admit(F, 500), 'rate');
  assert.deepEqual([...b.dropped()], [{ functionId: F, reason: 'rate', bytes: 501 }]);
  assert.equal(b.status().droppedBytes, 501);
  b.close();
});

test('a rate of 0 keeps everything (until the disk budget)', async () => {
  const { b } = budget({ functionBytesPerSecond: 0 });
  await b.check();
  assert.equal(b.admit(F, 900_000), undefined);
  assert.equal(b.admit(F, 200_000), 'volume', 'stored logs over their ceiling');
  assert.equal(b.status().storedBytes, 900_000);
  assert.equal(b.admit(F, 100_000), undefined, 'what still fits is kept');
  assert.equal(b.status().status, 'degraded');
  b.close();
});

test('low free disk degrades: all output dropped until the disk has room again', async () => {
  const { b, setFree } = budget({ free: 500_000 });
  await b.check();
  assert.equal(b.admit(F, 10), 'disk');
  assert.deepEqual(b.status().reason, 'disk');
  setFree(5_000_000);
  await b.check();
  assert.equal(b.admit(F, 10), undefined);
  assert.equal(b.status().status, 'ok');
  b.close();
});

test('the stored volume comes from the logs store, plus what was kept since the last check', async () => {
  const { b } = budget({ functionBytesPerSecond: 0 });
  let stored = 999_000;
  b.attachStore(() => stored);
  await b.check();
  assert.equal(b.admit(F, 500), undefined);
  assert.equal(b.admit(F, 600), 'volume');
  stored = 0; // a retention sweep or DeleteLogGroup
  await b.check();
  assert.equal(b.admit(F, 600), undefined);
  b.close();
});
