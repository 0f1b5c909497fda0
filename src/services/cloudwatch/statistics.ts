/**
 * Statistics over stored metric minutes: grouping minutes into periods and answering
 * SampleCount, Sum, Average, Minimum, Maximum and percentiles (`p50`, `p99.9`).
 */
import { LogHistogram } from '../../metrics/histogram.js';
import type { StoredMinute } from '../../metrics/store.js';

export const BASIC_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type BasicStatistic = (typeof BASIC_STATISTICS)[number];

/** `pNN` or `pNN.N...` (0..100): the percentile, else undefined. */
export function percentileOf(stat: string): number | undefined {
  const m = /^p(\d{1,3}(\.\d{1,10})?)$/.exec(stat);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p >= 0 && p <= 100 ? p : undefined;
}

export function isBasic(stat: string): stat is BasicStatistic {
  return (BASIC_STATISTICS as readonly string[]).includes(stat);
}

/** Periods AWS accepts: 1, 5, 10, 20, 30 (high resolution) or any multiple of 60. */
export function validPeriod(p: number): boolean {
  return p === 1 || p === 5 || p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0);
}

export interface PeriodAggregate {
  /** Epoch seconds of the period's start. */
  start: number;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Undefined when some minute of the period has no distribution. */
  hist: LogHistogram | undefined;
}

/** Groups minutes into periods starting at `start`, apart by unit, in time order. */
export function aggregate(
  minutes: readonly StoredMinute[],
  start: number,
  period: number,
): PeriodAggregate[] {
  const groups = new Map<string, PeriodAggregate>();
  for (const m of minutes) {
    const at = start + Math.floor((m.minute - start) / period) * period;
    const key = `${at}\u0000${m.unit}`;
    let g = groups.get(key);
    if (!g) {
      g = { start: at, unit: m.unit, count: 0, sum: 0, min: m.min, max: m.max, hist: new LogHistogram() };
      groups.set(key, g);
    }
    g.count += m.count;
    g.sum += m.sum;
    g.min = Math.min(g.min, m.min);
    g.max = Math.max(g.max, m.max);
    if (g.hist && m.hist) g.hist.merge(m.hist);
    else g.hist = undefined;
  }
  return [...groups.values()].sort((a, b) => a.start - b.start || (a.unit < b.unit ? -1 : 1));
}

/** One statistic of a period; undefined where AWS gives no value (percentile without data). */
export function statistic(g: PeriodAggregate, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return g.count;
    case 'Sum':
      return g.sum;
    case 'Average':
      return g.count ? g.sum / g.count : undefined;
    case 'Minimum':
      return g.min;
    case 'Maximum':
      return g.max;
  }
  const p = percentileOf(stat);
  if (p === undefined || !g.hist) return undefined;
  return g.hist.percentile(p, g.min, g.max);
}
