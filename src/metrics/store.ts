/**
 * Metric minutes in SQLite: one row per series (account, region, namespace, metric name,
 * dimensions, unit) and minute, holding SampleCount/Sum/Minimum/Maximum and the minute's
 * percentile histogram (absent for minutes that came as PutMetricData StatisticValues, which
 * carry no distribution). Rows are merged on write, so a minute written in several batches
 * (a flush every few seconds, PutMetricData for the same minute, a restart) adds up.
 */
import { type Db, migrate } from '../storage/db.js';
import { LogHistogram } from './histogram.js';

const MIGRATIONS = [
  `CREATE TABLE metric_minutes (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    namespace TEXT NOT NULL,
    metric TEXT NOT NULL,
    dims TEXT NOT NULL,
    unit TEXT NOT NULL,
    minute INTEGER NOT NULL,
    count REAL NOT NULL,
    sum REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    hist TEXT,
    PRIMARY KEY (account, region, namespace, metric, dims, unit, minute)
  ) WITHOUT ROWID;
  CREATE INDEX metric_minutes_by_minute ON metric_minutes (minute);`,
];

/** A series without its unit: what GetMetricStatistics and ListMetrics name. */
export interface MetricId {
  accountId: string;
  region: string;
  namespace: string;
  metricName: string;
  /** Canonical dimensions: JSON of [name, value] pairs sorted by name (see `canonicalDims`). */
  dims: string;
}

/** One minute of a series, as stored. */
export interface StoredMinute {
  unit: string;
  /** Epoch seconds, a multiple of 60. */
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Undefined when the values are not known one by one (statistic sets). */
  hist: LogHistogram | undefined;
}

/** One series' aggregate over one minute (or the part of it not yet written). */
export interface MinuteAggregate extends MetricId, StoredMinute {}

interface Row {
  unit: string;
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  hist: string | null;
}

export interface MetricsStore {
  write(rows: readonly MinuteAggregate[]): void;
  read(id: MetricId, fromSec: number, toSec: number, unit?: string): StoredMinute[];
  list(
    accountId: string,
    region: string,
    sinceSec: number,
    filter: { namespace?: string; metricName?: string },
  ): Array<{ namespace: string; metricName: string; dims: string }>;
  /** Deletes minutes before `beforeSec`; returns how many. */
  deleteBefore(beforeSec: number): number;
}

export function canonicalDims(dims: ReadonlyArray<{ Name: string; Value: string }>): string {
  const sorted = [...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return JSON.stringify(sorted.map((d) => [d.Name, d.Value]));
}

export function parseDims(dims: string): Array<{ Name: string; Value: string }> {
  return (JSON.parse(dims) as Array<[string, string]>).map(([Name, Value]) => ({ Name, Value }));
}

export function createMetricsStore(db: Db): MetricsStore {
  migrate(db, 'metrics', MIGRATIONS);
  const key = 'account = ? AND region = ? AND namespace = ? AND metric = ? AND dims = ?';
  const getOne = db.prepare<unknown[], Row>(
    `SELECT unit, minute, count, sum, min, max, hist FROM metric_minutes WHERE ${key} AND unit = ? AND minute = ?`,
  );
  const upsert = db.prepare(
    `INSERT OR REPLACE INTO metric_minutes (account, region, namespace, metric, dims, unit, minute, count, sum, min, max, hist)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const readAll = db.prepare<unknown[], Row>(
    `SELECT unit, minute, count, sum, min, max, hist FROM metric_minutes WHERE ${key} AND minute >= ? AND minute < ? ORDER BY minute`,
  );
  const readUnit = db.prepare<unknown[], Row>(
    `SELECT unit, minute, count, sum, min, max, hist FROM metric_minutes WHERE ${key} AND unit = ? AND minute >= ? AND minute < ? ORDER BY minute`,
  );
  const del = db.prepare('DELETE FROM metric_minutes WHERE minute < ?');

  const write = db.transaction((rows: readonly MinuteAggregate[]) => {
    for (const r of rows) {
      const ids = [r.accountId, r.region, r.namespace, r.metricName, r.dims];
      const old = getOne.get(...ids, r.unit, r.minute);
      let { count, sum, min, max } = r;
      let hist = r.hist;
      if (old) {
        count += old.count;
        sum += old.sum;
        min = Math.min(min, old.min);
        max = Math.max(max, old.max);
        // A minute is ranked only if every part of it was: otherwise percentiles would lie.
        if (hist && old.hist) {
          const merged = LogHistogram.fromJSON(JSON.parse(old.hist));
          merged.merge(hist);
          hist = merged;
        } else {
          hist = undefined;
        }
      }
      upsert.run(...ids, r.unit, r.minute, count, sum, min, max, hist ? JSON.stringify(hist) : null);
    }
  });

  return {
    write: (rows) => {
      if (rows.length) write(rows);
    },
    read(id, fromSec, toSec, unit) {
      const ids = [id.accountId, id.region, id.namespace, id.metricName, id.dims];
      const rows =
        unit === undefined ? readAll.all(...ids, fromSec, toSec) : readUnit.all(...ids, unit, fromSec, toSec);
      return rows.map((r) => ({
        unit: r.unit,
        minute: r.minute,
        count: r.count,
        sum: r.sum,
        min: r.min,
        max: r.max,
        hist: r.hist ? LogHistogram.fromJSON(JSON.parse(r.hist)) : undefined,
      }));
    },
    list(accountId, region, sinceSec, filter) {
      const where = ['account = ?', 'region = ?', 'minute >= ?'];
      const args: unknown[] = [accountId, region, sinceSec];
      if (filter.namespace !== undefined) {
        where.push('namespace = ?');
        args.push(filter.namespace);
      }
      if (filter.metricName !== undefined) {
        where.push('metric = ?');
        args.push(filter.metricName);
      }
      return db
        .prepare<unknown[], { namespace: string; metric: string; dims: string }>(
          `SELECT DISTINCT namespace, metric, dims FROM metric_minutes WHERE ${where.join(' AND ')} ORDER BY namespace, metric, dims`,
        )
        .all(...args)
        .map((r) => ({ namespace: r.namespace, metricName: r.metric, dims: r.dims }));
    },
    deleteBefore: (beforeSec) => del.run(beforeSec).changes,
  };
}
