/**
 * The async queue's table. Writes come in batches (group commit): the events accepted in one
 * turn of the event loop, and the removals and retry updates gathered since the last commit,
 * share one transaction — one WAL append instead of one per statement.
 *
 * A row holds what a restart needs to carry on where the queue was: the attempts made, when
 * the next one is due, and the last attempt's answer (for the destination record).
 */
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';
import type { AttemptResponse } from '../destinations.js';

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
  `ALTER TABLE invoke_async_events ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE invoke_async_events ADD COLUMN last_response TEXT;`,
];

export interface NewEvent {
  requestId: string;
  accountId: string;
  region: string;
  functionName: string;
  qualifier: string | undefined;
  payload: Buffer;
}

/** An event as the queue holds it; `payload` may be left on disk (read when it runs). */
export interface StoredEvent extends Omit<NewEvent, 'payload'> {
  id: number;
  payload: Buffer | undefined;
  enqueuedAt: number;
  /** Attempts that ran the function (AWS's approximateInvokeCount). */
  attempts: number;
  /** Epoch ms before which the event must not run (a retry's wait). */
  nextAttemptAt: number;
  lastResponse: AttemptResponse | undefined;
}

export interface RetryUpdate {
  id: number;
  attempts: number;
  nextAttemptAt: number;
  lastResponse: AttemptResponse | undefined;
}

interface Row {
  id: number;
  request_id: string;
  account_id: string;
  region: string;
  function_name: string;
  qualifier: string | null;
  enqueued_at: number;
  attempts: number;
  next_attempt_at: number;
  last_response: string | null;
}

function encodeResponse(r: AttemptResponse | undefined): string | null {
  if (!r) return null;
  return JSON.stringify({ ...r, payload: r.payload.toString('base64') });
}

function decodeResponse(text: string | null): AttemptResponse | undefined {
  if (!text) return undefined;
  const r = JSON.parse(text) as Omit<AttemptResponse, 'payload'> & { payload: string };
  return { ...r, payload: Buffer.from(r.payload, 'base64') };
}

export type EventStore = ReturnType<typeof createEventStore>;

export function createEventStore(db: Db) {
  migrate(db, 'invoke', MIGRATIONS);
  const s = {
    insert: db.prepare(
      `INSERT INTO invoke_async_events (request_id, account_id, region, function_name, qualifier, payload, enqueued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    /** A batch of ids as one JSON array: one statement per commit, not one per row. */
    removeMany: db.prepare('DELETE FROM invoke_async_events WHERE id IN (SELECT value FROM json_each(?))'),
    update: db.prepare(
      'UPDATE invoke_async_events SET attempts = ?, next_attempt_at = ?, last_response = ? WHERE id = ?',
    ),
    all: db.prepare(
      `SELECT id, request_id, account_id, region, function_name, qualifier, enqueued_at, attempts,
              next_attempt_at, last_response
       FROM invoke_async_events ORDER BY id`,
    ),
    payload: db.prepare('SELECT payload FROM invoke_async_events WHERE id = ?').pluck(),
    count: db.prepare('SELECT COUNT(*) FROM invoke_async_events').pluck(),
  };

  /** One transaction: inserts (their ids returned in order), then updates and removals. */
  const commit = db.transaction(
    (
      inserts: ReadonlyArray<NewEvent & { enqueuedAt: number }>,
      updates: RetryUpdate[],
      removals: number[],
    ) => {
      const ids: number[] = [];
      for (const e of inserts) {
        const info = s.insert.run(
          e.requestId,
          e.accountId,
          e.region,
          e.functionName,
          e.qualifier ?? null,
          e.payload,
          e.enqueuedAt,
        );
        ids.push(Number(info.lastInsertRowid));
      }
      for (const u of updates)
        s.update.run(u.attempts, u.nextAttemptAt, encodeResponse(u.lastResponse), u.id);
      if (removals.length > 0) s.removeMany.run(JSON.stringify(removals));
      return ids;
    },
  );

  return {
    commit,
    /** Every stored event, oldest first, without payloads (a restart's backlog may be large). */
    loadAll(): StoredEvent[] {
      return (s.all.all() as Row[]).map((r) => ({
        id: r.id,
        requestId: r.request_id,
        accountId: r.account_id,
        region: r.region,
        functionName: r.function_name,
        qualifier: r.qualifier ?? undefined,
        payload: undefined,
        enqueuedAt: r.enqueued_at,
        attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at,
        lastResponse: decodeResponse(r.last_response),
      }));
    },
    payloadOf: (id: number): Buffer | undefined => s.payload.get(id) as Buffer | undefined,
    count: (): number => s.count.get() as number,
  };
}
