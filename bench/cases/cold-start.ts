/**
 * Cold start: Invoke of a function with no warm environment, with the pool of pre-started
 * sandboxes (default settings) and without it (a second server, pool size 0), beside spawning
 * `node` on the same handler file directly, and lambda-local's CLI. Only the Invoke call is
 * timed; deploying and deleting functions, and waiting for the pool to refill, happen outside it.
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

type Variant = 'baseline' | 'fresh' | 'updated' | 'fresh-nopool' | 'updated-nopool' | 'lambda-local';
type LambentVariant = 'fresh' | 'updated' | 'fresh-nopool' | 'updated-nopool';

interface Sample {
  ms: number;
  initMs?: number;
  durationMs?: number;
  /** Served by a pre-started sandbox (the server's pool counter moved). */
  pooled?: boolean;
}

interface PoolCounters {
  name: string;
  size: number;
  ready: number;
  taken: number;
}

async function nodePool(url: string): Promise<PoolCounters | undefined> {
  const res = await fetch(`${url}/_lambent/health`);
  const doc = (await res.json()) as { parts?: { sandbox?: { pools?: PoolCounters[] } } };
  return doc.parts?.sandbox?.pools?.find((p) => p.name.startsWith('nodejs'));
}

export const coldStart: BenchCase = {
  name: 'cold-start',
  title: 'Cold start (no warm environment), with and without the pool of pre-started sandboxes',
  async run(ctx: BenchContext) {
    const server = await startLambent(ctx.workDir);
    const nopool = await startLambent(ctx.workDir, { lambda: { prewarmPoolSize: 0 } });
    const fns = new Functions(server.url);
    const fnsNopool = new Functions(nopool.url);
    ctx.machine.sandbox ??= await sandboxDescription(server.url);
    let poolNotFull = 0;
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
      await fnsNopool.create('bench-cold-updated', HANDLERS.echo, { env: { GEN: '0' } });

      /** Untimed: a cold start of the pooled server finds its pool full, as a sporadic one would. */
      const poolFull = async (): Promise<PoolCounters | undefined> => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const pool = await nodePool(server.url);
          if (!pool || pool.ready >= pool.size) return pool;
          if (Date.now() > deadline) {
            poolNotFull++;
            return pool;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      };

      const lambentOnce = async (name: string, pooled: boolean): Promise<Sample> => {
        const target = pooled ? server : nopool;
        // Every sample starts with the pooled server at rest (its pool full): its background
        // refill after a pooled sample must not overlap the next sample of the other server.
        const full = await poolFull();
        const before = pooled ? full : undefined;
        const r = await ctx.loadgen.run<OnceResult>({
          kind: 'once',
          target: invokeTarget(target, name, PAYLOAD, { tail: true }),
        });
        const after = pooled ? await nodePool(server.url) : undefined;
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
          pooled: before !== undefined && after !== undefined && after.taken > before.taken,
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
          case 'fresh':
          case 'fresh-nopool': {
            const f = v === 'fresh' ? fns : fnsNopool;
            const name = `bench-cold-${seq++}`;
            await f.create(name, HANDLERS.echo);
            try {
              return await lambentOnce(name, v === 'fresh');
            } finally {
              await f.delete(name);
            }
          }
          case 'updated':
          case 'updated-nopool': {
            // A new configuration: the next invoke needs a new environment; the old one is retired during it.
            const f = v === 'updated' ? fns : fnsNopool;
            await f.setEnv('bench-cold-updated', { GEN: String(++updates) });
            return lambentOnce('bench-cold-updated', v === 'updated');
          }
        }
      };

      // The very first sandbox of a server pays one-off costs: not part of any sample.
      await once('fresh');
      await once('fresh-nopool');
      await once('baseline');
      const variants: Variant[] = [
        'baseline',
        'fresh',
        'updated',
        'fresh-nopool',
        'updated-nopool',
        ...(peerCli ? (['lambda-local'] as const) : []),
      ];
      const reps = ctx.size(25, 2);
      ctx.log(`cold-start: ${reps} reps × ${variants.length} variants`);
      const samples = await interleave(variants, reps, (v) => once(v));

      const label: Record<Variant, string> = {
        baseline: 'baseline: spawn `node` on the handler file, until its result is printed',
        fresh: 'Lambent Invoke, new function (never run before), pool on',
        updated:
          'Lambent Invoke after UpdateFunctionConfiguration (old environment retired meanwhile), pool on',
        'fresh-nopool': 'Lambent Invoke, new function, no pool (size 0)',
        'updated-nopool': 'Lambent Invoke after UpdateFunctionConfiguration, no pool (size 0)',
        'lambda-local': 'peer: `lambda-local` CLI (spawn, until its result is printed)',
      };
      const lambentVariants: LambentVariant[] = ['fresh', 'updated', 'fresh-nopool', 'updated-nopool'];
      const pooledShare = (v: LambentVariant) =>
        `${samples[v].filter((x) => x.pooled).length}/${samples[v].length}`;
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
            'served by the pool',
          ],
          rows: lambentVariants.map((v) => [
            v,
            fmt(s[v].p50, 1),
            fmt(init(v).p50, 1),
            fmt(summarize(samples[v].map((x) => x.durationMs ?? Number.NaN).filter(Number.isFinite)).p50, 2),
            fmt(outside(v).p50, 1),
            v.endsWith('nopool') ? '—' : pooledShare(v),
          ]),
        },
      ];
      return {
        method: [
          `Function: \`${HANDLERS.echo.trim()}\`, nodejs20.x, 128 MB; one Invoke (lean signed client, new connection) per sample.`,
          '"new function": CreateFunction + wait Active before, DeleteFunction after, both untimed — nothing of the function is warm; its /tmp volume is new.',
          '"after UpdateFunctionConfiguration": an environment variable changes and the function is waited Updated (untimed); the next Invoke needs a new environment while the old idle one is being stopped.',
          'Baseline: the load generator spawns `node invoke.cjs <handler> <event>` (requires the file, awaits the handler, prints the JSON) with a clean environment; time until the result line arrives.',
          'Pool on: the default pool (2 Node, 1 Python sandboxes started ahead of time, runtime booted, no function); before each sample (of either server) the case waits, untimed, until the Node pool is full again (a cold start that follows another within ~100 ms may find it empty and start normally). A second server with `prewarmPoolSize: 0` gives the starts without a pool (parked launchers only), interleaved in the same run.',
          `Pool not full after 10 s of waiting before a sample: ${poolNotFull} times.`,
        ],
        tables,
        targets: [
          {
            what: 'cold start p50 without the pool (issue 3), new function',
            target: '≤ 80 ms',
            measured: `${fmt(s['fresh-nopool'].p50, 1)} ms (p99 ${fmt(s['fresh-nopool'].p99, 1)} ms; baseline node spawn ${fmt(s.baseline.p50, 1)} ms)`,
            met: s['fresh-nopool'].p50 <= 80,
          },
          {
            what: 'cold start with the pool of pre-started sandboxes (issue 4), new function',
            target: 'p50 ≤ 10 ms, p99 ≤ 40 ms',
            measured: `p50 ${fmt(s.fresh.p50, 1)} ms, p99 ${fmt(s.fresh.p99, 1)} ms (${pooledShare('fresh')} served by the pool; after an update: p50 ${fmt(s.updated.p50, 1)} ms, p99 ${fmt(s.updated.p99, 1)} ms)`,
            met: s.fresh.p50 <= 10 && s.fresh.p99 <= 40,
          },
        ],
        notes,
        data: {
          samples,
          summary: s,
          initP50: Object.fromEntries(lambentVariants.map((v) => [v, init(v)])),
          p50Ratio: round(s.fresh.p50 / s.baseline.p50, 3),
          poolNotFull,
        },
      };
    } finally {
      fns.close();
      fnsNopool.close();
      await Promise.all([server.stop(), nopool.stop()]);
    }
  },
};
