import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Throttled } from './concurrency.js';
import { TmpBudget } from './tmp-budget.js';

function budget(maxMb: number, unused: string[] = [], idle = 0) {
  const released: string[] = [];
  let idleLeft = idle;
  const b = new TmpBudget(maxMb, {
    unusedVolumes: () => unused,
    release: async (dir) => {
      released.push(dir);
      unused.splice(unused.indexOf(dir), 1);
    },
    evictIdle: async () => {
      if (idleLeft === 0) return false;
      idleLeft--;
      unused.push(`idle-${idleLeft}`);
      return true;
    },
  });
  return { b, released, unused };
}

test('volumes count their size until released; a start past the budget is a 429 that names it', async () => {
  const { b } = budget(1024);
  await b.reserve('a', 512);
  await b.reserve('b', 512);
  await assert.rejects(b.reserve('c', 512), (err: unknown) => {
    assert.ok(err instanceof Throttled);
    assert.equal(err.limit, 'disk');
    assert.equal(err.status, 429);
    assert.match(
      err.message,
      /^Rate Exceeded\. Lambent's disk budget for \/tmp volumes is used up: 1024 MB of 1024 MB/,
    );
    return true;
  });
  b.uncharge('a');
  await b.reserve('c', 512);
  assert.deepEqual(b.stats(), { tmpMb: 1024, maxTmpMb: 1024 });
  // The same volume charged again at another size replaces its charge.
  await b.reserve('c', 256);
  assert.equal(b.stats().tmpMb, 768);
});

test('kept volumes nobody uses are released first, then idle environments are stopped for theirs', async () => {
  const unused: string[] = [];
  const { b, released } = budget(1024, unused, 1);
  await b.reserve('kept', 512);
  await b.reserve('busy', 512);
  unused.push('kept'); // its environment stopped; the volume waits for the function's next one
  await b.reserve('new', 512);
  assert.deepEqual(released, ['kept']);
  // No unused volume left: the idle environment (it holds 'idle-0') is stopped for its volume.
  b.uncharge('new');
  await b.reserve('idle-0', 512);
  await b.reserve('newer', 512);
  assert.deepEqual(released, ['kept', 'idle-0']);
  await assert.rejects(b.reserve('more', 512), Throttled);
});
