/**
 * Durable queue for asynchronous (`Event`) invocations. An event is written to SQLite
 * before the caller gets its 202, and removed only after it has run, so every accepted
 * event runs at least once — also across a kill -9 and restart.
 *
 * A throttled event (concurrency, scaling rate or host memory) is not an error: it stays
 * stored and waits in memory, per function and oldest first, until capacity frees up — a
 * released lease or a raised limit wakes it; a timer with backoff is the fallback. Waiting
 * events hold no payload in memory (it is read again when they start). As on AWS, an event
 * for a function whose reserved concurrency is 0 is not kept (ZeroReservedConcurrency).
 *
 * Retry policies, maximum event age and destinations come later (issue 4); today an event
 * runs once.
 */

import type { Logger } from '../shared/logger.js';
import type { Db } from '../storage/db.js';
import { migrate } from '../storage/db.js';
import { Throttled } from './concurrency.js';
import { SchedulerClosed } from './scheduler.js';

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

/** Backoff of a throttled function's waiting events when no release wakes them. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;
/** Rows read from the table in one turn of the event loop at most. */
const PUMP_ROW_BUDGET = 512;

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

/** What the queue asks the concurrency accounting (the invoker's). */
export interface AsyncCapacity {
  /** Whether a lease is free for the function (`account/region/name`) right now. */
  canAcquire(functionId: string): boolean;
  /** Called when capacity may have become free. */
  onChange(listener: () => void): void;
}

export interface AsyncQueue {
  /** Stores the event durably; returns once it is committed. */
  enqueue(event: Omit<AsyncEvent, 'id' | 'enqueuedAt' | 'attempts'>): void;
  pending(): number;
  /** Events waiting for capacity (throttled). */
  waiting(): number;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

type WaitingEvent = Omit<AsyncEvent, 'payload'>;

/** A throttled function's waiting events, oldest first. */
interface Waiting {
  functionId: string;
  events: WaitingEvent[];
  /** Retry no earlier than this (scaling-rate and memory throttles). */
  notBefore: number;
  timer: NodeJS.Timeout | undefined;
}

export function createAsyncQueue(opts: {
  db: Db;
  run: (event: AsyncEvent) => Promise<void>;
  logger: Logger;
  concurrency: number;
  capacity?: AsyncCapacity;
}): AsyncQueue {
  const { db, logger } = opts;
  migrate(db, 'invoke', MIGRATIONS);
  const insert = db.prepare(
    `INSERT INTO invoke_async_events (request_id, account_id, region, function_name, qualifier, payload, enqueued_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const take = db.prepare('SELECT * FROM invoke_async_events WHERE id > ? ORDER BY id LIMIT ?');
  const payloadOf = db.prepare('SELECT payload FROM invoke_async_events WHERE id = ?').pluck();
  const markAttempt = db.prepare('UPDATE invoke_async_events SET attempts = attempts + 1 WHERE id = ?');
  const remove = db.prepare('DELETE FROM invoke_async_events WHERE id = ?');
  const count = db.prepare('SELECT COUNT(*) FROM invoke_async_events').pluck();

  let running = 0;
  /** Highest id handed to a worker in this process: rows above it are still to be taken. */
  let cursor = 0;
  let closed = false;
  let waiters: Array<() => void> = [];
  const throttled = new Map<string, Waiting>();
  /** Next retry delay of functions throttled since their last run (outlives their `Waiting`). */
  const backoff = new Map<string, number>();
  let waitingCount = 0;
  let pumpScheduled = false;

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

  const functionIdOf = (e: WaitingEvent) => `${e.accountId}/${e.region}/${e.functionName}`;

  function schedulePump(): void {
    if (pumpScheduled || closed) return;
    pumpScheduled = true;
    setImmediate(pump);
  }

  opts.capacity?.onChange(() => {
    if (throttled.size > 0) schedulePump();
  });

  function start(event: AsyncEvent): void {
    running++;
    let outcome: 'done' | 'waiting' | 'kept' = 'done';
    opts
      .run(event)
      .catch((err) => {
        // Shutting down: it did not run, and runs after the restart.
        if (err instanceof SchedulerClosed) {
          outcome = 'kept';
          return;
        }
        if (err instanceof Throttled) {
          if (err.zeroReserved) {
            logger.warn(
              `async invocation ${event.requestId} of ${event.functionName} dropped: reserved concurrency is 0 (ZeroReservedConcurrency)`,
            );
            return;
          }
          outcome = 'waiting';
          wait(event, err);
          return;
        }
        logger.error(`async invocation ${event.requestId} failed`, err);
      })
      .finally(() => {
        // An event cut short by shutdown stays queued and runs again after the restart.
        if (!closed && outcome === 'done') remove.run(event.id);
        if (outcome === 'done') backoff.delete(functionIdOf(event));
        running--;
        if (running === 0 && (count.get() as number) === 0) {
          for (const w of waiters) w();
          waiters = [];
        }
        schedulePump();
      });
  }

  /** Keeps a throttled event (without its payload) until its function has capacity again. */
  function wait(event: AsyncEvent, err: Throttled): void {
    const { payload: _payload, ...rest } = event;
    const functionId = functionIdOf(rest);
    let w = throttled.get(functionId);
    if (!w) {
      w = { functionId, events: [], notBefore: 0, timer: undefined };
      throttled.set(functionId, w);
    }
    // Back in front of the events accepted after it.
    const at = w.events.findIndex((e) => e.id > rest.id);
    if (at === -1) w.events.push(rest);
    else w.events.splice(at, 0, rest);
    waitingCount++;
    // A concurrency throttle waits for a release (or a raised limit); the others for time.
    const delay = backoff.get(functionId) ?? RETRY_MIN_MS;
    backoff.set(functionId, Math.min(RETRY_MAX_MS, delay * 2));
    w.notBefore = err.limit === 'concurrency' ? 0 : Date.now() + delay;
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      if (w) w.timer = undefined;
      schedulePump();
    }, delay);
    w.timer.unref();
  }

  function pump(): void {
    pumpScheduled = false;
    if (closed) return;
    let free = opts.concurrency - running;
    if (free <= 0) return;
    const now = Date.now();
    // Waiting events were accepted earlier than anything still in the table: they go first.
    for (const w of throttled.values()) {
      while (
        free > 0 &&
        w.events.length > 0 &&
        now >= w.notBefore &&
        (opts.capacity?.canAcquire(w.functionId) ?? true)
      ) {
        const next = w.events.shift() as WaitingEvent;
        waitingCount--;
        const payload = payloadOf.get(next.id) as Buffer | undefined;
        if (payload === undefined) continue;
        start({ ...next, payload });
        free--;
      }
      if (w.events.length === 0) {
        if (w.timer) clearTimeout(w.timer);
        throttled.delete(w.functionId);
      }
    }
    // Rows of throttled functions only join their queue: bound the work of one turn.
    let budget = PUMP_ROW_BUDGET;
    while (free > 0) {
      if (budget <= 0) {
        schedulePump();
        return;
      }
      const rows = take.all(cursor, Math.min(free, budget)) as Row[];
      if (rows.length === 0) return;
      budget -= rows.length;
      for (const row of rows) {
        cursor = row.id;
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
        const w = throttled.get(functionIdOf(event));
        if (w && w.events.length > 0) {
          // Its function is throttled: it queues behind the older events.
          const { payload: _payload, ...rest } = event;
          w.events.push(rest);
          waitingCount++;
          continue;
        }
        start(event);
        free--;
      }
    }
  }

  // Events accepted before a crash or restart run now.
  schedulePump();

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
      schedulePump();
    },
    pending: () => count.get() as number,
    waiting: () => waitingCount,
    drained: () =>
      running === 0 && (count.get() as number) === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push(resolve)),
    async close() {
      closed = true;
      for (const w of throttled.values()) if (w.timer) clearTimeout(w.timer);
      throttled.clear();
      backoff.clear();
      while (running > 0) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
