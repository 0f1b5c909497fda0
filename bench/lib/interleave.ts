/** Interleaved repetitions: every rep runs each variant once, the order rotating, so drift hits all alike. */
import type { LoadResult } from './jobs.js';
import { median, ratio, round } from './stats.js';

export async function interleave<V extends string, R>(
  variants: readonly V[],
  reps: number,
  once: (variant: V, rep: number) => Promise<R>,
): Promise<Record<V, R[]>> {
  const out = Object.fromEntries(variants.map((v) => [v, [] as R[]])) as Record<V, R[]>;
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + rep) % variants.length] as V;
      out[v].push(await once(v, rep));
    }
  }
  return out;
}

/** Medians over reps of one variant's load results. */
export interface LoadMedians {
  reps: number;
  p50: number;
  p99: number;
  rps: number;
  clientCpu: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  firstError?: string;
}

export function loadMedians(results: readonly LoadResult[]): LoadMedians {
  const statuses: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const firstError = results.find((r) => r.firstError)?.firstError;
  return {
    reps: results.length,
    p50: median(results.map((r) => r.latency.p50)),
    p99: median(results.map((r) => r.latency.p99)),
    rps: median(results.map((r) => r.rps)),
    clientCpu: median(results.map((r) => r.clientCpu)),
    ok: results.reduce((a, r) => a + r.ok, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    statuses,
    ...(firstError ? { firstError } : {}),
  };
}

/** Median over reps of a paired difference (a[i] - b[i]). */
export function pairedDiff(a: readonly number[], b: readonly number[]): number {
  return median(a.map((v, i) => round(v - (b[i] ?? Number.NaN))));
}

/** Median over reps of a paired ratio (a[i] / b[i]). */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((v, i) => ratio(v, b[i] ?? Number.NaN)));
}
