/**
 * The outbox every event source delivers through ("Outbox, not fire-and-forget" in DESIGN.md):
 * a service records the events its write caused in the write's own SQLite transaction
 * (`record`), and the outbox delivers them after the commit, at least once, surviving a
 * kill -9 (a restart delivers what is still stored).
 *
 * Woken, not polled: `record` schedules a read of the new rows for the next turn of the event
 * loop, when the caller's synchronous transaction has committed (or rolled back: then there
 * is nothing to read). Timers are only for retry waits.
 *
 * A deliverer (one per `kind`: Lambda, SQS, SNS, EventBridge, ...) answers what became of an
 * entry: delivered, or dropped for good (the destination refuses it, as AWS drops an S3 event a
 * function's policy does not allow) — both remove the row — or worth retrying (a system error;
 * a throw counts as one), retried with backoff from 1 s up to 5 min until the entry is
 * `maxAgeMs` old, then given up with a warning. An entry whose kind has no deliverer (a newer
 * version's, after a downgrade) is kept, untouched, for a server that knows it.
 */
import type { Logger } from '../../shared/logger.js';
import type { Db } from '../../storage/db.js';
import { createOutboxStore, type OutboxEntry, type StoredEntry } from './store.js';

export type { OutboxEntry, StoredEntry } from './store.js';

export type Delivery =
  | { kind: 'delivered' }
  | { kind: 'dropped'; reason: string }
  | { kind: 'retry'; reason: string };

export type Deliverer = (entry: StoredEntry) => Promise<Delivery>;

export interface OutboxOptions {
  db: Db;
  logger: Logger;
  /** Deliveries in flight at most (default 32). */
  concurrency?: number;
  /** An entry still undelivered this long after it was recorded is given up (default 6 h). */
  maxAgeMs?: number;
  /** Scales the retry waits (tests run minutes in milliseconds). */
  retryDelayScale?: number;
}

export interface Outbox {
  /**
   * Records entries: inside the caller's open transaction when there is one (better-sqlite3
   * nests it), so they commit with the write that caused them. Delivery begins after it.
   */
  record(entries: readonly OutboxEntry[]): void;
  /**
   * Starts delivering — what a previous run left first — with a deliverer per kind. Services
   * record from their creation on; their events wait for this (the deliverers, such as Lambda's,
   * exist only once the services do).
   */
  start(deliverers: Readonly<Record<string, Deliverer>>): void;
  /** Entries stored and not yet delivered or given up. */
  pending(): number;
  /** Resolves once nothing is stored, waiting or in flight (tests, a graceful stop). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 300_000;
const DEFAULT_MAX_AGE_MS = 6 * 60 * 60 * 1000;
/** Rows read from the table at once (a restart's backlog is read as the ready ones drain). */
const PAGE = 512;

export function createOutbox(opts: OutboxOptions): Outbox {
  const store = createOutboxStore(opts.db);
  const { logger } = opts;
  let deliverers: Readonly<Record<string, Deliverer>> | undefined;
  const concurrency = opts.concurrency ?? 32;
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const scale = opts.retryDelayScale ?? 1;

  /** The highest id read into memory: rows after it are still only on disk. */
  let cursor = 0;
  /** Rows may exist after `cursor` (set by `record` and at start, cleared by a short page). */
  let moreOnDisk = true;
  let loadScheduled = false;
  const ready: StoredEntry[] = [];
  const waiting = new Map<number, NodeJS.Timeout>();
  let inFlight = 0;
  /** Kept for a server that has a deliverer for them; counted as pending, never retried here. */
  const unknownKinds = new Set<string>();
  let parked = 0;
  let closed = false;
  let drainWaiters: Array<() => void> = [];
  const flights = new Set<Promise<void>>();

  function scheduleLoad(): void {
    if (loadScheduled || closed || !deliverers) return;
    loadScheduled = true;
    setImmediate(() => {
      loadScheduled = false;
      pump();
    });
  }

  function load(): void {
    const rows = store.after(cursor, PAGE);
    if (rows.length < PAGE) moreOnDisk = false;
    const now = Date.now();
    for (const row of rows) {
      cursor = row.id;
      if (row.nextAttemptAt > now) wait(row, row.nextAttemptAt - now);
      else ready.push(row);
    }
  }

  function pump(): void {
    if (closed || !deliverers) return;
    if (ready.length < concurrency && moreOnDisk) load();
    while (inFlight < concurrency && ready.length > 0) {
      const entry = ready.shift() as StoredEntry;
      const deliver = deliverers[entry.kind];
      if (!deliver) {
        if (!unknownKinds.has(entry.kind)) {
          unknownKinds.add(entry.kind);
          logger.warn(`outbox: no deliverer for ${entry.kind} events; kept for a server that has one`);
        }
        parked++;
        continue;
      }
      inFlight++;
      const flight = attempt(entry, deliver).finally(() => {
        inFlight--;
        flights.delete(flight);
        if (ready.length > 0 || moreOnDisk) pump();
        checkDrained();
      });
      flights.add(flight);
    }
    checkDrained();
  }

  async function attempt(entry: StoredEntry, deliver: Deliverer): Promise<void> {
    let outcome: Delivery;
    try {
      outcome = await deliver(entry);
    } catch (err) {
      outcome = { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
    }
    if (closed) return; // still stored: delivered again after the restart
    if (outcome.kind !== 'retry') {
      if (outcome.kind === 'dropped') logger.warn(`outbox: ${entry.kind} event dropped: ${outcome.reason}`);
      store.remove(entry.id);
      return;
    }
    const attempts = entry.attempts + 1;
    if (Date.now() - entry.createdAt >= maxAgeMs) {
      logger.warn(`outbox: ${entry.kind} event given up after ${attempts} attempts: ${outcome.reason}`);
      store.remove(entry.id);
      return;
    }
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempts - 1)) * scale;
    const next = { ...entry, attempts, nextAttemptAt: Date.now() + delay };
    store.retryAt(entry.id, attempts, next.nextAttemptAt);
    wait(next, delay);
  }

  function wait(entry: StoredEntry, ms: number): void {
    waiting.set(
      entry.id,
      setTimeout(() => {
        waiting.delete(entry.id);
        ready.push(entry);
        pump();
      }, ms),
    );
  }

  function checkDrained(): void {
    if (drainWaiters.length === 0 || inFlight > 0 || ready.length > 0 || waiting.size > 0 || moreOnDisk)
      return;
    if (store.count() > parked) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w();
  }

  return {
    record(entries) {
      if (closed) throw new Error('outbox closed');
      const now = Date.now();
      for (const e of entries) store.insert(e, now);
      moreOnDisk = true;
      scheduleLoad();
    },
    start(given) {
      deliverers = given;
      scheduleLoad();
    },
    pending: () => store.count(),
    drained() {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        scheduleLoad();
      });
    },
    async close() {
      closed = true;
      for (const t of waiting.values()) clearTimeout(t);
      waiting.clear();
      await Promise.allSettled([...flights]);
    },
  };
}
