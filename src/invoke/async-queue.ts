/**
 * Durable queue for asynchronous (`Event`) invocations. An event is written to SQLite
 * before the caller gets its 202, and removed only after it has run, so every accepted
 * event runs at least once — also across a kill -9 and restart. Retry policies, maximum
 * event age and destinations come later (issue 4); today an event runs once.
 */

import type { Logger } from '../shared/logger.js';
import type { Db } from '../storage/db.js';
import { migrate } from '../storage/db.js';

const MIGRATIONS = [
  `CREATE TABLE invoke_async_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     request_id TEXT NOT NULL,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     function_name TEXT NOT NULL,
     qualifier TEXT,
     payload BLOB NOT NULL,
     enqueued_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0
   );`,
];

export interface AsyncEvent {
  id: number;
  requestId: string;
  accountId: string;
  region: string;
  functionName: string;
  qualifier: string | undefined;
  payload: Buffer;
  enqueuedAt: number;
  attempts: number;
}

export interface AsyncQueue {
  /** Stores the event durably; returns once it is committed. */
  enqueue(event: Omit<AsyncEvent, 'id' | 'enqueuedAt' | 'attempts'>): void;
  pending(): number;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export function createAsyncQueue(opts: {
  db: Db;
  run: (event: AsyncEvent) => Promise<void>;
  logger: Logger;
  concurrency: number;
}): AsyncQueue {
  const { db, logger } = opts;
  migrate(db, 'invoke', MIGRATIONS);
  const insert = db.prepare(
    `INSERT INTO invoke_async_events (request_id, account_id, region, function_name, qualifier, payload, enqueued_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const take = db.prepare('SELECT * FROM invoke_async_events WHERE id > ? ORDER BY id LIMIT ?');
  const markAttempt = db.prepare('UPDATE invoke_async_events SET attempts = attempts + 1 WHERE id = ?');
  const remove = db.prepare('DELETE FROM invoke_async_events WHERE id = ?');
  const count = db.prepare('SELECT COUNT(*) FROM invoke_async_events').pluck();

  let running = 0;
  /** Highest id handed to a worker in this process: rows above it are still to be taken. */
  let cursor = 0;
  let closed = false;
  let waiters: Array<() => void> = [];

  type Row = {
    id: number;
    request_id: string;
    account_id: string;
    region: string;
    function_name: string;
    qualifier: string | null;
    payload: Buffer;
    enqueued_at: number;
    attempts: number;
  };

  function pump(): void {
    if (closed) return;
    const free = opts.concurrency - running;
    if (free <= 0) return;
    const rows = take.all(cursor, free) as Row[];
    for (const row of rows) {
      cursor = row.id;
      running++;
      markAttempt.run(row.id);
      const event: AsyncEvent = {
        id: row.id,
        requestId: row.request_id,
        accountId: row.account_id,
        region: row.region,
        functionName: row.function_name,
        qualifier: row.qualifier ?? undefined,
        payload: row.payload,
        enqueuedAt: row.enqueued_at,
        attempts: row.attempts + 1,
      };
      opts
        .run(event)
        .catch((err) => logger.error(`async invocation ${event.requestId} failed`, err))
        .finally(() => {
          // An event cut short by shutdown stays queued and runs again after the restart.
          if (!closed) remove.run(row.id);
          running--;
          if (running === 0 && (count.get() as number) === 0) {
            for (const w of waiters) w();
            waiters = [];
          }
          setImmediate(pump);
        });
    }
  }

  // Events accepted before a crash or restart run now.
  setImmediate(pump);

  return {
    enqueue(e) {
      insert.run(
        e.requestId,
        e.accountId,
        e.region,
        e.functionName,
        e.qualifier ?? null,
        e.payload,
        Date.now(),
      );
      setImmediate(pump);
    },
    pending: () => count.get() as number,
    drained: () =>
      running === 0 && (count.get() as number) === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push(resolve)),
    async close() {
      closed = true;
      while (running > 0) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
