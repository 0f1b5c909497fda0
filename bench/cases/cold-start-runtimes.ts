/**
 * Cold start per runtime pool: for each runtime with a pool of pre-started sandboxes
 * (nodejs20.x on the host's Node, nodejs22.x and nodejs24.x on npm's builds, python3.12 on
 * the nearest installed Python), an Invoke of a new function beside spawning that same
 * interpreter on the same handler, in the same run. Only the Invoke (or the spawn) is timed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRuntimeCatalog, type LanguageRuntime } from '../../src/invoke/runtimes.js';
import { parseConfig } from '../../src/shared/config.js';
import { startLambent } from '../lib/children.js';
import type { BenchCase, BenchContext, Table } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { CLEAN_ENV, HANDLERS } from '../lib/handlers.js';
import { interleave } from '../lib/interleave.js';
import type { LoadResult, OnceResult } from '../lib/jobs.js';
import { type FunctionOptions, Functions, invokeTarget } from '../lib/lambda.js';
import { ratio, summarize } from '../lib/stats.js';

const PAYLOAD = '{"hello":"world"}';
const RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'python3.12'] as const;
type Runtime = (typeof RUNTIMES)[number];

const PY_HANDLER = 'def handler(event, context):\n    return event\n';
/** `python3 invoke_once.py <handler file> <event>`: the Python twin of handlers' invoke.cjs. */
const PY_INVOKE_ONCE = `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
sys.stdout.write(json.dumps(app.handler(json.loads(sys.argv[2]), None), separators=(",", ":")) + "\\n")
`;

interface PoolCounters {
  name: string;
  size: number;
  ready: number;
  taken: number;
}

interface Sample {
  ms: number;
  initMs?: number;
  pooled?: boolean;
}

async function pools(url: string): Promise<PoolCounters[]> {
  const res = await fetch(`${url}/_lambent/health`);
  const doc = (await res.json()) as { parts?: { sandbox?: { pools?: PoolCounters[] } } };
  return doc.parts?.sandbox?.pools ?? [];
}

export const coldStartRuntimes: BenchCase = {
  name: 'cold-start-runtimes',
  title: 'Cold start per runtime pool (Node 20/22/24, Python), each beside spawning its own interpreter',
  async run(ctx: BenchContext) {
    // The server and this case must agree on where Node builds live: the cache directory is given to both.
    const { cacheDir } = parseConfig({ port: 0, dataDir: ctx.workDir });
    const catalog = createRuntimeCatalog({
      dataDir: path.join(ctx.workDir, 'catalog'),
      cacheDir,
      runtimeInstall: true,
    });
    // Installs a missing Node major now (untimed), so that the server's first activation does
    // not wait for npm; a runtime nothing can serve here (no registry access) is left out, and said.
    const notes: string[] = [];
    const langs: Partial<Record<Runtime, LanguageRuntime>> = {};
    for (const r of RUNTIMES) {
      try {
        langs[r] = await catalog.ensure(r);
      } catch (err) {
        notes.push(`${r} is not measured: ${(err as Error).message}`);
      }
    }
    const measured = RUNTIMES.filter((r) => langs[r]);
    const server = await startLambent(ctx.workDir, { cacheDir });
    const fns = new Functions(server.url);
    const pyDir = path.join(ctx.workDir, 'handlers', 'python');
    fs.mkdirSync(pyDir, { recursive: true });
    const pyHandler = path.join(pyDir, 'app.py');
    fs.writeFileSync(pyHandler, PY_HANDLER);
    const pyInvokeOnce = path.join(pyDir, 'invoke_once.py');
    fs.writeFileSync(pyInvokeOnce, PY_INVOKE_ONCE);
    const python = (r: Runtime) => r.startsWith('python');
    const fnOptions = (r: Runtime): FunctionOptions =>
      python(r) ? { runtime: r, handler: 'app.handler', files: { 'app.py': PY_HANDLER } } : { runtime: r };
    let poolNotFull = 0;
    let seq = 0;
    try {
      /** Untimed: every pool full (a refill after the previous sample must not overlap this one). */
      const allFull = async (): Promise<PoolCounters[]> => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const list = await pools(server.url);
          if (list.every((p) => p.ready >= p.size)) return list;
          if (Date.now() > deadline) {
            poolNotFull++;
            return list;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const lambentOnce = async (r: Runtime): Promise<Sample> => {
        const name = `bench-rt-${r.replace(/\W/g, '')}-${seq++}`;
        await fns.create(name, HANDLERS.echo, fnOptions(r));
        try {
          const pool = langs[r]?.pool;
          const before = (await allFull()).find((p) => p.name === pool);
          const res = await ctx.loadgen.run<OnceResult>({
            kind: 'once',
            target: invokeTarget(server, name, PAYLOAD, { tail: true }),
          });
          const after = (await pools(server.url)).find((p) => p.name === pool);
          if (res.status !== 200 || JSON.stringify(JSON.parse(res.body)) !== PAYLOAD)
            throw new Error(`cold invoke of ${name}: ${res.status} ${res.body.slice(0, 200)}`);
          const tail = Buffer.from(/x-amz-log-result:\s*(\S+)/i.exec(res.head)?.[1] ?? '', 'base64').toString(
            'utf8',
          );
          const init = /Init Duration: ([\d.]+) ms/.exec(tail)?.[1];
          if (!init) throw new Error(`invoke of ${name} was not a cold start (no Init Duration)`);
          return {
            ms: res.latencyMs,
            initMs: Number(init),
            pooled: before !== undefined && after !== undefined && after.taken > before.taken,
          };
        } finally {
          await fns.delete(name);
        }
      };
      const spawnOnce = async (r: Runtime): Promise<Sample> => {
        await allFull();
        const exe = langs[r]?.executable as string;
        const args = python(r)
          ? ['-s', pyInvokeOnce, pyHandler, PAYLOAD]
          : [ctx.handlers.invokeOnce, ctx.handlers.files.echo, PAYLOAD];
        const res = await ctx.loadgen.run<LoadResult>({
          kind: 'spawn',
          command: exe,
          args,
          env: { ...CLEAN_ENV },
          n: 1,
          timeoutMs: 10_000,
        });
        if (res.errors) throw new Error(`spawn ${exe} ${args.join(' ')}: ${res.firstError}`);
        return { ms: res.latency.p50 };
      };

      // Each runtime's first function activates it (a new Node major adds its pool) and pays
      // the one-off costs of its first sandbox: not part of any sample.
      for (const r of measured) {
        await lambentOnce(r);
        await spawnOnce(r);
      }
      const variants = measured.flatMap((r) => [`spawn ${r}`, `invoke ${r}`]);
      const reps = ctx.size(25, 2);
      ctx.log(`cold-start-runtimes: ${reps} reps × ${variants.length} variants`);
      const samples = await interleave(variants, reps, (v) => {
        const [kind, r] = v.split(' ') as ['spawn' | 'invoke', Runtime];
        return kind === 'spawn' ? spawnOnce(r) : lambentOnce(r);
      });
      const summary = Object.fromEntries(
        variants.map((v) => [v, summarize((samples[v] ?? []).map((x) => x.ms))]),
      );
      const s = (kind: 'spawn' | 'invoke', r: Runtime) =>
        summary[`${kind} ${r}`] as ReturnType<typeof summarize>;
      const served = (r: Runtime) => samples[`invoke ${r}`]?.filter((x) => x.pooled).length ?? 0;
      const init = (r: Runtime) =>
        summarize((samples[`invoke ${r}`] ?? []).map((x) => x.initMs ?? Number.NaN).filter(Number.isFinite));
      const finalPools = await pools(server.url);
      const tables: Table[] = [
        {
          title: `Cold Invoke of a new function per runtime, pool on (${reps} samples each, interleaved), beside spawning the same interpreter`,
          columns: [
            'runtime',
            'interpreter (pool)',
            'spawn p50 ms',
            'Invoke p50 ms',
            'Invoke p90 ms',
            'Invoke p99 ms',
            'Init Duration p50 ms',
            'p50 ratio to spawn',
            'served by the pool',
          ],
          rows: measured.map((r) => [
            r,
            `${langs[r]?.version} ${langs[r]?.source} (${langs[r]?.pool})`,
            fmt(s('spawn', r).p50, 1),
            fmt(s('invoke', r).p50, 1),
            fmt(s('invoke', r).p90, 1),
            fmt(s('invoke', r).p99, 1),
            fmt(init(r).p50, 1),
            fmtRatio(ratio(s('invoke', r).p50, s('spawn', r).p50)),
            `${served(r)}/${reps}`,
          ]),
        },
      ];
      return {
        method: [
          `Functions: \`${HANDLERS.echo.trim()}\` (Node) and \`${PY_HANDLER.trim().replace(/\n\s*/g, ' ')}\` (Python), 128 MB; one Invoke (lean signed client, new connection) per sample; CreateFunction + wait Active before and DeleteFunction after, untimed.`,
          'Spawn: the load generator starts the interpreter that serves the runtime (the same executable, clean environment) on the same handler file: `node invoke.cjs <handler> <event>` or `python3 -s invoke_once.py <handler> <event>`, until the result line arrives.',
          `Pools: the default sizes (${finalPools.map((p) => `${p.name} ${p.size}`).join(', ')}); before each sample (spawn or Invoke) the case waits, untimed, until every pool is full. A runtime's first function (untimed) makes its interpreter's pool.`,
          `Pool not full after 10 s of waiting before a sample: ${poolNotFull} times.`,
        ],
        tables,
        targets: measured.map((r) => ({
          what: `cold start with the pool, ${r}`,
          target: 'p50 ≤ 10 ms',
          measured: `p50 ${fmt(s('invoke', r).p50, 1)} ms, p99 ${fmt(s('invoke', r).p99, 1)} ms (${served(r)}/${reps} served by the pool; spawn p50 ${fmt(s('spawn', r).p50, 1)} ms)`,
          met: s('invoke', r).p50 <= 10 && served(r) === reps,
        })),
        notes,
        data: { samples, summary, poolNotFull, pools: finalPools },
      };
    } finally {
      fns.close();
      await server.stop();
    }
  },
};
