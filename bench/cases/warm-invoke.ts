/**
 * Warm Invoke of a trivial Node handler through SigV4, the gateway and a sandbox, beside a
 * bare Node HTTP server that calls the same handler in-process, and lambda-local's server.
 * Latency at concurrency 1, peak throughput at saturation (closed loop), latency at fixed
 * arrival rates (open loop), and where the CPU time of a warm invoke goes.
 */
import {
  lambdaLocalAvailable,
  type ServerProcess,
  startBaseline,
  startLambdaLocal,
  startLambent,
} from '../lib/children.js';
import type { BenchCase, BenchContext, Table, TargetCheck } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { HANDLERS } from '../lib/handlers.js';
import { interleave, type LoadMedians, loadMedians, pairedDiff, pairedRatio } from '../lib/interleave.js';
import type { LoadResult } from '../lib/jobs.js';
import { Functions, invokeStats, invokeTarget, SIGNING } from '../lib/lambda.js';
import { sandboxDescription } from '../lib/machine.js';
import { cpuByRole, cpuDelta } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import type { Target } from '../lib/target.js';
import { runWrk, wrkAvailable } from '../lib/wrk.js';
import { profileWarmInvoke } from './warm-profile.js';

const FN = 'bench-echo';
const PAYLOAD = '{"hello":"world"}';

type Variant = 'baseline' | 'lambent' | 'lambent-dryrun' | 'lambda-local';
type OpenVariant = 'baseline' | 'lambent' | 'lambent-nofreeze';

export const warmInvoke: BenchCase = {
  name: 'warm-invoke',
  title: 'Warm Invoke (trivial Node handler)',
  async run(ctx: BenchContext) {
    const lambent = await startLambent(ctx.workDir);
    const baseline = await startBaseline(ctx.workDir, ctx.handlers.files.echo);
    let peer: ServerProcess | undefined;
    const notes: string[] = [];
    if (lambdaLocalAvailable()) {
      try {
        peer = await startLambdaLocal(ctx.workDir, ctx.handlers.files.echo);
      } catch (err) {
        notes.push(`lambda-local did not start: ${(err as Error).message}`);
      }
    } else {
      notes.push('lambda-local is not installed (npm install): peer row skipped.');
    }
    const fns = new Functions(lambent.url);
    ctx.machine.sandbox ??= await sandboxDescription(lambent.url);
    try {
      await fns.create(FN, HANDLERS.echo);
      const targets = {
        baseline: { ...invokeTarget(baseline, FN, PAYLOAD) },
        lambent: invokeTarget(lambent, FN, PAYLOAD),
        'lambent-dryrun': invokeTarget(lambent, FN, PAYLOAD, { type: 'DryRun' }),
        'lambda-local': peer
          ? {
              host: peer.host,
              port: peer.port,
              method: 'POST',
              path: '/',
              body: `{"event":${PAYLOAD}}`,
              sign: SIGNING,
              expectStatus: 200,
            }
          : invokeTarget(baseline, FN, PAYLOAD),
      } as Record<Variant, Target>;
      // A first call makes the environment (its cold start is the cold-start case's business).
      const first = await ctx.loadgen.run<{ status: number; body: string }>({
        kind: 'once',
        target: targets.lambent,
      });
      if (first.status !== 200 || first.body !== PAYLOAD) {
        throw new Error(`warm-invoke: first invoke answered ${first.status} ${first.body.slice(0, 300)}`);
      }

      const latencyVariants: Variant[] = [
        'baseline',
        'lambent',
        'lambent-dryrun',
        ...(peer ? (['lambda-local'] as const) : []),
      ];
      const reps = ctx.size(5, 1);
      const dur = ctx.size(3000, 300);
      const warm = ctx.size(500, 100);

      // 1. Latency, closed loop at concurrency 1.
      ctx.log(
        `warm-invoke: latency at concurrency 1 (${reps} reps × ${latencyVariants.length} variants × ${dur} ms)`,
      );
      const latency = await interleave(latencyVariants, reps, (v) =>
        ctx.loadgen.run<LoadResult>({
          kind: 'closed',
          target: targets[v],
          concurrency: 1,
          durationMs: dur,
          warmupMs: warm,
        }),
      );

      // 2. What an SDK user sees: @aws-sdk/client-lambda with a keep-alive agent, concurrency 1.
      ctx.log('warm-invoke: latency through @aws-sdk/client-lambda');
      const sdk = await interleave(['baseline', 'lambent'] as const, ctx.size(3, 1), (v) =>
        ctx.loadgen.run<LoadResult>({
          kind: 'sdk',
          endpoint: v === 'lambent' ? lambent.url : baseline.url,
          functionName: FN,
          payload: PAYLOAD,
          concurrency: 1,
          durationMs: ctx.size(2000, 300),
          warmupMs: warm,
        }),
      );

      // 3. Throughput at saturation, closed loop; CPU per request by process.
      const levels = ctx.size([2, 4, 16, 32], [4]);
      const tpVariants: Variant[] = ['baseline', 'lambent', ...(peer ? (['lambda-local'] as const) : [])];
      const throughput: Record<number, Record<Variant, LoadResult[]>> = {};
      const cpuPerReq: Record<number, Partial<Record<Variant, Record<string, number>[]>>> = {};
      for (const c of levels) {
        ctx.log(`warm-invoke: throughput at concurrency ${c}`);
        cpuPerReq[c] = {};
        throughput[c] = await interleave(tpVariants, ctx.size(3, 1), async (v) => {
          const server = v === 'lambent' ? lambent : v === 'baseline' ? baseline : (peer as ServerProcess);
          const role = v === 'lambent' ? 'gateway' : 'server';
          // Warm-up outside the CPU window: it starts the environments this concurrency needs.
          await ctx.loadgen.run<LoadResult>({
            kind: 'closed',
            target: targets[v],
            concurrency: c,
            durationMs: ctx.size(1000, 300),
            warmupMs: 0,
          });
          const before = cpuByRole(server.pid, role);
          const r = await ctx.loadgen.run<LoadResult>({
            kind: 'closed',
            target: targets[v],
            concurrency: c,
            durationMs: dur,
            warmupMs: 0,
          });
          const delta = cpuDelta(before, cpuByRole(server.pid, role));
          delta.loadgen = r.clientCpu * r.elapsedMs;
          const perReq = Object.fromEntries(
            Object.entries(delta).map(([k, ms]) => [k, round((ms * 1000) / Math.max(1, r.ok), 1)]),
          );
          (cpuPerReq[c] as Record<Variant, Record<string, number>[]>)[v] ??= [];
          (cpuPerReq[c] as Record<Variant, Record<string, number>[]>)[v].push(perReq);
          return r;
        });
      }
      // Client check: wrk (if installed) against the baseline at the same concurrencies.
      const wrk: Record<number, { rps: number; p50Ms: number; p99Ms: number }> = {};
      if (wrkAvailable()) {
        for (const c of levels) {
          wrk[c] = await runWrk(
            ctx.workDir,
            `${baseline.url}${targets.baseline.path}`,
            PAYLOAD,
            c,
            ctx.smoke ? 1 : 3,
          );
        }
      } else {
        notes.push(
          'wrk is not installed (`apt-get install wrk`): the client check against the baseline was skipped.',
        );
      }
      const peakOf = (v: Variant) =>
        Math.max(
          ...levels.map((c) => loadMedians((throughput[c] as Record<Variant, LoadResult[]>)[v] ?? []).rps),
        );
      const peakLevel = (v: Variant) =>
        levels.reduce(
          (best, c) =>
            loadMedians((throughput[c] as Record<Variant, LoadResult[]>)[v]).rps >
            loadMedians((throughput[best] as Record<Variant, LoadResult[]>)[v]).rps
              ? c
              : best,
          levels[0] as number,
        );

      // 4. Open loop: a low rate (idle gaps past the 20 ms freeze delay, so every invoke thaws
      // its environment) and half of Lambent's peak. Two fresh servers, each starting with one
      // warm environment: one as configured by default, one whose environments never freeze
      // (freezeDelayMs 1 h), which isolates what freezing costs.
      const openServers = {
        lambent: await startLambent(ctx.workDir),
        'lambent-nofreeze': await startLambent(ctx.workDir, { lambda: { freezeDelayMs: 3_600_000 } }),
      };
      const openFns = {
        lambent: new Functions(openServers.lambent.url),
        'lambent-nofreeze': new Functions(openServers['lambent-nofreeze'].url),
      };
      const openTargets: Record<OpenVariant, Target> = {
        baseline: targets.baseline,
        lambent: invokeTarget(openServers.lambent, FN, PAYLOAD),
        'lambent-nofreeze': invokeTarget(openServers['lambent-nofreeze'], FN, PAYLOAD),
      };
      const open: Record<number, Record<OpenVariant, LoadResult[]>> = {};
      const envsAfter: Record<number, Record<'lambent' | 'lambent-nofreeze', number[]>> = {};
      const lowRate = 25;
      const midRate = Math.max(50, Math.round(peakOf('lambent') / 2 / 10) * 10);
      const rates = ctx.size([lowRate, midRate], [lowRate]);
      try {
        for (const v of ['lambent', 'lambent-nofreeze'] as const) {
          await openFns[v].create(FN, HANDLERS.echo);
          await ctx.loadgen.run({ kind: 'once', target: openTargets[v] });
        }
        for (const rate of rates) {
          ctx.log(`warm-invoke: open loop at ${rate}/s`);
          envsAfter[rate] = { lambent: [], 'lambent-nofreeze': [] };
          open[rate] = await interleave(
            ['baseline', 'lambent', 'lambent-nofreeze'] as const,
            ctx.size(3, 1),
            async (v) => {
              const r = await ctx.loadgen.run<LoadResult>({
                kind: 'open',
                target: openTargets[v],
                rate,
                durationMs: rate === lowRate ? ctx.size(4000, 400) : dur,
                warmupMs: ctx.size(500, 100),
                maxConnections: 256,
              });
              if (v !== 'baseline')
                envsAfter[rate]?.[v].push((await invokeStats(openServers[v].url)).environments);
              return r;
            },
          );
        }
      } finally {
        for (const v of ['lambent', 'lambent-nofreeze'] as const) openFns[v].close();
        await Promise.all([openServers.lambent.stop(), openServers['lambent-nofreeze'].stop()]);
      }

      // 5. Where a warm invoke's time goes: a CPU profile of the gateway process.
      const profile = ctx.smoke ? undefined : await profileWarmInvoke(ctx, FN, PAYLOAD);

      // ---- tables
      const lat = Object.fromEntries(latencyVariants.map((v) => [v, loadMedians(latency[v])])) as Record<
        Variant,
        LoadMedians
      >;
      const addedP50 = pairedDiff(
        latency.lambent.map((r) => r.latency.p50),
        latency.baseline.map((r) => r.latency.p50),
      );
      const addedP99 = pairedDiff(
        latency.lambent.map((r) => r.latency.p99),
        latency.baseline.map((r) => r.latency.p99),
      );
      const label: Record<Variant, string> = {
        baseline: 'baseline: bare Node HTTP server, handler in-process',
        lambent: 'Lambent Invoke (SigV4 + gateway + sandbox)',
        'lambent-dryrun': 'Lambent Invoke DryRun (SigV4 + gateway, no sandbox)',
        'lambda-local': 'peer: lambda-local 2.2 --watch server',
      };
      const tables: Table[] = [];
      tables.push({
        title: 'Latency at concurrency 1 (closed loop; lean signed client; medians over reps)',
        columns: ['variant', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms', 'req/s', 'errors'],
        rows: latencyVariants.map((v) => [
          label[v],
          fmt(lat[v].p50, 3),
          fmt(lat[v].p99, 3),
          v === 'baseline'
            ? '—'
            : fmt(
                pairedDiff(
                  latency[v].map((r) => r.latency.p50),
                  latency.baseline.map((r) => r.latency.p50),
                ),
                3,
              ),
          v === 'baseline'
            ? '—'
            : fmt(
                pairedDiff(
                  latency[v].map((r) => r.latency.p99),
                  latency.baseline.map((r) => r.latency.p99),
                ),
                3,
              ),
          fmt(lat[v].rps, 0),
          lat[v].errors,
        ]),
      });
      const sdkM = { baseline: loadMedians(sdk.baseline), lambent: loadMedians(sdk.lambent) };
      tables.push({
        title:
          'Latency at concurrency 1 through @aws-sdk/client-lambda (keep-alive agent; what an SDK user sees)',
        columns: ['variant', 'p50 ms', 'p99 ms', 'added p50 ms', 'SDK client CPU (cores)'],
        rows: (['baseline', 'lambent'] as const).map((v) => [
          label[v],
          fmt(sdkM[v].p50, 3),
          fmt(sdkM[v].p99, 3),
          v === 'baseline'
            ? '—'
            : fmt(
                pairedDiff(
                  sdk.lambent.map((r) => r.latency.p50),
                  sdk.baseline.map((r) => r.latency.p50),
                ),
                3,
              ),
          fmt(sdkM[v].clientCpu, 2),
        ]),
      });
      tables.push({
        title:
          'Throughput, closed loop (median req/s over reps; ratio to the baseline at the same concurrency)',
        columns: [
          'concurrency',
          ...tpVariants.flatMap((v) => [`${v} req/s`, `${v} p99 ms`]),
          'Lambent / baseline',
          'client CPU (cores) B / L',
          'client check: wrk → baseline req/s (unsigned)',
        ],
        rows: levels.map((c) => {
          const t = throughput[c] as Record<Variant, LoadResult[]>;
          const m = Object.fromEntries(tpVariants.map((v) => [v, loadMedians(t[v])])) as Record<
            Variant,
            LoadMedians
          >;
          return [
            c,
            ...tpVariants.flatMap((v) => [fmt(m[v].rps, 0), fmt(m[v].p99, 2)]),
            fmtRatio(
              pairedRatio(
                t.lambent.map((r) => r.rps),
                t.baseline.map((r) => r.rps),
              ),
            ),
            `${fmt(m.baseline.clientCpu, 2)} / ${fmt(m.lambent.clientCpu, 2)}`,
            wrk[c] ? fmt(wrk[c].rps, 0) : 'n/a',
          ];
        }),
      });
      const cpuRows: Array<Array<string | number>> = [];
      for (const c of levels) {
        for (const v of tpVariants) {
          const samples = (cpuPerReq[c] as Record<Variant, Record<string, number>[]>)[v] ?? [];
          const roles = [...new Set(samples.flatMap((s) => Object.keys(s)))];
          const med = (k: string) => {
            const vals = samples.map((s) => s[k] ?? 0).sort((a, b) => a - b);
            return vals[Math.floor((vals.length - 1) / 2)] ?? 0;
          };
          const parts = roles.filter((k) => med(k) > 0).map((k) => `${k} ${fmt(med(k), 0)}`);
          const total = roles.filter((k) => k !== 'loadgen').reduce((a, k) => a + med(k), 0);
          cpuRows.push([c, v, fmt(total, 0), parts.join(', ')]);
        }
      }
      tables.push({
        title: 'CPU per request during the throughput runs (µs; /proc utime+stime at 10 ms resolution)',
        columns: ['concurrency', 'variant', 'server side total µs', 'by process (µs)'],
        rows: cpuRows,
      });
      const openLabel: Record<OpenVariant, string> = {
        baseline: 'baseline',
        lambent: 'Lambent (default: frozen after 20 ms idle)',
        'lambent-nofreeze': 'Lambent, environments never frozen (freezeDelayMs 1 h; diagnostic)',
      };
      tables.push({
        title:
          'Open loop (fixed arrival rate, uniform arrivals; latency from when each request was due; medians over reps; two fresh Lambent servers that start with one warm environment each)',
        columns: [
          'rate/s',
          'variant',
          'p50 ms',
          'p99 ms',
          'added p50 ms',
          'added p99 ms',
          'achieved rate',
          'errors',
          'environments after (max over reps)',
        ],
        rows: rates.flatMap((rate) => {
          const o = open[rate] as Record<OpenVariant, LoadResult[]>;
          return (['baseline', 'lambent', 'lambent-nofreeze'] as const).map((v) => {
            const m = loadMedians(o[v]);
            return [
              rate,
              openLabel[v],
              fmt(m.p50, 3),
              fmt(m.p99, 3),
              v === 'baseline'
                ? '—'
                : fmt(
                    pairedDiff(
                      o[v].map((r) => r.latency.p50),
                      o.baseline.map((r) => r.latency.p50),
                    ),
                    3,
                  ),
              v === 'baseline'
                ? '—'
                : fmt(
                    pairedDiff(
                      o[v].map((r) => r.latency.p99),
                      o.baseline.map((r) => r.latency.p99),
                    ),
                    3,
                  ),
              fmt(loadMedianOffered(o[v]), 0),
              m.errors,
              v === 'baseline' ? '—' : Math.max(...(envsAfter[rate]?.[v] ?? [Number.NaN])),
            ];
          });
        }),
      });
      if (profile) tables.push(...profile.tables);

      const peakRatio = peakOf('lambent') / peakOf('baseline');
      const targetsOut: TargetCheck[] = [
        {
          what: 'warm Invoke p50 added latency over the bare baseline (concurrency 1)',
          target: '≤ 0.5 ms',
          measured: `${fmt(addedP50, 3)} ms (p99 added ${fmt(addedP99, 3)} ms)`,
          met: addedP50 <= 0.5,
        },
        {
          what: 'warm Invoke peak throughput vs the bare baseline',
          target: '≥ 50 %',
          measured: `${fmt(peakOf('lambent'), 0)} req/s (at c=${peakLevel('lambent')}) vs ${fmt(peakOf('baseline'), 0)} req/s (at c=${peakLevel('baseline')}) = ${fmt(peakRatio * 100, 1)} %`,
          met: peakRatio >= 0.5,
        },
      ];
      const errors = Object.values(lat).reduce((a, m) => a + m.errors, 0);
      if (errors)
        notes.push(
          `errors during the latency runs: ${errors} (first: ${Object.values(lat).find((m) => m.firstError)?.firstError})`,
        );
      const maxClient = Math.max(
        ...levels.flatMap((c) =>
          tpVariants.map((v) => loadMedians((throughput[c] as Record<Variant, LoadResult[]>)[v]).clientCpu),
        ),
      );
      notes.push(
        `The load generator used at most ${fmt(maxClient, 2)} of a core in the throughput runs (1.00 would make it the bottleneck).`,
      );
      return {
        method: [
          `Function \`${FN}\`: \`${HANDLERS.echo.trim()}\`, nodejs20.x, 128 MB, payload \`${PAYLOAD}\`.`,
          'Client: the load generator process (its own event loop) with a lean keep-alive HTTP/1.1 client. Every request carries a SigV4 signature — for Lambent *and* for the baseline and the peer, which ignore it, so the client does the same work for all. The signature is computed once per second (the bytes of a fixed request are identical within a second); Lambent verifies every request in full.',
          'Baseline: a bare `node:http` server in its own process that JSON-parses the body, awaits the same handler file in-process and answers its JSON.',
          `Closed loop = fixed concurrency; open loop = fixed arrival rate, latency measured from each request's due time. Variants run interleaved (rotating order), ${reps} reps of ${dur} ms each after a warm-up; tables show medians over reps, added latency is the median of per-rep paired differences.`,
          'Throughput at concurrency c needs c execution environments on Lambent (one invocation per environment at a time, as on AWS); the warm-up creates them.',
        ],
        tables,
        targets: targetsOut,
        notes,
        data: {
          latency,
          sdk,
          throughput,
          cpuPerReq,
          wrk,
          open,
          envsAfter,
          rates,
          levels,
          profile: profile?.data,
        },
      };
    } finally {
      fns.close();
      await Promise.all([lambent.stop(), baseline.stop(), peer?.stop()]);
    }
  },
};

function loadMedianOffered(results: readonly LoadResult[]): number {
  const v = results.map((r) => r.offeredRate ?? Number.NaN).sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)] ?? Number.NaN;
}
