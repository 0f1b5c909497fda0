/**
 * CloudWatch Logs' state in the shared SQLite database: log groups (per account and region),
 * their streams, and the events themselves.
 *
 * Events are one row each, keyed by an AUTOINCREMENT id that never goes backwards (it is the
 * event's `eventId` and the ingestion order live tails follow), and indexed by (stream,
 * timestamp, id) for GetLogEvents and by (group, timestamp, id) for FilterLogEvents, so a page
 * is an index range scan however many events a group holds. Every write method runs in one
 * transaction: when it returns, the events are in the WAL and survive a kill -9.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';

const MIGRATIONS = [
  `CREATE TABLE logs_groups (
     id INTEGER PRIMARY KEY,
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     creation_time INTEGER NOT NULL,
     retention_days INTEGER,
     kms_key_id TEXT,
     log_group_class TEXT NOT NULL DEFAULT 'STANDARD',
     deletion_protection INTEGER NOT NULL DEFAULT 0,
     tags TEXT NOT NULL DEFAULT '{}',
     stored_bytes INTEGER NOT NULL DEFAULT 0,
     last_event_id INTEGER NOT NULL DEFAULT 0,
     UNIQUE (account_id, region, name)
   );
   CREATE TABLE logs_streams (
     id INTEGER PRIMARY KEY,
     group_id INTEGER NOT NULL REFERENCES logs_groups (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     creation_time INTEGER NOT NULL,
     first_event_ts INTEGER,
     last_event_ts INTEGER,
     last_ingestion_time INTEGER,
     upload_seq INTEGER NOT NULL DEFAULT 0,
     UNIQUE (group_id, name)
   );
   CREATE INDEX logs_streams_by_last_event ON logs_streams (group_id, last_event_ts, name);
   CREATE TABLE logs_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     group_id INTEGER NOT NULL,
     stream_id INTEGER NOT NULL,
     timestamp INTEGER NOT NULL,
     ingestion_time INTEGER NOT NULL,
     message TEXT NOT NULL
   );
   CREATE INDEX logs_events_by_stream ON logs_events (stream_id, timestamp, id);
   CREATE INDEX logs_events_by_group ON logs_events (group_id, timestamp, id);`,
];

export interface Scope {
  accountId: string;
  region: string;
}

export interface GroupRow {
  id: number;
  account_id: string;
  region: string;
  name: string;
  creation_time: number;
  retention_days: number | null;
  kms_key_id: string | null;
  log_group_class: string;
  deletion_protection: number;
  tags: string;
  stored_bytes: number;
  last_event_id: number;
}

export interface StreamRow {
  id: number;
  group_id: number;
  name: string;
  creation_time: number;
  first_event_ts: number | null;
  last_event_ts: number | null;
  last_ingestion_time: number | null;
  upload_seq: number;
}

export interface EventRow {
  id: number;
  stream_id: number;
  timestamp: number;
  ingestion_time: number;
  message: string;
}

/** A position in (timestamp, id) order. */
export interface EventKey {
  timestamp: number;
  id: number;
}

export interface NewEvent {
  timestamp: number;
  message: string;
}

export type LogsStore = ReturnType<typeof createLogsStore>;

export function createLogsStore(db: Db) {
  migrate(db, 'logs', MIGRATIONS);

  // Queries whose WHERE clause varies, prepared once per shape.
  const cache = new Map<string, Statement<unknown[]>>();
  const stmt = (sql: string): Statement<unknown[]> => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare<unknown[]>(sql);
      cache.set(sql, s);
    }
    return s;
  };

  const s = {
    getGroup: db.prepare('SELECT * FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?'),
    insertGroup: db.prepare(
      `INSERT INTO logs_groups (account_id, region, name, creation_time, kms_key_id, log_group_class, deletion_protection, tags)
       VALUES (@accountId, @region, @name, @creationTime, @kmsKeyId, @logGroupClass, @deletionProtection, @tags)
       ON CONFLICT DO NOTHING`,
    ),
    deleteGroup: db.prepare('DELETE FROM logs_groups WHERE id = ?'),
    deleteGroupEvents: db.prepare('DELETE FROM logs_events WHERE group_id = ?'),
    setRetention: db.prepare('UPDATE logs_groups SET retention_days = ? WHERE id = ?'),
    setTags: db.prepare('UPDATE logs_groups SET tags = ? WHERE id = ?'),
    addGroupWrite: db.prepare(
      'UPDATE logs_groups SET stored_bytes = stored_bytes + ?, last_event_id = MAX(last_event_id, ?) WHERE id = ?',
    ),
    getStream: db.prepare('SELECT * FROM logs_streams WHERE group_id = ? AND name = ?'),
    insertStream: db.prepare(
      'INSERT INTO logs_streams (group_id, name, creation_time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    deleteStream: db.prepare('DELETE FROM logs_streams WHERE id = ?'),
    streamBytes: db
      .prepare('SELECT COALESCE(SUM(length(CAST(message AS BLOB))), 0) FROM logs_events WHERE stream_id = ?')
      .pluck(),
    deleteStreamEvents: db.prepare('DELETE FROM logs_events WHERE stream_id = ?'),
    addStreamWrite: db.prepare(
      `UPDATE logs_streams SET
         first_event_ts = MIN(COALESCE(first_event_ts, @first), @first),
         last_event_ts = MAX(COALESCE(last_event_ts, @last), @last),
         last_ingestion_time = @ingestion,
         upload_seq = upload_seq + 1
       WHERE id = @id`,
    ),
    insertEvent: db.prepare(
      'INSERT INTO logs_events (group_id, stream_id, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?, ?)',
    ),
    groupsWithRetention: db.prepare(
      'SELECT id, retention_days FROM logs_groups WHERE retention_days IS NOT NULL',
    ),
    expiredBatch: db.prepare(
      `SELECT id, length(CAST(message AS BLOB)) AS bytes FROM logs_events
       WHERE group_id = ? AND timestamp < ? ORDER BY timestamp LIMIT ?`,
    ),
    deleteEvent: db.prepare('DELETE FROM logs_events WHERE id = ?'),
    subtractBytes: db.prepare('UPDATE logs_groups SET stored_bytes = MAX(0, stored_bytes - ?) WHERE id = ?'),
    totalStoredBytes: db.prepare('SELECT COALESCE(SUM(stored_bytes), 0) FROM logs_groups').pluck(),
    maxEventId: db
      .prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'logs_events'), 0)")
      .pluck(),
  };

  /** Inserts events (any order) into one stream; returns the highest new event id. */
  function insertInto(
    group: GroupRow,
    stream: StreamRow,
    events: readonly NewEvent[],
    ingestionTime: number,
  ): number {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let bytes = 0;
    let lastId = 0;
    for (const e of events) {
      lastId = Number(
        s.insertEvent.run(group.id, stream.id, e.timestamp, ingestionTime, e.message).lastInsertRowid,
      );
      if (e.timestamp < first) first = e.timestamp;
      if (e.timestamp > last) last = e.timestamp;
      bytes += Buffer.byteLength(e.message, 'utf8');
    }
    if (events.length === 0) return 0;
    s.addStreamWrite.run({ id: stream.id, first, last, ingestion: ingestionTime });
    s.addGroupWrite.run(bytes, lastId, group.id);
    return lastId;
  }

  const ensureGroup = (sc: Scope, name: string, now: number): GroupRow => {
    s.insertGroup.run({
      accountId: sc.accountId,
      region: sc.region,
      name,
      creationTime: now,
      kmsKeyId: null,
      logGroupClass: 'STANDARD',
      deletionProtection: 0,
      tags: '{}',
    });
    return s.getGroup.get(sc.accountId, sc.region, name) as GroupRow;
  };

  const ensureStream = (group: GroupRow, name: string, now: number): StreamRow => {
    s.insertStream.run(group.id, name, now);
    return s.getStream.get(group.id, name) as StreamRow;
  };

  return {
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),

    getGroup: (sc: Scope, name: string): GroupRow | undefined =>
      s.getGroup.get(sc.accountId, sc.region, name) as GroupRow | undefined,

    /** Creates a group; false when one of that name already exists. */
    createGroup(
      sc: Scope,
      g: {
        name: string;
        creationTime: number;
        kmsKeyId?: string;
        logGroupClass: string;
        deletionProtection: boolean;
        tags: Record<string, string>;
      },
    ): boolean {
      const info = s.insertGroup.run({
        accountId: sc.accountId,
        region: sc.region,
        name: g.name,
        creationTime: g.creationTime,
        kmsKeyId: g.kmsKeyId ?? null,
        logGroupClass: g.logGroupClass,
        deletionProtection: g.deletionProtection ? 1 : 0,
        tags: JSON.stringify(g.tags),
      });
      return info.changes === 1;
    },

    /** Deletes a group with its streams and events. */
    deleteGroup: db.transaction((group: GroupRow): void => {
      s.deleteGroupEvents.run(group.id);
      s.deleteGroup.run(group.id);
    }),

    listGroups(
      sc: Scope,
      q: {
        prefix?: string;
        pattern?: string;
        names?: readonly string[];
        logGroupClass?: string;
        after?: string;
        limit: number;
      },
    ): GroupRow[] {
      const where = ['account_id = @account', 'region = @region'];
      const params: Record<string, unknown> = { account: sc.accountId, region: sc.region, limit: q.limit };
      if (q.prefix !== undefined) {
        // A range on the unique index instead of LIKE, whose wildcards a name may contain.
        where.push('name >= @prefix AND substr(name, 1, @prefixLength) = @prefix');
        params.prefix = q.prefix;
        params.prefixLength = q.prefix.length;
      }
      if (q.pattern !== undefined) {
        where.push('instr(lower(name), lower(@pattern)) > 0');
        params.pattern = q.pattern;
      }
      if (q.names !== undefined) {
        where.push('name IN (SELECT value FROM json_each(@names))');
        params.names = JSON.stringify(q.names);
      }
      if (q.logGroupClass !== undefined) {
        where.push('log_group_class = @class');
        params.class = q.logGroupClass;
      }
      if (q.after !== undefined) {
        where.push('name > @after');
        params.after = q.after;
      }
      return stmt(`SELECT * FROM logs_groups WHERE ${where.join(' AND ')} ORDER BY name LIMIT @limit`).all(
        params,
      ) as GroupRow[];
    },

    setRetention: (group: GroupRow, days: number | null): void => {
      s.setRetention.run(days, group.id);
    },
    setTags: (group: GroupRow, tags: Record<string, string>): void => {
      s.setTags.run(JSON.stringify(tags), group.id);
    },

    getStream: (group: GroupRow, name: string): StreamRow | undefined =>
      s.getStream.get(group.id, name) as StreamRow | undefined,

    /** Creates a stream; false when one of that name already exists. */
    createStream: (group: GroupRow, name: string, creationTime: number): boolean =>
      s.insertStream.run(group.id, name, creationTime).changes === 1,

    deleteStream: db.transaction((stream: StreamRow): void => {
      const bytes = s.streamBytes.get(stream.id) as number;
      s.deleteStreamEvents.run(stream.id);
      s.deleteStream.run(stream.id);
      s.subtractBytes.run(bytes, stream.group_id);
    }),

    listStreams(
      group: GroupRow,
      q: {
        prefix?: string;
        orderBy: 'LogStreamName' | 'LastEventTime';
        descending: boolean;
        after?: { name: string; lastEventTs?: number };
        limit: number;
      },
    ): StreamRow[] {
      const where = ['group_id = @group'];
      const params: Record<string, unknown> = { group: group.id, limit: q.limit };
      const dir = q.descending ? 'DESC' : 'ASC';
      const cmp = q.descending ? '<' : '>';
      if (q.prefix !== undefined) {
        where.push('name >= @prefix AND substr(name, 1, @prefixLength) = @prefix');
        params.prefix = q.prefix;
        params.prefixLength = q.prefix.length;
      }
      let order: string;
      if (q.orderBy === 'LastEventTime') {
        // Streams without events sort as the oldest.
        order = `COALESCE(last_event_ts, -1) ${dir}, name ${dir}`;
        if (q.after) {
          where.push(`(COALESCE(last_event_ts, -1), name) ${cmp} (@afterTs, @afterName)`);
          params.afterTs = q.after.lastEventTs ?? -1;
          params.afterName = q.after.name;
        }
      } else {
        order = `name ${dir}`;
        if (q.after) {
          where.push(`name ${cmp} @afterName`);
          params.afterName = q.after.name;
        }
      }
      return stmt(
        `SELECT * FROM logs_streams WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT @limit`,
      ).all(params) as StreamRow[];
    },

    streamsByIds(ids: readonly number[]): Map<number, StreamRow> {
      if (ids.length === 0) return new Map();
      const rows = stmt('SELECT * FROM logs_streams WHERE id IN (SELECT value FROM json_each(?))').all(
        JSON.stringify(ids),
      ) as StreamRow[];
      return new Map(rows.map((r) => [r.id, r]));
    },

    /** Stream ids of a group whose names are listed or start with a prefix. */
    streamIdsOf(group: GroupRow, q: { names?: readonly string[]; prefix?: string }): number[] {
      if (q.names) {
        return stmt(
          'SELECT id FROM logs_streams WHERE group_id = ? AND name IN (SELECT value FROM json_each(?))',
        )
          .pluck()
          .all(group.id, JSON.stringify(q.names)) as number[];
      }
      const prefix = q.prefix ?? '';
      return stmt('SELECT id FROM logs_streams WHERE group_id = ? AND name >= ? AND substr(name, 1, ?) = ?')
        .pluck()
        .all(group.id, prefix, prefix.length, prefix) as number[];
    },

    /** Appends to an existing stream, in one transaction; returns the highest new event id. */
    putEvents: db.transaction(
      (group: GroupRow, stream: StreamRow, events: readonly NewEvent[], ingestionTime: number): number =>
        insertInto(group, stream, events, ingestionTime),
    ),

    /**
     * Appends batches to streams created on demand (with their groups), all in one
     * transaction: the internal API's group commit. Returns the affected group rows.
     */
    appendBatches: db.transaction(
      (
        batches: ReadonlyArray<{ scope: Scope; group: string; stream: string; events: readonly NewEvent[] }>,
        now: number,
      ): GroupRow[] => {
        const touched = new Map<number, GroupRow>();
        for (const b of batches) {
          const group = ensureGroup(b.scope, b.group, now);
          const stream = ensureStream(group, b.stream, now);
          insertInto(group, stream, b.events, now);
          touched.set(group.id, group);
        }
        return [...touched.values()];
      },
    ),

    /**
     * One page of events in (timestamp, id) order, from an index range: `forward` reads keys
     * above `after` ascending, otherwise keys below `before` descending. `streamIds` limits to
     * streams (one stream uses its own index); `contains` are substrings every row must hold.
     */
    scanEvents(q: {
      groupId: number;
      streamIds?: readonly number[];
      startTime?: number;
      endTime?: number;
      forward: boolean;
      from?: EventKey;
      contains?: readonly string[];
      limit: number;
    }): EventRow[] {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: q.limit };
      if (q.streamIds && q.streamIds.length === 1) {
        where.push('stream_id = @stream');
        params.stream = q.streamIds[0];
      } else {
        where.push('group_id = @group');
        params.group = q.groupId;
        if (q.streamIds) {
          where.push('stream_id IN (SELECT value FROM json_each(@streams))');
          params.streams = JSON.stringify(q.streamIds);
        }
      }
      if (q.startTime !== undefined) {
        where.push('timestamp >= @start');
        params.start = q.startTime;
      }
      if (q.endTime !== undefined) {
        where.push('timestamp <= @end');
        params.end = q.endTime;
      }
      if (q.from) {
        where.push(
          q.forward ? '(timestamp, id) > (@fromTs, @fromId)' : '(timestamp, id) < (@fromTs, @fromId)',
        );
        params.fromTs = q.from.timestamp;
        params.fromId = q.from.id;
      }
      (q.contains ?? []).forEach((text, i) => {
        where.push(`instr(message, @c${i}) > 0`);
        params[`c${i}`] = text;
      });
      const dir = q.forward ? 'ASC' : 'DESC';
      return stmt(
        `SELECT id, stream_id, timestamp, ingestion_time, message FROM logs_events WHERE ${where.join(' AND ')}
         ORDER BY timestamp ${dir}, id ${dir} LIMIT @limit`,
      ).all(params) as EventRow[];
    },

    /**
     * Events of a group ingested after `afterId`, in ingestion order (live tails): a rowid
     * range, never a scan of the whole group (`+group_id` keeps the planner off its index).
     */
    eventsAfter(groupId: number, afterId: number, limit: number): EventRow[] {
      return stmt(
        `SELECT id, stream_id, timestamp, ingestion_time, message FROM logs_events
         WHERE id > ? AND +group_id = ? ORDER BY id LIMIT ?`,
      ).all(afterId, groupId, limit) as EventRow[];
    },

    maxEventId: (): number => s.maxEventId.get() as number,
    /** The sum of every group's stored bytes (one row per group: cheap). */
    totalStoredBytes: (): number => s.totalStoredBytes.get() as number,

    /** Deletes up to `budget` events older than each group's retention; returns how many. */
    sweepExpired(now: number, budget: number): number {
      let deleted = 0;
      for (const g of s.groupsWithRetention.all() as Array<{ id: number; retention_days: number }>) {
        const cutoff = now - g.retention_days * 86_400_000;
        while (deleted < budget) {
          const n = db.transaction(() => {
            const rows = s.expiredBatch.all(g.id, cutoff, Math.min(2000, budget - deleted)) as Array<{
              id: number;
              bytes: number;
            }>;
            let bytes = 0;
            for (const r of rows) {
              s.deleteEvent.run(r.id);
              bytes += r.bytes;
            }
            if (bytes) s.subtractBytes.run(bytes, g.id);
            return rows.length;
          })();
          deleted += n;
          if (n === 0) break;
        }
      }
      return deleted;
    },
  };
}
