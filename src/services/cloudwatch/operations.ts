/**
 * CloudWatch's metric operations: GetMetricStatistics, GetMetricData, ListMetrics and
 * PutMetricData over the metrics registry. Validation follows AWS's order and words where
 * known (see docs/parity/cloudwatch.md for the ones chosen where AWS's are not known).
 */

import { LogHistogram } from '../../metrics/histogram.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { canonicalDims, type MetricId, parseDims } from '../../metrics/store.js';
import type { Operation, RequestContext } from '../../protocols/types.js';
import { ValidationException } from '../../shared/errors.js';
import { combination, InvalidNextToken, invalid, missing, RequestEntityTooLarge } from './errors.js';
import * as S from './shapes.js';
import { aggregate, isBasic, percentileOf, statistic, validPeriod } from './statistics.js';

const HTTP = { method: 'POST', path: '/', status: 200 } as const;
const MAX_DATAPOINTS_STATISTICS = 1440;
const MAX_DATAPOINTS_DATA = 100_800;
const LIST_PAGE = 500;
const PUT_MAX_BYTES = 1024 * 1024;
const TWO_WEEKS_MS = 14 * 86_400_000;
const TWO_HOURS_MS = 2 * 3_600_000;

type Dim = { Name: string; Value: string };
type Input = Record<string, unknown>;

/** A timestamp as the protocols deliver it: Date (query), epoch seconds (JSON) or ISO text. */
export function epochMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v * 1000;
  return Date.parse(String(v));
}

const pageToken = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64');
function readToken(token: unknown): number | undefined {
  if (token === undefined) return 0;
  try {
    const o = (JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { o?: unknown }).o;
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Start rounded down to the minute (our resolution); the number of periods in [start, end). */
function window(startMs: number, endMs: number, period: number) {
  const start = Math.floor(startMs / 60_000) * 60;
  const end = Math.ceil(endMs / 1000);
  return { start, end, datapoints: Math.ceil((end - start) / period) };
}

export function metricOperations(registry: MetricsRegistry): Operation[] {
  const metricId = (
    ctx: RequestContext,
    namespace: string,
    name: string,
    dims: Dim[] | undefined,
  ): MetricId => ({
    accountId: ctx.accountId,
    region: ctx.region,
    namespace,
    metricName: name,
    dims: canonicalDims(dims ?? []),
  });

  const getMetricStatistics: Operation = {
    name: 'GetMetricStatistics',
    http: HTTP,
    input: S.getMetricStatisticsInput,
    outputShape: S.getMetricStatisticsOutput,
    handler(input: Input, ctx) {
      for (const p of ['Namespace', 'MetricName', 'StartTime', 'EndTime', 'Period']) {
        if (input[p] === undefined) throw missing(p);
      }
      const startMs = epochMs(input.StartTime);
      const endMs = epochMs(input.EndTime);
      const period = input.Period as number;
      const stats = (input.Statistics as string[] | undefined) ?? [];
      const extended = (input.ExtendedStatistics as string[] | undefined) ?? [];
      if (!(startMs < endMs))
        throw invalid('The parameter StartTime must be less than the parameter EndTime.');
      if (!validPeriod(period)) {
        throw invalid(
          'The parameter Period must be a value in the set [1, 5, 10, 20, 30] or a multiple of 60.',
        );
      }
      const w = window(startMs, endMs, period);
      if (w.datapoints > MAX_DATAPOINTS_STATISTICS) {
        throw combination(
          `You have requested up to ${w.datapoints} datapoints, which exceeds the limit of ${MAX_DATAPOINTS_STATISTICS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
        );
      }
      if (!stats.length && !extended.length)
        throw combination('Must specify either Statistics or ExtendedStatistics');
      stats.forEach((s, i) => {
        if (!isBasic(s)) {
          throw invalid(
            `The parameter Statistics.member.${i + 1}.<list element> must be a value in the set [SampleCount, Average, Sum, Minimum, Maximum].`,
          );
        }
      });
      extended.forEach((s, i) => {
        if (percentileOf(s) === undefined) {
          throw invalid(
            `The value ${s} for parameter ExtendedStatistics.member.${i + 1}.<list element> is not supported.`,
          );
        }
      });
      const id = metricId(
        ctx,
        input.Namespace as string,
        input.MetricName as string,
        input.Dimensions as Dim[],
      );
      const minutes = registry.read(id, w.start, w.end, input.Unit as string | undefined);
      const Datapoints = aggregate(minutes, w.start, period).map((g) => {
        const point: Record<string, unknown> = { Timestamp: new Date(g.start * 1000) };
        for (const s of stats) point[s] = statistic(g, s);
        point.Unit = g.unit;
        if (extended.length) {
          const values: Record<string, number> = {};
          for (const s of extended) {
            const v = statistic(g, s);
            if (v !== undefined) values[s] = v;
          }
          point.ExtendedStatistics = values;
        }
        return point;
      });
      return { Label: input.MetricName, Datapoints };
    },
  };

  const getMetricData: Operation = {
    name: 'GetMetricData',
    http: HTTP,
    input: S.getMetricDataInput,
    outputShape: S.getMetricDataOutput,
    handler(input: Input, ctx) {
      const queries = input.MetricDataQueries as Input[] | undefined;
      if (queries === undefined) throw missing('MetricDataQueries');
      if (input.StartTime === undefined) throw missing('StartTime');
      if (input.EndTime === undefined) throw missing('EndTime');
      const startMs = epochMs(input.StartTime);
      const endMs = epochMs(input.EndTime);
      if (!(startMs < endMs))
        throw invalid('The parameter StartTime must be less than the parameter EndTime.');
      if (queries.length > 500)
        throw invalid('The collection MetricDataQueries must not have a size greater than 500.');
      const seen = new Set<string>();
      queries.forEach((q, i) => {
        const at = `MetricDataQueries.member.${i + 1}`;
        const id = q.Id as string | undefined;
        if (id === undefined) throw missing(`${at}.Id`);
        if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) {
          throw new ValidationException(
            `The value ${id} for parameter ${at}.Id is invalid. Id must start with a lowercase letter and contain only letters, numbers and underscores.`,
          );
        }
        if (seen.has(id))
          throw new ValidationException(`The value ${id} for field MetricDataQueries.Id must be unique.`);
        seen.add(id);
        if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
          throw new ValidationException(
            `The parameter ${at} must contain either Expression or MetricStat, but not both.`,
          );
        }
        if (q.Expression !== undefined) {
          throw new ValidationException(
            `Error in expression '${id}': metric math and Metrics Insights expressions are not supported.`,
          );
        }
        const stat = q.MetricStat as Input;
        const metric = stat.Metric as Input | undefined;
        if (metric === undefined) throw missing(`${at}.MetricStat.Metric`);
        if (metric.Namespace === undefined) throw missing(`${at}.MetricStat.Metric.Namespace`);
        if (metric.MetricName === undefined) throw missing(`${at}.MetricStat.Metric.MetricName`);
        if (stat.Period === undefined) throw missing(`${at}.MetricStat.Period`);
        if (stat.Stat === undefined) throw missing(`${at}.MetricStat.Stat`);
        if (!validPeriod(stat.Period as number)) {
          throw invalid(
            `The parameter ${at}.MetricStat.Period must be a value in the set [1, 5, 10, 20, 30] or a multiple of 60.`,
          );
        }
        const s = stat.Stat as string;
        if (!isBasic(s) && percentileOf(s) === undefined) {
          throw invalid(`The value ${s} for parameter ${at}.MetricStat.Stat is not supported.`);
        }
      });
      const limit = (input.MaxDatapoints as number | undefined) ?? MAX_DATAPOINTS_DATA;
      const offset = readToken(input.NextToken);
      if (offset === undefined) throw new InvalidNextToken('The service returned an invalid next token.');
      const descending = input.ScanBy !== 'TimestampAscending';

      // All points of every returned query, in order; a page is a window over them.
      const results = queries
        .filter((q) => q.ReturnData !== false)
        .map((q) => {
          const stat = q.MetricStat as Input;
          const metric = stat.Metric as Input;
          const period = stat.Period as number;
          const w = window(startMs, endMs, period);
          const id = metricId(
            ctx,
            metric.Namespace as string,
            metric.MetricName as string,
            metric.Dimensions as Dim[],
          );
          const groups = aggregate(
            registry.read(id, w.start, w.end, stat.Unit as string | undefined),
            w.start,
            period,
          );
          // Units apart only matter to GetMetricStatistics: a query's series is one line.
          const byStart = new Map<number, (typeof groups)[number][]>();
          for (const g of groups) byStart.set(g.start, [...(byStart.get(g.start) ?? []), g]);
          const points: Array<[number, number]> = [];
          for (const [start, gs] of byStart) {
            const merged = gs.slice(1).reduce(
              (a, b) => {
                a.count += b.count;
                a.sum += b.sum;
                a.min = Math.min(a.min, b.min);
                a.max = Math.max(a.max, b.max);
                a.hist = a.hist && b.hist ? mergeHist(a.hist, b.hist) : undefined;
                return a;
              },
              { ...(gs[0] as (typeof gs)[number]) },
            );
            const v = statistic(merged, stat.Stat as string);
            if (v !== undefined) points.push([start, v]);
          }
          points.sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
          return { q, points, label: (q.Label as string | undefined) ?? (metric.MetricName as string) };
        });

      let skip = offset;
      let room = limit;
      let next: number | undefined;
      const MetricDataResults = results.map(({ q, points, label }) => {
        const take = points.slice(Math.min(skip, points.length));
        skip = Math.max(0, skip - points.length);
        const page = take.slice(0, Math.max(0, room));
        room -= page.length;
        if (page.length < take.length && next === undefined) next = offset + (limit - room);
        return {
          Id: q.Id,
          Label: label,
          Timestamps: page.map(([t]) => new Date(t * 1000)),
          Values: page.map(([, v]) => v),
          StatusCode: page.length < take.length ? 'PartialData' : 'Complete',
        };
      });
      return {
        MetricDataResults,
        ...(next !== undefined ? { NextToken: pageToken(next) } : {}),
        Messages: [],
      };
    },
  };

  const listMetrics: Operation = {
    name: 'ListMetrics',
    http: HTTP,
    input: S.listMetricsInput,
    outputShape: S.listMetricsOutput,
    handler(input: Input, ctx) {
      const offset = readToken(input.NextToken);
      if (offset === undefined) throw invalid('The service returned an invalid next token.');
      const filters = (input.Dimensions as Array<{ Name?: string; Value?: string }> | undefined) ?? [];
      filters.forEach((f, i) => {
        if (f.Name === undefined) throw missing(`Dimensions.member.${i + 1}.Name`);
      });
      let metrics = registry.list(ctx.accountId, ctx.region, {
        ...(input.Namespace !== undefined ? { namespace: input.Namespace as string } : {}),
        ...(input.MetricName !== undefined ? { metricName: input.MetricName as string } : {}),
      });
      if (filters.length) {
        metrics = metrics.filter((m) => {
          const dims = parseDims(m.dims);
          return filters.every((f) =>
            dims.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
          );
        });
      }
      if (input.RecentlyActive === 'PT3H') {
        const since = Math.floor(registry.clock() / 1000) - 3 * 3600;
        metrics = metrics.filter((m) => {
          const id = {
            accountId: ctx.accountId,
            region: ctx.region,
            namespace: m.namespace,
            metricName: m.metricName,
            dims: m.dims,
          };
          return registry.read(id, since, Number.MAX_SAFE_INTEGER).length > 0;
        });
      }
      const page = metrics.slice(offset, offset + LIST_PAGE);
      return {
        Metrics: page.map((m) => ({
          Namespace: m.namespace,
          MetricName: m.metricName,
          Dimensions: parseDims(m.dims),
        })),
        ...(offset + LIST_PAGE < metrics.length ? { NextToken: pageToken(offset + LIST_PAGE) } : {}),
      };
    },
  };

  const putMetricData: Operation = {
    name: 'PutMetricData',
    http: HTTP,
    input: S.putMetricDataInput,
    maxRequestBytes: PUT_MAX_BYTES,
    handler(input: Input, ctx) {
      if (input.Namespace === undefined) throw missing('Namespace');
      const namespace = input.Namespace as string;
      if (namespace.startsWith('AWS/'))
        throw invalid(`The value ${namespace} for parameter Namespace is invalid.`);
      const data = input.MetricData as Input[] | undefined;
      if (data === undefined) throw missing('MetricData');
      if (data.length > 1000)
        throw invalid('The collection MetricData must not have a size greater than 1000.');
      const now = registry.clock();
      const rows = data.map((d, i) => {
        const at = `MetricData.member.${i + 1}`;
        if (d.MetricName === undefined) throw missing(`${at}.MetricName`);
        const has = (k: string) => d[k] !== undefined;
        if (has('Value') && has('Values')) {
          throw combination(
            `The parameters ${at}.Value and ${at}.Values are mutually exclusive and you have specified both.`,
          );
        }
        if (has('Value') && has('StatisticValues')) {
          throw combination(
            `The parameters ${at}.Value and ${at}.StatisticValues are mutually exclusive and you have specified both.`,
          );
        }
        const values = d.Values as number[] | undefined;
        const counts = d.Counts as number[] | undefined;
        if (values && counts && values.length !== counts.length) {
          throw invalid(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
        }
        const dims = (d.Dimensions as Array<{ Name?: string; Value?: string }> | undefined) ?? [];
        dims.forEach((dim, j) => {
          if (dim.Name === undefined) throw missing(`${at}.Dimensions.member.${j + 1}.Name`);
          if (dim.Value === undefined) throw missing(`${at}.Dimensions.member.${j + 1}.Value`);
        });
        const ts = d.Timestamp === undefined ? now : epochMs(d.Timestamp);
        if (ts < now - TWO_WEEKS_MS || ts > now + TWO_HOURS_MS) {
          throw invalid(
            `The parameter ${at}.Timestamp must specify a time no more than two weeks in the past or two hours in the future.`,
          );
        }
        const base = {
          ...metricId(ctx, namespace, d.MetricName as string, dims as Dim[]),
          unit: (d.Unit as string | undefined) ?? 'None',
          minute: Math.floor(ts / 60_000) * 60,
        };
        if (has('StatisticValues')) {
          const sv = d.StatisticValues as Record<string, number | undefined>;
          for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum']) {
            if (sv[k] === undefined) throw missing(`${at}.StatisticValues.${k}`);
          }
          const { SampleCount = 0, Sum = 0, Minimum = 0, Maximum = 0 } = sv;
          if (Minimum > Maximum) {
            throw invalid(
              `The parameter ${at}.StatisticValues.Maximum must be greater than ${at}.StatisticValues.Minimum.`,
            );
          }
          return { ...base, count: SampleCount, sum: Sum, min: Minimum, max: Maximum, hist: undefined };
        }
        const list = values ?? (has('Value') ? [d.Value as number] : undefined);
        if (!list) throw missing(`${at}.Value`);
        const hist = new LogHistogram();
        let count = 0;
        let sum = 0;
        let min = Number.POSITIVE_INFINITY;
        let max = Number.NEGATIVE_INFINITY;
        list.forEach((v, j) => {
          const c = counts?.[j] ?? 1;
          hist.add(v, c);
          count += c;
          sum += v * c;
          min = Math.min(min, v);
          max = Math.max(max, v);
        });
        return { ...base, count, sum, min, max, hist };
      });
      for (const r of rows) registry.add(r);
      // Durable before the caller hears success.
      registry.flush();
      return {};
    },
  };

  return [getMetricStatistics, getMetricData, listMetrics, putMetricData];
}

function mergeHist(a: LogHistogram, b: LogHistogram): LogHistogram {
  const h = new LogHistogram();
  h.merge(a);
  h.merge(b);
  return h;
}

export const tooLarge = (limit: number) => new RequestEntityTooLarge(`Request size exceeded ${limit} bytes`);
