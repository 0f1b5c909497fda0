/**
 * Cold start: Invoke of a function with no warm environment (no pre-warmed pool exists yet),
 * beside spawning `node` on the same handler file directly, and lambda-local's CLI.
 * Only the Invoke call is timed; deploying and deleting functions happen outside it.
 */

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { lambdaLocalAvailable, startLambent } from '../lib/children.js';
import type { BenchCase, BenchContext, Table } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { CLEAN_ENV, HANDLERS } from '../lib/handlers.js';
import { interleave } from '../lib/interleave.js';
import type { LoadResult, OnceResult } from '../lib/jobs.js';
import { Functions, invokeTarget } from '../lib/lambda.js';
import { sandboxDescription } from '../lib/machine.js';
import { ratio, round, summarize } from '../lib/stats.js';

const PAYLOAD = '{"hello":"world"}';

type Variant = 'baseline' | 'fresh' | 'updated' | 'lambda-local';

interface Sample {
  ms: number;
  initMs?: number;
  durationMs?: number;
}

export const coldStart: BenchCase = {
  name: 'cold-start',
  title: 'Cold start (no warm environment, no pre-warmed pool)',
  async run(ctx: BenchContext) {
    const server = await startLambent(ctx.workDir);
    const fns = new Functions(server.url);
    ctx.machine.sandbox ??= await sandboxDescription(server.url);
    const notes: string[] = [];
    const eventFile = path.join(ctx.workDir, 'event.json');
    fs.writeFileSync(eventFile, PAYLOAD);
    const peerCli = lambdaLocalAvailable()
      ? path.join(path.dirname(createRequire(import.meta.url).resolve('lambda-local')), 'cli.js')
      : undefined;
    if (!peerCli) notes.push('lambda-local is not installed: its row is skipped.');
    let seq = 0;
    let updates = 0;
    try {
      await fns.create('bench-cold-updated', HANDLERS.echo, { env: { GEN: '0' } });

      const lambentOnce = async (name: string): Promise<Sample> => {
        const r = await ctx.loadgen.run<OnceResult>({
          kind: 'once',
          target: invokeTarget(server, name, PAYLOAD, { tail: true }),
        });
        if (r.status !== 200 || r.body !== PAYLOAD)
          throw new Error(`cold invoke of ${name}: ${r.status} ${r.body.slice(0, 200)}`);
        const tail = Buffer.from(/x-amz-log-result:\s*(\S+)/i.exec(r.head)?.[1] ?? '', 'base64').toString(
          'utf8',
        );
        const init = /Init Duration: ([\d.]+) ms/.exec(tail)?.[1];
        const duration = /\tDuration: ([\d.]+) ms/.exec(tail)?.[1];
        if (!init)
          throw new Error(`invoke of ${name} was not a cold start (no Init Duration in its REPORT line)`);
        return {
          ms: r.latencyMs,
          initMs: Number(init),
          ...(duration ? { durationMs: Number(duration) } : {}),
        };
      };
      const spawnOnce = async (args: string[], extraEnv: Record<string, string> = {}): Promise<Sample> => {
        const r = await ctx.loadgen.run<LoadResult>({
          kind: 'spawn',
          command: process.execPath,
          args,
          env: { ...CLEAN_ENV, ...extraEnv },
          n: 1,
          timeoutMs: 10_000,
        });
        if (r.errors) throw new Error(`spawn ${args.join(' ')}: ${r.firstError}`);
        return { ms: r.latency.p50 };
      };
      const once = async (v: Variant): Promise<Sample> => {
        switch (v) {
          case 'baseline':
            return spawnOnce([ctx.handlers.invokeOnce, ctx.handlers.files.echo, PAYLOAD]);
          case 'lambda-local':
            return spawnOnce(
              [peerCli as string, '-l', ctx.handlers.files.echo, '-h', 'handler', '-e', eventFile, '-v', '1'],
              { HOME: ctx.workDir },
            );
          case 'fresh': {
            const name = `bench-cold-${seq++}`;
            await fns.create(name, HANDLERS.echo);
            try {
              return await lambentOnce(name);
            } finally {
              await fns.delete(name);
            }
          }
          case 'updated': {
            // A new configuration: the next invoke needs a new environment; the old one is retired during it.
            await fns.setEnv('bench-cold-updated', { GEN: String(++updates) });
            return lambentOnce('bench-cold-updated');
          }
        }
      };

      // The very first sandbox of a server pays one-off costs: not part of any sample.
      await once('fresh');
      await once('baseline');
      const variants: Variant[] = [
        'baseline',
        'fresh',
        'updated',
        ...(peerCli ? (['lambda-local'] as const) : []),
      ];
      const reps = ctx.size(25, 2);
      ctx.log(`cold-start: ${reps} reps × ${variants.length} variants`);
      const samples = await interleave(variants, reps, (v) => once(v));

      const label: Record<Variant, string> = {
        baseline: 'baseline: spawn `node` on the handler file, until its result is printed',
        fresh: 'Lambent Invoke, new function (never run before)',
        updated: 'Lambent Invoke after UpdateFunctionConfiguration (old environment retired meanwhile)',
        'lambda-local': 'peer: `lambda-local` CLI (spawn, until its result is printed)',
      };
      const s = Object.fromEntries(
        variants.map((v) => [v, summarize(samples[v].map((x) => x.ms))]),
      ) as Record<Variant, ReturnType<typeof summarize>>;
      const init = (v: Variant) =>
        summarize(samples[v].map((x) => x.initMs ?? Number.NaN).filter(Number.isFinite));
      const outside = (v: Variant) =>
        summarize(
          samples[v]
            .filter((x) => x.initMs !== undefined)
            .map((x) => x.ms - (x.initMs as number) - (x.durationMs ?? 0)),
        );
      const tables: Table[] = [
        {
          title: `Cold Invoke latency (${reps} samples per variant, interleaved; p99 of ${reps} samples is close to the max)`,
          columns: ['variant', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p50 ratio to baseline'],
          rows: variants.map((v) => [
            label[v],
            fmt(s[v].p50, 1),
            fmt(s[v].p90, 1),
            fmt(s[v].p99, 1),
            fmt(s[v].max, 1),
            v === 'baseline' ? '—' : fmtRatio(ratio(s[v].p50, s.baseline.p50)),
          ]),
        },
        {
          title:
            'Where a cold Invoke goes (p50 ms; Init Duration and Duration from the REPORT line of the invoke, LogType Tail)',
          columns: [
            'variant',
            'total',
            'Init Duration (sandbox + runtime start + handler load)',
            'Duration (invoke)',
            'rest (gateway, scheduling, env setup outside INIT)',
          ],
          rows: (['fresh', 'updated'] as const).map((v) => [
            v,
            fmt(s[v].p50, 1),
            fmt(init(v).p50, 1),
            fmt(summarize(samples[v].map((x) => x.durationMs ?? Number.NaN).filter(Number.isFinite)).p50, 2),
            fmt(outside(v).p50, 1),
          ]),
        },
      ];
      return {
        method: [
          `Function: \`${HANDLERS.echo.trim()}\`, nodejs20.x, 128 MB; one Invoke (lean signed client, new connection) per sample.`,
          '"new function": CreateFunction + wait Active before, DeleteFunction after, both untimed — nothing of the function is warm; its /tmp volume is new.',
          '"after UpdateFunctionConfiguration": an environment variable changes and the function is waited Updated (untimed); the next Invoke needs a new environment while the old idle one is being stopped.',
          'Baseline: the load generator spawns `node invoke.cjs <handler> <event>` (requires the file, awaits the handler, prints the JSON) with a clean environment; time until the result line arrives.',
          "No pre-warmed pool exists yet (issue 4): these are starts from nothing but Lambent's parked launchers.",
        ],
        tables,
        targets: [
          {
            what: 'cold start p50 now (issue 3), new function',
            target: '≤ 80 ms',
            measured: `${fmt(s.fresh.p50, 1)} ms (p99 ${fmt(s.fresh.p99, 1)} ms; baseline node spawn ${fmt(s.baseline.p50, 1)} ms)`,
            met: s.fresh.p50 <= 80,
          },
          {
            what: 'cold start with the pre-warmed pool (DESIGN.md; pool not built yet)',
            target: 'p50 ≤ 10 ms, p99 ≤ 40 ms',
            measured: `without a pool: p50 ${fmt(s.fresh.p50, 1)} ms, p99 ${fmt(s.fresh.p99, 1)} ms`,
            met: s.fresh.p50 <= 10 && s.fresh.p99 <= 40,
          },
        ],
        notes,
        data: {
          samples,
          summary: s,
          initP50: { fresh: init('fresh'), updated: init('updated') },
          p50Ratio: round(s.fresh.p50 / s.baseline.p50, 3),
        },
      };
    } finally {
      fns.close();
      await server.stop();
    }
  },
};
