/**
 * The in-process metrics registry. The hot path (`record`) touches only memory: it adds a
 * value to its series' aggregate of the current minute (count, sum, min, max, a log
 * histogram for percentiles). Closed minutes — and, every `flushMs`, what the open minute
 * gathered since the last flush — are written to SQLite in one transaction by a timer, off
 * the invocation path; rows merge on write, so partial minutes add up. Readers flush first,
 * so a query sees everything recorded before it. Minutes older than the retention (AWS keeps
 * 1-minute data for 15 days) are deleted by a periodic sweep.
 */

import type { Logger } from '../shared/logger.js';
import type { Db } from '../storage/db.js';
import { LogHistogram } from './histogram.js';
import {
  createMetricsStore,
  type MetricId,
  type MetricsStore,
  type MinuteAggregate,
  type StoredMinute,
} from './store.js';

export const DAY_SECONDS = 86_400;
/** AWS keeps 1-minute (standard resolution) data points for 15 days. */
export const DEFAULT_RETENTION_DAYS = 15;
/** ListMetrics shows metrics that had data in the last two weeks, as AWS does. */
export const LIST_WINDOW_SECONDS = 14 * DAY_SECONDS;

/** One series' accumulator for the current minute; held by emitters to skip lookups. */
export interface Series {
  readonly id: MetricId;
  readonly unit: string;
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /**
   * The minute's distribution; null for series whose values are only 0 or 1 (Invocations,
   * Errors, Throttles), whose distribution is exact from count and sum and costs nothing.
   */
  hist: LogHistogram | null;
  /** Last time anything was recorded (epoch ms), for dropping idle series from memory. */
  touchedAt: number;
}

export interface MetricsRegistryOptions {
  db: Db;
  logger: Logger;
  /** Epoch milliseconds; tests inject a clock. */
  clock?: () => number;
  flushMs?: number;
  retentionDays?: number;
  sweepMs?: number;
}

export interface MetricsRegistry {
  /** The accumulator of a series (created on first use); `binary`: values are only 0 or 1. */
  series(id: MetricId, unit: string, options?: { binary?: boolean }): Series;
  /** Adds one value to a series at `nowMs` (default: the clock). */
  record(series: Series, value: number, nowMs?: number): void;
  /**
   * Adds a pre-aggregated minute (PutMetricData): goes to the store on the next flush.
   * `hist` is absent for statistic sets, whose values are not known one by one.
   */
  add(aggregate: MinuteAggregate): void;
  /** Writes everything recorded so far; returns the number of rows written. */
  flush(): number;
  /** Calls `sampler` at the start of every flush (gauges sample their level then). */
  onFlush(sampler: () => void): void;
  /** Stored minutes of a series in [fromSec, toSec), after a flush. */
  read(id: MetricId, fromSec: number, toSec: number, unit?: string): StoredMinute[];
  /** Distinct metrics with data in the last two weeks, after a flush. */
  list(
    accountId: string,
    region: string,
    filter: { namespace?: string; metricName?: string },
  ): Array<{ namespace: string; metricName: string; dims: string }>;
  /** Deletes minutes past the retention; returns how many. */
  sweep(): number;
  readonly clock: () => number;
  close(): void;
}

const IDLE_SERIES_MS = 15 * 60_000;

export function createMetricsRegistry(o: MetricsRegistryOptions): MetricsRegistry {
  const clock = o.clock ?? Date.now;
  const store: MetricsStore = createMetricsStore(o.db);
  const series = new Map<string, Series>();
  let pending: MinuteAggregate[] = [];
  let closed = false;
  const samplers: Array<() => void> = [];

  const snapshot = (s: Series): MinuteAggregate => ({
    ...s.id,
    unit: s.unit,
    minute: s.minute,
    count: s.count,
    sum: s.sum,
    min: s.min,
    max: s.max,
    hist: s.hist ?? binaryHistogram(s.count, s.sum),
  });
  const reset = (s: Series, minute: number) => {
    s.minute = minute;
    s.count = 0;
    s.sum = 0;
    s.min = Number.POSITIVE_INFINITY;
    s.max = Number.NEGATIVE_INFINITY;
    if (s.hist) s.hist = new LogHistogram();
  };

  function flush(): number {
    for (const sample of samplers) sample();
    const now = clock();
    for (const [key, s] of series) {
      if (s.count > 0) {
        pending.push(snapshot(s));
        reset(s, s.minute);
      } else if (now - s.touchedAt > IDLE_SERIES_MS) {
        series.delete(key);
      }
    }
    if (!pending.length) return 0;
    const rows = pending;
    pending = [];
    try {
      store.write(rows);
    } catch (err) {
      // Kept for the next flush rather than lost (a busy database, a full disk).
      pending = rows.concat(pending);
      o.logger.error('metrics: writing metric minutes failed', err);
      return 0;
    }
    return rows.length;
  }

  function sweep(): number {
    try {
      return store.deleteBefore(
        Math.floor(clock() / 1000) - (o.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_SECONDS,
      );
    } catch (err) {
      o.logger.error('metrics: retention sweep failed', err);
      return 0;
    }
  }

  const flushTimer = setInterval(flush, o.flushMs ?? 5_000);
  flushTimer.unref();
  const sweepTimer = setInterval(sweep, o.sweepMs ?? 3_600_000);
  sweepTimer.unref();

  return {
    clock,
    series(id, unit, options) {
      const key = `${id.accountId}\u0000${id.region}\u0000${id.namespace}\u0000${id.metricName}\u0000${id.dims}\u0000${unit}`;
      let s = series.get(key);
      if (!s) {
        s = {
          id,
          unit,
          minute: 0,
          count: 0,
          sum: 0,
          min: Number.POSITIVE_INFINITY,
          max: Number.NEGATIVE_INFINITY,
          hist: options?.binary ? null : new LogHistogram(),
          touchedAt: 0,
        };
        series.set(key, s);
      }
      return s;
    },
    record(s, value, nowMs = clock()) {
      const minute = Math.floor(nowMs / 60_000) * 60;
      if (minute !== s.minute) {
        if (s.count > 0) pending.push(snapshot(s));
        reset(s, minute);
      }
      s.touchedAt = nowMs;
      s.count++;
      s.sum += value;
      if (value < s.min) s.min = value;
      if (value > s.max) s.max = value;
      s.hist?.add(value);
    },
    add(aggregate) {
      pending.push(aggregate);
    },
    flush,
    onFlush: (sampler) => {
      samplers.push(sampler);
    },
    read(id, fromSec, toSec, unit) {
      flush();
      return store.read(id, fromSec, toSec, unit);
    },
    list(accountId, region, filter) {
      flush();
      return store.list(accountId, region, Math.floor(clock() / 1000) - LIST_WINDOW_SECONDS, filter);
    },
    sweep,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(flushTimer);
      clearInterval(sweepTimer);
      flush();
    },
  };
}

function binaryHistogram(count: number, ones: number): LogHistogram {
  const h = new LogHistogram();
  if (count - ones > 0) h.add(0, count - ones);
  if (ones > 0) h.add(1, ones);
  return h;
}
