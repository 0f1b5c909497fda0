/** The messages between the orchestrator and the load-generator process. */
import type { Summary } from './stats.js';
import type { Target } from './target.js';

export type Job =
  /** Fixed concurrency: each of `concurrency` connections sends its next request when the last one answers. */
  | { kind: 'closed'; target: Target; concurrency: number; durationMs: number; warmupMs: number }
  /** Fixed arrival rate; latency counts from when each request was due (no coordinated omission). */
  | {
      kind: 'open';
      target: Target;
      rate: number;
      durationMs: number;
      warmupMs: number;
      maxConnections: number;
    }
  /** `n` requests at once on `n` pre-opened connections. */
  | { kind: 'burst'; target: Target; n: number; timeoutMs: number }
  /** One request on a new connection; the answer comes back whole. */
  | { kind: 'once'; target: Target }
  /** `n` processes spawned at once; time until each prints its first line. */
  | {
      kind: 'spawn';
      command: string;
      args: string[];
      env: Record<string, string>;
      n: number;
      timeoutMs: number;
    }
  /** Closed loop through @aws-sdk/client-lambda (keep-alive agent): what an SDK user sees. */
  | {
      kind: 'sdk';
      endpoint: string;
      functionName: string;
      payload: string;
      concurrency: number;
      durationMs: number;
      warmupMs: number;
    };

export interface LoadResult {
  /** Answers with the expected status and no X-Amz-Function-Error. */
  ok: number;
  errors: number;
  /** Answers by status code ("429", "200", ...; "fn-error" for a function error, "net" for a failed connection). */
  statuses: Record<string, number>;
  elapsedMs: number;
  /** Successful answers per second. */
  rps: number;
  latency: Summary;
  /** The generator's own CPU use over the run, in cores (1 = one core busy). */
  clientCpu: number;
  firstError?: string;
  /** Burst and spawn: time until the last one answered. */
  allMs?: number;
  /** Open loop: the rate actually achieved. */
  offeredRate?: number;
}

export interface OnceResult {
  latencyMs: number;
  status: number;
  head: string;
  body: string;
}
