import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { tempDb } from '../../../test/support/temp-db.js';
import { silentLogger } from '../../shared/logger.js';
import { openDatabase } from '../../storage/db.js';
import { createOutbox, type Delivery, type StoredEntry } from './outbox.js';

const entry = (n: number) => ({ kind: 'test', target: { to: `t${n}` }, payload: Buffer.from(`event ${n}`) });

test('entries commit with the write that caused them: a rolled-back write delivers nothing', async () => {
  const t = tempDb('lambent-outbox-');
  try {
    t.db.exec('CREATE TABLE objects (key TEXT PRIMARY KEY)');
    const delivered: string[] = [];
    const outbox = createOutbox({ db: t.db, logger: silentLogger });
    outbox.start({
      test: async (e) => {
        delivered.push(e.payload.toString());
        return { kind: 'delivered' };
      },
    });
    const put = t.db.prepare('INSERT INTO objects (key) VALUES (?)');
    const write = t.db.transaction((key: string, n: number) => {
      put.run(key);
      outbox.record([entry(n)]);
    });
    write('a', 1);
    assert.throws(() => write('a', 2), /UNIQUE/); // the second write fails: its event goes with it
    write('b', 3);
    await outbox.drained();
    assert.deepEqual(delivered, ['event 1', 'event 3']);
    assert.equal(outbox.pending(), 0);
    await outbox.close();
  } finally {
    t.done();
  }
});

test('delivered in the order recorded; a delivery is woken, not polled', async () => {
  const t = tempDb('lambent-outbox-');
  try {
    const seen: number[] = [];
    let firstAt = 0;
    const outbox = createOutbox({ db: t.db, logger: silentLogger, concurrency: 1 });
    outbox.start({
      test: async (e) => {
        if (seen.length === 0) firstAt = performance.now();
        seen.push(Number(e.payload.toString().split(' ')[1]));
        return { kind: 'delivered' };
      },
    });
    await outbox.drained(); // the start-up read is done
    const recordedAt = performance.now();
    outbox.record(Array.from({ length: 50 }, (_, i) => entry(i)));
    await outbox.drained();
    assert.deepEqual(
      seen,
      Array.from({ length: 50 }, (_, i) => i),
    );
    // No polling interval between the commit and the first delivery: the next turns of the loop.
    assert.ok(
      firstAt - recordedAt < 50,
      `first delivery ${(firstAt - recordedAt).toFixed(1)} ms after the commit`,
    );
    await outbox.close();
  } finally {
    t.done();
  }
});

test('retries with backoff, stored; a drop or a success removes the row; too old is given up', async () => {
  const t = tempDb('lambent-outbox-');
  try {
    const calls = new Map<string, number>();
    const answers: Record<string, (n: number) => Delivery> = {
      flaky: (n) => (n < 3 ? { kind: 'retry', reason: 'socket hang up' } : { kind: 'delivered' }),
      thrower: (n) => {
        if (n < 2) throw new Error('boom');
        return { kind: 'delivered' };
      },
      refused: () => ({ kind: 'dropped', reason: 'the function does not allow s3.amazonaws.com' }),
    };
    const attemptsSeen: number[] = [];
    const outbox = createOutbox({ db: t.db, logger: silentLogger, retryDelayScale: 0.001 }); // 1 ms, 2 ms, ...
    outbox.start({
      test: async (e: StoredEntry) => {
        const to = String(e.target.to);
        const n = (calls.get(to) ?? 0) + 1;
        calls.set(to, n);
        if (to === 'flaky') attemptsSeen.push(e.attempts);
        return (answers[to] as (n: number) => Delivery)(n);
      },
    });
    for (const to of Object.keys(answers)) {
      outbox.record([{ kind: 'test', target: { to }, payload: Buffer.from(to) }]);
    }
    await outbox.drained();
    assert.deepEqual(Object.fromEntries(calls), { flaky: 3, thrower: 2, refused: 1 });
    assert.deepEqual(attemptsSeen, [0, 1, 2], 'each retry carries the stored attempt count');
    assert.equal(outbox.pending(), 0);
    await outbox.close();

    // An entry that keeps failing past its age is given up.
    let tries = 0;
    const short = createOutbox({ db: t.db, logger: silentLogger, maxAgeMs: 30, retryDelayScale: 0.01 }); // 10 ms, 20 ms, ...
    short.start({
      test: async () => {
        tries++;
        return { kind: 'retry', reason: 'down' };
      },
    });
    short.record([entry(9)]);
    await short.drained();
    assert.ok(tries >= 2, `tried ${tries} times`);
    assert.equal(short.pending(), 0);
    await short.close();
  } finally {
    t.done();
  }
});

test('an entry of a kind this server cannot deliver is kept for one that can', async () => {
  const t = tempDb('lambent-outbox-');
  try {
    const first = createOutbox({ db: t.db, logger: silentLogger });
    first.start({});
    first.record([entry(1)]);
    await first.drained();
    assert.equal(first.pending(), 1);
    await first.close();
    const got: string[] = [];
    const second = createOutbox({ db: t.db, logger: silentLogger });
    second.start({
      test: async (e) => {
        got.push(e.payload.toString());
        return { kind: 'delivered' };
      },
    });
    await second.drained();
    assert.deepEqual(got, ['event 1']);
    await second.close();
  } finally {
    t.done();
  }
});

test('kill -9 after the commit, before delivery: the restart delivers every recorded entry once', async () => {
  const t = tempDb('lambent-outbox-');
  try {
    // A child records 100 entries (whose deliveries never finish) in one transaction, says so,
    // and is killed; a new outbox on the same file then delivers them.
    const outboxUrl = new URL('./outbox.js', import.meta.url).href;
    const dbUrl = new URL('../../storage/db.js', import.meta.url).href;
    const script = `
      const { createOutbox } = await import(${JSON.stringify(outboxUrl)});
      const { openDatabase } = await import(${JSON.stringify(dbUrl)});
      const db = openDatabase(process.argv[1]);
      const logger = { info() {}, warn() {}, error() {} };
      const outbox = createOutbox({ db, logger });
      outbox.start({ test: () => new Promise(() => {}) });
      db.transaction(() => outbox.record(Array.from({ length: 100 }, (_, i) => ({
        kind: 'test', target: { n: i }, payload: Buffer.from(String(i)) }))))();
      process.stdout.write('recorded\\n');
      setInterval(() => {}, 1000);`;
    t.db.close();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, t.file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('recorded')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const db = openDatabase(t.file);
    t.db = db;
    const got: number[] = [];
    const outbox = createOutbox({ db, logger: silentLogger });
    outbox.start({
      test: async (e) => {
        got.push(Number(e.target.n));
        return { kind: 'delivered' };
      },
    });
    await outbox.drained();
    assert.deepEqual(
      [...got].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
    await outbox.close();
  } finally {
    t.done();
  }
});
