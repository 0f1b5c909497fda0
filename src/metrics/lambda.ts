/**
 * Lambda's metrics (namespace AWS/Lambda), recorded from the invocation pipeline, with the
 * dimension sets AWS publishes them under:
 *   - none (the account's aggregate, per region),
 *   - FunctionName,
 *   - FunctionName + Resource (`name:qualifier`, when a version or alias was invoked),
 *   - FunctionName + Resource + ExecutedVersion (when an alias was invoked: the version it
 *     routed to), as in AWS's published metric dimension sets.
 * Invocations, Errors (0 or 1 per invocation, so SampleCount = invocations), Duration
 * (Milliseconds) and Throttles (Count, 1 per throttled request) come from `invocation()`;
 * ConcurrentExecutions (account and FunctionName) is a sample of the invocations in flight
 * taken as each one starts and at each flush while any run, so its Maximum per minute is
 * the peak and a minute of long invocations is not empty. AsyncEventAge,
 * AsyncEventsDropped and ProvisionedConcurrencyUtilization are plain methods for the async
 * queue and provisioned concurrency to call.
 *
 * Per invocation this costs one map lookup for the target's cached handle and a few additions
 * per dimension set: no I/O, no strings built.
 */
import type { MetricsRegistry, Series } from './registry.js';
import { canonicalDims } from './store.js';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

/** Duration histogram bounds for Prometheus, in seconds. */
export const DURATION_BUCKETS_SECONDS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
];

/** Metrics whose values are only 0 or 1 (their distribution is exact from count and sum). */
const BINARY = new Set(['Invocations', 'Errors', 'Throttles', 'AsyncEventsDropped']);

export interface InvokedTarget {
  accountId: string;
  region: string;
  name: string;
  /** The version that ran. */
  version: string;
  /** The ARN the caller used (its qualifier, if any, names the Resource). */
  arn: string;
}

/** Cumulative counters since the process started, for Prometheus. */
export interface PromSeries {
  labels: { account: string; region: string; function: string; resource: string };
  invocations: number;
  errors: number;
  throttles: number;
  durationCount: number;
  durationSumSeconds: number;
  /** Non-cumulative counts per DURATION_BUCKETS_SECONDS bound (+Inf last). */
  durationBuckets: number[];
}

/** Invocations in flight; one object per function and per account, shared by handles. */
interface InFlight {
  n: number;
  /** Its ConcurrentExecutions series, sampled at each flush while invocations run. */
  series: Series;
}

interface Handle {
  fnInFlight: InFlight;
  accountInFlight: InFlight;
  invocations: Series[];
  errors: Series[];
  duration: Series[];
  throttles: Series[];
  prom: PromSeries;
}

export interface LambdaMetrics {
  /**
   * Records one invocation: `admitted` says whether it took a concurrency lease (it is in
   * flight now); the promise's outcome says the rest (a `Throttled` rejection is a throttle).
   * Returns the same promise.
   */
  invocation<T extends { result: { kind: string }; durationMs: number }>(
    target: InvokedTarget,
    admitted: boolean,
    run: Promise<T>,
  ): Promise<T>;
  /** Milliseconds an async event waited in the queue before it was run (`functionId` = account/region/name). */
  asyncEventAge(functionId: string, qualifier: string | undefined, ms: number): void;
  /** An async event dropped without being run (expired, retries exhausted, throttled at reserved 0). */
  asyncEventDropped(functionId: string, qualifier: string | undefined): void;
  /** Provisioned concurrency in use / allocated (0..1) of a version or alias, sampled by the caller. */
  provisionedUtilization(functionId: string, qualifier: string, ratio: number): void;
  /** Invocations in flight per function (`account/region/name`) and account (`account/region`). */
  inFlight(): { functions: ReadonlyMap<string, number>; accounts: ReadonlyMap<string, number> };
  promSeries(): Iterable<PromSeries>;
}

/** `arn:aws:lambda:region:account:function:name[:qualifier]` → qualifier. */
export function qualifierOf(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length > 7 ? parts[7] : undefined;
}

const isVersion = (q: string) => q === '$LATEST' || /^\d+$/.test(q);

export function createLambdaMetrics(registry: MetricsRegistry): LambdaMetrics {
  /** arn → version → handle (no string built per invocation). */
  const handles = new Map<string, Map<string, Handle>>();
  const prom = new Map<string, PromSeries>();
  const fnInFlight = new Map<string, InFlight>();
  const accountInFlight = new Map<string, InFlight>();
  const series = (
    accountId: string,
    region: string,
    metricName: string,
    unit: string,
    dims: Array<{ Name: string; Value: string }>,
  ) =>
    registry.series(
      { accountId, region, namespace: LAMBDA_NAMESPACE, metricName, dims: canonicalDims(dims) },
      unit,
      { binary: BINARY.has(metricName) },
    );

  const inFlightOf = (map: Map<string, InFlight>, key: string, make: () => Series) => {
    let c = map.get(key);
    if (!c) {
      c = { n: 0, series: make() };
      map.set(key, c);
    }
    return c;
  };
  // A minute in which long invocations run but none starts still shows them.
  registry.onFlush(() => {
    for (const map of [fnInFlight, accountInFlight]) {
      for (const c of map.values()) if (c.n > 0) registry.record(c.series, c.n);
    }
  });

  function dimensionSets(name: string, qualifier: string | undefined, version: string) {
    const sets: Array<Array<{ Name: string; Value: string }>> = [[], [{ Name: 'FunctionName', Value: name }]];
    if (qualifier !== undefined) {
      const resource = { Name: 'Resource', Value: `${name}:${qualifier}` };
      sets.push([{ Name: 'FunctionName', Value: name }, resource]);
      if (!isVersion(qualifier)) {
        sets.push([
          { Name: 'FunctionName', Value: name },
          resource,
          { Name: 'ExecutedVersion', Value: version },
        ]);
      }
    }
    return sets;
  }

  function handleOf(t: InvokedTarget): Handle {
    let byVersion = handles.get(t.arn);
    let h = byVersion?.get(t.version);
    if (h) return h;
    const qualifier = qualifierOf(t.arn);
    const sets = dimensionSets(t.name, qualifier, t.version);
    const each = (metric: string, unit: string) =>
      sets.map((d) => series(t.accountId, t.region, metric, unit, d));
    const resource = qualifier === undefined ? t.name : `${t.name}:${qualifier}`;
    const promKey = `${t.accountId}\u0000${t.region}\u0000${resource}`;
    let p = prom.get(promKey);
    if (!p) {
      p = {
        labels: { account: t.accountId, region: t.region, function: t.name, resource },
        invocations: 0,
        errors: 0,
        throttles: 0,
        durationCount: 0,
        durationSumSeconds: 0,
        durationBuckets: new Array(DURATION_BUCKETS_SECONDS.length + 1).fill(0),
      };
      prom.set(promKey, p);
    }
    h = {
      fnInFlight: inFlightOf(fnInFlight, `${t.accountId}/${t.region}/${t.name}`, () =>
        series(t.accountId, t.region, 'ConcurrentExecutions', 'Count', [
          { Name: 'FunctionName', Value: t.name },
        ]),
      ),
      accountInFlight: inFlightOf(accountInFlight, `${t.accountId}/${t.region}`, () =>
        series(t.accountId, t.region, 'ConcurrentExecutions', 'Count', []),
      ),
      invocations: each('Invocations', 'Count'),
      errors: each('Errors', 'Count'),
      duration: each('Duration', 'Milliseconds'),
      throttles: each('Throttles', 'Count'),
      prom: p,
    };
    if (!byVersion) {
      byVersion = new Map();
      handles.set(t.arn, byVersion);
    }
    byVersion.set(t.version, h);
    return h;
  }

  function settle(
    h: Handle,
    now: number,
    outcome: { result: { kind: string }; durationMs: number } | 'throttled',
  ) {
    if (outcome === 'throttled') {
      for (const s of h.throttles) registry.record(s, 1, now);
      h.prom.throttles++;
      return;
    }
    const failed = outcome.result.kind === 'error' ? 1 : 0;
    for (const s of h.invocations) registry.record(s, 1, now);
    for (const s of h.errors) registry.record(s, failed, now);
    for (const s of h.duration) registry.record(s, outcome.durationMs, now);
    const p = h.prom;
    p.invocations++;
    p.errors += failed;
    const seconds = outcome.durationMs / 1000;
    p.durationCount++;
    p.durationSumSeconds += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS_SECONDS.length && seconds > (DURATION_BUCKETS_SECONDS[i] as number)) i++;
    p.durationBuckets[i] = (p.durationBuckets[i] ?? 0) + 1;
  }

  const byFunction = (functionId: string, qualifier: string | undefined, metric: string, unit: string) => {
    const [accountId = '', region = '', name = ''] = functionId.split('/');
    const sets: Array<Array<{ Name: string; Value: string }>> = [[], [{ Name: 'FunctionName', Value: name }]];
    if (qualifier !== undefined && qualifier !== '$LATEST' && qualifier !== '') {
      sets.push([
        { Name: 'FunctionName', Value: name },
        { Name: 'Resource', Value: `${name}:${qualifier}` },
      ]);
    }
    return sets.map((d) => series(accountId, region, metric, unit, d));
  };

  return {
    invocation(target, admitted, run) {
      const h = handleOf(target);
      if (admitted) {
        const now = registry.clock();
        registry.record(h.fnInFlight.series, ++h.fnInFlight.n, now);
        registry.record(h.accountInFlight.series, ++h.accountInFlight.n, now);
      }
      const done = () => {
        if (!admitted) return;
        h.fnInFlight.n--;
        h.accountInFlight.n--;
      };
      return run.then(
        (outcome) => {
          done();
          settle(h, registry.clock(), outcome);
          return outcome;
        },
        (err: unknown) => {
          done();
          if ((err as { code?: string })?.code === 'TooManyRequestsException')
            settle(h, registry.clock(), 'throttled');
          throw err;
        },
      );
    },
    asyncEventAge(functionId, qualifier, ms) {
      for (const s of byFunction(functionId, qualifier, 'AsyncEventAge', 'Milliseconds'))
        registry.record(s, ms);
    },
    asyncEventDropped(functionId, qualifier) {
      for (const s of byFunction(functionId, qualifier, 'AsyncEventsDropped', 'Count')) registry.record(s, 1);
    },
    provisionedUtilization(functionId, qualifier, ratio) {
      // AWS publishes it per version or alias only (FunctionName + Resource).
      const [accountId = '', region = '', name = ''] = functionId.split('/');
      const s = series(accountId, region, 'ProvisionedConcurrencyUtilization', 'None', [
        { Name: 'FunctionName', Value: name },
        { Name: 'Resource', Value: `${name}:${qualifier}` },
      ]);
      registry.record(s, ratio);
    },
    inFlight: () => ({
      functions: new Map([...fnInFlight].map(([k, c]) => [k, c.n])),
      accounts: new Map([...accountInFlight].map(([k, c]) => [k, c.n])),
    }),
    promSeries: () => prom.values(),
  };
}
