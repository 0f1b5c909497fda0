/**
 * Burst: 0 → N concurrent environments. N requests at once to a function that has never run,
 * whose handler holds its environment for 200 ms, so every request needs its own
 * environment. Beside it: N `node` processes spawned at once on the same handler.
 */
import { parseConfig } from '../../src/shared/config.js';
import { startLambent } from '../lib/children.js';
import type { BenchCase, BenchContext, Table } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { CLEAN_ENV, HANDLERS } from '../lib/handlers.js';
import { interleave } from '../lib/interleave.js';
import type { LoadResult } from '../lib/jobs.js';
import { Functions, invokeStats, invokeTarget } from '../lib/lambda.js';
import { sandboxDescription } from '../lib/machine.js';
import { median, ratio } from '../lib/stats.js';

const PAYLOAD = '{"ms":200}';

export const burst: BenchCase = {
  name: 'burst',
  title: 'Burst: 0 → N concurrent environments',
  async run(ctx: BenchContext) {
    const server = await startLambent(ctx.workDir);
    const fns = new Functions(server.url);
    ctx.machine.sandbox ??= await sandboxDescription(server.url);
    const levels = ctx.size([50, 200], [5]);
    // The defaults the server runs with (the case does not override them).
    const limits = parseConfig({}).lambda;
    const notes: string[] = [];
    const results: Record<number, { lambent: LoadResult[]; baseline: LoadResult[]; environments: number[] }> =
      {};
    let seq = 0;
    try {
      for (const n of levels) {
        const reps = ctx.size(n >= 200 ? 2 : 3, 1);
        ctx.log(`burst: N=${n}, ${reps} reps`);
        const environments: number[] = [];
        const r = await interleave(['baseline', 'lambent'] as const, reps, async (v) => {
          if (v === 'baseline') {
            return ctx.loadgen.run<LoadResult>({
              kind: 'spawn',
              command: process.execPath,
              args: [ctx.handlers.invokeOnce, ctx.handlers.files.sleep, PAYLOAD],
              env: CLEAN_ENV,
              n,
              timeoutMs: 120_000,
            });
          }
          const name = `bench-burst-${n}-${seq++}`;
          await fns.create(name, HANDLERS.sleep, { timeoutS: 60 });
          try {
            const res = await ctx.loadgen.run<LoadResult>({
              kind: 'burst',
              target: invokeTarget(server, name, PAYLOAD),
              n,
              timeoutMs: 120_000,
            });
            environments.push((await invokeStats(server.url)).environments);
            return res;
          } finally {
            await fns.delete(name);
          }
        });
        results[n] = { ...r, environments };
      }
      const rows = levels.map((n) => {
        const r = results[n] as { lambent: LoadResult[]; baseline: LoadResult[]; environments: number[] };
        const all = (xs: LoadResult[]) => median(xs.map((x) => x.allMs ?? Number.NaN));
        const errors = r.lambent.reduce((a, x) => a + x.errors, 0);
        const throttles = r.lambent.reduce((a, x) => a + (x.statuses['429'] ?? 0), 0);
        const other = r.lambent.flatMap((x) =>
          Object.entries(x.statuses)
            .filter(([k]) => k !== '200' && k !== '429')
            .map(([k, c]) => `${k}×${c}`),
        );
        return [
          n,
          r.lambent.length,
          fmt(all(r.baseline), 0),
          fmt(all(r.lambent), 0),
          fmtRatio(ratio(all(r.lambent), all(r.baseline))),
          fmt(median(r.lambent.map((x) => x.latency.p50)), 0),
          `${errors - throttles}${other.length ? ` (${other.join(', ')})` : ''}`,
          throttles,
          Math.max(...r.environments),
        ];
      });
      const tables: Table[] = [
        {
          title: 'Time until all N answered (median over reps), errors and throttles (summed over reps)',
          columns: [
            'N',
            'reps',
            'baseline: N `node` spawns, all printed (ms)',
            'Lambent: all N answered (ms)',
            'ratio',
            'Lambent p50 answer (ms)',
            'errors (other than 429)',
            'throttles (429)',
            'environments live after',
          ],
          rows,
        },
      ];
      const worst = levels.map((n) =>
        (results[n] as { lambent: LoadResult[] }).lambent.reduce(
          (a, x) => a + x.errors - (x.statuses['429'] ?? 0),
          0,
        ),
      );
      const top = levels[levels.length - 1] as number;
      const topR = results[top] as { lambent: LoadResult[] };
      for (const n of levels) {
        const first = (results[n] as { lambent: LoadResult[] }).lambent.find((x) => x.firstError)?.firstError;
        if (first) notes.push(`N=${n}: first error: ${first}`);
      }
      return {
        method: [
          `Function: \`${HANDLERS.sleep.trim()}\` with payload \`${PAYLOAD}\` (200 ms per invocation), nodejs20.x, 128 MB; a new function per rep (created and deleted untimed), so the burst starts from zero environments.`,
          'The load generator opens N keep-alive connections first, then sends N signed Invokes at once and times each answer from the moment they were sent.',
          'Baseline: the load generator spawns N `node invoke.cjs <sleep handler>` at once; time until every one printed its result.',
          `Configured limits that may throttle (429 TooManyRequestsException, counted apart from errors): account concurrency ${limits.concurrentExecutions}, ${limits.scalingRatePer10s} new environments per function per 10 s, and the ceiling on the sum of live environments' memory limits, lambda.maxMemoryMb = ${limits.maxMemoryMb} MB by default here (80 % of RAM) = ${Math.floor(limits.maxMemoryMb / 128)} environments of 128 MB.`,
        ],
        tables,
        targets: [
          {
            what: `burst 0 → ${top} concurrent environments`,
            target: 'no error other than the configured throttle',
            measured: `${worst[worst.length - 1]} errors over ${topR.lambent.length} bursts; all answered in ${fmt(median(topR.lambent.map((x) => x.allMs ?? Number.NaN)), 0)} ms (median)`,
            met: worst[worst.length - 1] === 0,
          },
        ],
        notes,
        data: results,
      };
    } finally {
      fns.close();
      await server.stop();
    }
  },
};
