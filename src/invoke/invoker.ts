/**
 * The invocation pipeline below the Lambda API: picks or starts an execution environment
 * through the scheduler (which takes the invocation's concurrency lease and may throttle),
 * keeps each function's /tmp directories (a replacement environment takes over the /tmp of
 * one that timed out or crashed, as on Lambda), and stops a function's environments when it
 * is deleted.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { LambdaMetrics } from '../metrics/lambda.js';
import type { LogsApi } from '../services/logs/index.js';
import { ConcurrencyAccounting, functionIdOf } from './concurrency.js';
import type { Environment, InvokeOutcome, InvokeRequest } from './environment.js';
import {
  type FunctionTarget,
  type LaunchContext,
  launchEnvironment,
  type PoolSizes,
  poolDefinitions,
  tmpDirFor,
} from './launch.js';
import { ProvisionedConcurrency } from './provisioned.js';
import type { RuntimeCatalog } from './runtimes.js';
import { Scheduler } from './scheduler.js';
import { TmpBudget } from './tmp-budget.js';

export interface Invoker {
  /** Throws `Throttled` (a 429 TooManyRequestsException) when a limit is reached. */
  invoke(target: FunctionTarget, request: InvokeRequest): Promise<InvokeOutcome & { coldStart: boolean }>;
  /**
   * Starts one environment of a version for provisioned concurrency (INIT run, initialization
   * type `provisioned-concurrency`); it serves that version's invocations first and is kept
   * until stopped. `onStopped` is called when it has stopped, for whatever reason.
   */
  startProvisioned(target: FunctionTarget, onStopped: () => void): Promise<Environment>;
  /** Stops a function's environments and drops its /tmp volumes (DeleteFunction). */
  removeFunction(accountId: string, region: string, name: string): Promise<void>;
  stats(): InvokerStats;
  /** Leases and reservations; `functionId` is `account/region/name`. */
  readonly concurrency: ConcurrencyAccounting;
  /** Provisioned concurrency configs' environments; `usage()` per version for metrics and health. */
  readonly provisioned: ProvisionedConcurrency;
  /** Which interpreter serves each runtime (the Lambda service activates functions with it). */
  readonly runtimes: RuntimeCatalog;
  /** Where environments' output goes (CloudWatch Logs is created after the invoker). */
  attachLogs(logs: LogsApi): void;
  close(): Promise<void>;
}

export interface InvokerStats {
  environments: number;
  idle: number;
  memoryMb: number;
  maxMemoryMb: number;
  /** /tmp volumes' sizes, kept or in use, against their disk budget (tmp-budget.ts). */
  tmpMb: number;
  maxTmpMb: number;
}

export interface InvokerLimits {
  /** Account concurrency per region. */
  concurrentExecutions: number;
  /** New environments per function per 10 s. */
  scalingRatePer10s: number;
  /** Ceiling on the sum of live environments' memory limits. */
  maxMemoryMb: number;
  /** Ceiling on the sum of /tmp volumes (MB); absent: no ceiling. */
  maxTmpMb?: number;
}

export function createInvoker(
  ctx: LaunchContext & {
    keepAliveMs: number;
    limits: InvokerLimits;
    metrics?: LambdaMetrics;
    /** Pre-started sandboxes per runtime family (lambda.prewarmPoolSize); absent: none. */
    prewarm?: PoolSizes;
  },
): Invoker {
  if (ctx.prewarm !== undefined) {
    const sizes = ctx.prewarm;
    // One pool per interpreter in use: a function's first use of another Node major adds one.
    const define = () =>
      ctx.sandboxes.definePools(
        poolDefinitions(ctx.sandboxes, ctx.runtimeDir, sizes, ctx.runtimes.pools(), ctx.sdkDir),
      );
    define();
    ctx.runtimes.onChange(define);
  }
  /** functionId → /tmp directories not in use by a live environment. */
  const freeTmp = new Map<string, string[]>();
  const slots = new Map<string, number>();
  const functionId = (t: Pick<FunctionTarget, 'accountId' | 'region' | 'name'>) =>
    functionIdOf(t.accountId, t.region, t.name);

  const targets = new WeakMap<object, FunctionTarget>();
  const concurrency = new ConcurrencyAccounting({
    accountLimit: ctx.limits.concurrentExecutions,
    scalingRatePer10s: ctx.limits.scalingRatePer10s,
  });
  const scheduler: Scheduler = new Scheduler({
    keepAliveMs: ctx.keepAliveMs,
    concurrency,
    maxMemoryMb: ctx.limits.maxMemoryMb,
    launch: async (pt, provisioned) => {
      const t = targets.get(pt) as FunctionTarget;
      const fid = functionId(t);
      const free = freeTmp.get(fid) ?? [];
      let tmpDir = free.pop();
      if (!tmpDir) {
        const slot = (slots.get(fid) ?? 0) + 1;
        slots.set(fid, slot);
        tmpDir = tmpDirFor(ctx, t, slot);
        fs.mkdirSync(tmpDir, { recursive: true });
      }
      try {
        await tmpBudget.reserve(tmpDir, t.ephemeralMb);
      } catch (err) {
        const list = freeTmp.get(fid) ?? [];
        list.push(tmpDir);
        freeTmp.set(fid, list);
        throw err;
      }
      const env = await launchEnvironment(
        ctx,
        t,
        pt.key,
        tmpDir,
        (stopped: Environment) => {
          scheduler.forget(stopped);
          const list = freeTmp.get(fid) ?? [];
          list.push(stopped.tmpDir);
          freeTmp.set(fid, list);
        },
        provisioned ? 'provisioned-concurrency' : 'on-demand',
      );
      return env;
    },
  });

  const tmpBudget = new TmpBudget(ctx.limits.maxTmpMb ?? Number.POSITIVE_INFINITY, {
    unusedVolumes: () => [...freeTmp.values()].flat(),
    release: async (dir) => {
      for (const list of freeTmp.values()) {
        const i = list.indexOf(dir);
        if (i >= 0) list.splice(i, 1);
      }
      await ctx.sandboxes.releaseTmp(dir);
    },
    evictIdle: () => scheduler.evictIdle(),
  });

  const poolTarget = (target: FunctionTarget) => {
    const fid = functionId(target);
    const pt = {
      functionId: fid,
      functionKey: `${fid}/${target.version}`,
      key: `${fid}/${target.version}/${fingerprint(target)}`,
      memoryMb: target.memoryMb,
    };
    targets.set(pt, target);
    return pt;
  };

  const invoker: Invoker = {
    invoke(target, request) {
      // Environments are shared by every ARN of a version: the runtime hears this call's.
      const pt = poolTarget(target);
      const leasesBefore = concurrency.inUse(pt.functionId);
      const run = scheduler.run(pt, { ...request, invokedArn: target.arn });
      // The scheduler takes the lease before its first await: a new lease now means in flight.
      return ctx.metrics
        ? ctx.metrics.invocation(target, concurrency.inUse(pt.functionId) > leasesBefore, run)
        : run;
    },
    startProvisioned: (target, onStopped) => scheduler.startProvisioned(poolTarget(target), onStopped),
    async removeFunction(accountId, region, name) {
      const fid = functionId({ accountId, region, name });
      await scheduler.stopFunction(`${fid}/`);
      for (const dir of freeTmp.get(fid) ?? []) {
        tmpBudget.uncharge(dir);
        await ctx.sandboxes.releaseTmp(dir).catch(() => undefined);
      }
      freeTmp.delete(fid);
      concurrency.forget(fid);
    },
    stats: () => ({ ...scheduler.stats(), ...tmpBudget.stats() }),
    concurrency,
    runtimes: ctx.runtimes,
    attachLogs(logs) {
      ctx.logs = logs;
    },
    get provisioned() {
      return provisioned;
    },
    close: async () => {
      provisioned.close();
      await scheduler.close();
    },
  };
  const metrics = ctx.metrics;
  const provisioned = new ProvisionedConcurrency(
    invoker,
    ctx.logger,
    metrics && ((fid, qualifier, ratio) => metrics.provisionedUtilization(fid, qualifier, ratio)),
  );
  return invoker;
}

/** Environments serve one exact configuration: any change makes new ones. */
function fingerprint(t: FunctionTarget): string {
  const { arn: _arn, ...config } = t;
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}
