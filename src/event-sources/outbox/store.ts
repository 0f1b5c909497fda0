/**
 * The outbox's table: events a service's write caused, waiting to be delivered. A service
 * inserts its rows inside the transaction of the write itself (an object stored, a message
 * published), so the write and its events reach the disk together or not at all; the outbox
 * removes a row once its delivery is done or given up.
 */
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';

const MIGRATIONS = [
  `CREATE TABLE event_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     target TEXT NOT NULL,
     payload BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0
   );`,
];

/** What a service records: which deliverer (`kind`), to whom (`target`, the deliverer's own JSON), and the bytes. */
export interface OutboxEntry {
  /** The deliverer that carries it (`lambda`, `sqs`, `sns`, ...). */
  kind: string;
  /** Where it goes, as its deliverer reads it (serialised as JSON). */
  target: Record<string, unknown>;
  payload: Buffer;
}

export interface StoredEntry extends OutboxEntry {
  id: number;
  createdAt: number;
  /** Deliveries tried and failed with an error worth retrying. */
  attempts: number;
  /** Epoch ms before which it is not tried again. */
  nextAttemptAt: number;
}

interface Row {
  id: number;
  kind: string;
  target: string;
  payload: Buffer;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;

export function createOutboxStore(db: Db) {
  migrate(db, 'event-outbox', MIGRATIONS);
  const s = {
    insert: db.prepare('INSERT INTO event_outbox (kind, target, payload, created_at) VALUES (?, ?, ?, ?)'),
    after: db.prepare(
      `SELECT id, kind, target, payload, created_at, attempts, next_attempt_at
       FROM event_outbox WHERE id > ? ORDER BY id LIMIT ?`,
    ),
    remove: db.prepare('DELETE FROM event_outbox WHERE id = ?'),
    retry: db.prepare('UPDATE event_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?'),
    count: db.prepare('SELECT COUNT(*) FROM event_outbox').pluck(),
  };
  const toEntry = (r: Row): StoredEntry => ({
    id: r.id,
    kind: r.kind,
    target: JSON.parse(r.target) as Record<string, unknown>,
    payload: r.payload,
    createdAt: r.created_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
  });
  return {
    /** Inserts in the caller's transaction (better-sqlite3 nests it in one that is open). */
    insert(entry: OutboxEntry, now: number): number {
      return Number(
        s.insert.run(entry.kind, JSON.stringify(entry.target), entry.payload, now).lastInsertRowid,
      );
    },
    /** Up to `limit` rows after `id`, oldest first. */
    after(id: number, limit: number): StoredEntry[] {
      return (s.after.all(id, limit) as Row[]).map(toEntry);
    },
    remove(id: number): void {
      s.remove.run(id);
    },
    retryAt(id: number, attempts: number, at: number): void {
      s.retry.run(attempts, at, id);
    },
    count(): number {
      return s.count.get() as number;
    },
  };
}
