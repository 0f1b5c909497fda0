/**
 * Density: N idle warm Node environments held at once, memory per environment from their
 * cgroups, from the processes' proportional set size and from the host (MemAvailable), and
 * what that makes per GB. Beside it: N bare `node` processes that loaded the same handler and
 * sit idle.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { parseConfig } from '../../src/shared/config.js';
import { startLambent } from '../lib/children.js';
import type { BenchCase, BenchContext, Table } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { CLEAN_ENV, HANDLERS } from '../lib/handlers.js';
import { interleave } from '../lib/interleave.js';
import type { LoadResult } from '../lib/jobs.js';
import { Functions, invokeTarget } from '../lib/lambda.js';
import { memUsedMb, sandboxDescription } from '../lib/machine.js';
import { environmentCgroups, pssMb, rssMb } from '../lib/proc.js';
import { median, ratio, round } from '../lib/stats.js';

const SETTLE_MS = 2000;

interface Sample {
  n: number;
  /** Environments (or processes) found holding memory when measured. */
  held: number;
  hostDeltaMb: number;
  pssMb: number;
  rssMb: number;
  cgroupUsageMb?: number;
  cgroupRssMb?: number;
  cgroupCacheMb?: number;
  gatewayRssGrowthMb?: number;
  /** What Lambent's memory ceiling counts for the held environments (health: invoke.memoryMb). */
  chargedMb?: number;
  errors?: number;
}

const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

/** Host "used" memory: the median of 5 readings 200 ms apart. */
async function usedMb(): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i) await new Promise((r) => setTimeout(r, 200));
    readings.push(memUsedMb());
  }
  return median(readings);
}

/**
 * What holding the environments adds to the host's "used" memory: the level while held
 * minus the mean of the levels just before and just after (after release), which cancels
 * slow drift from anything else on the host.
 */
const hostHeld = (before: number, held: number, after: number) => held - (before + after) / 2;

export const density: BenchCase = {
  name: 'density',
  title: 'Density: idle warm Node environments',
  async run(ctx: BenchContext) {
    const n = ctx.size(50, 5);
    // No pre-started sandboxes: only the function's environments hold node processes.
    const server = await startLambent(ctx.workDir, { lambda: { prewarmPoolSize: 0 } });
    const fns = new Functions(server.url);
    const chargedMb = async () =>
      (
        (await (await fetch(`${server.url}/_lambent/health`)).json()) as {
          parts: { invoke: { memoryMb: number } };
        }
      ).parts.invoke.memoryMb;
    ctx.machine.sandbox ??= await sandboxDescription(server.url);
    let seq = 0;
    try {
      const lambentOnce = async (): Promise<Sample> => {
        const name = `bench-density-${seq++}`;
        await fns.create(name, HANDLERS.sleep, { timeoutS: 60 });
        let sample: Omit<Sample, 'hostDeltaMb'> & { usedHeld: number };
        await settle();
        const gw0 = rssMb(server.pid);
        const before = await usedMb();
        try {
          const r = await ctx.loadgen.run<LoadResult>({
            kind: 'burst',
            target: invokeTarget(server, name, '{"ms":500}'),
            n,
            timeoutMs: 120_000,
          });
          await settle(); // idle: every environment frozen
          const cgroups = environmentCgroups(server.pid, 'node');
          const pids = cgroups.flatMap((c) => c.pids);
          sample = {
            n,
            held: cgroups.length,
            usedHeld: await usedMb(),
            pssMb: pids.reduce((a, p) => a + pssMb(p), 0),
            rssMb: pids.reduce((a, p) => a + rssMb(p), 0),
            cgroupUsageMb: cgroups.reduce((a, c) => a + c.usageMb, 0),
            cgroupRssMb: cgroups.reduce((a, c) => a + c.rssMb, 0),
            cgroupCacheMb: cgroups.reduce((a, c) => a + c.cacheMb, 0),
            gatewayRssGrowthMb: rssMb(server.pid) - gw0,
            chargedMb: await chargedMb(),
            errors: r.errors,
          };
        } finally {
          await fns.delete(name);
        }
        await settle();
        const { usedHeld, ...rest } = sample;
        return { ...rest, hostDeltaMb: hostHeld(before, usedHeld, await usedMb()) };
      };
      const baselineOnce = async (): Promise<Sample> => {
        await settle();
        const before = await usedMb();
        const children: ChildProcess[] = [];
        let sample: Omit<Sample, 'hostDeltaMb'> & { usedHeld: number };
        try {
          await Promise.all(
            Array.from({ length: n }, () => {
              const child = spawn(process.execPath, [ctx.handlers.idle, ctx.handlers.files.sleep], {
                env: CLEAN_ENV,
                stdio: ['ignore', 'pipe', 'inherit'],
              });
              children.push(child);
              return new Promise<void>((resolve, reject) => {
                child.stdout?.once('data', () => resolve());
                child.once('exit', (code) => reject(new Error(`idle node exited with ${code}`)));
              });
            }),
          );
          await settle();
          const pids = children.map((c) => c.pid ?? 0);
          sample = {
            n,
            held: children.length,
            usedHeld: await usedMb(),
            pssMb: pids.reduce((a, p) => a + pssMb(p), 0),
            rssMb: pids.reduce((a, p) => a + rssMb(p), 0),
          };
        } finally {
          for (const c of children) c.kill('SIGKILL');
          await Promise.all(
            children.map((c) =>
              c.exitCode === null && c.signalCode === null
                ? new Promise((r) => c.once('exit', r))
                : undefined,
            ),
          );
        }
        await settle();
        const { usedHeld, ...rest } = sample;
        return { ...rest, hostDeltaMb: hostHeld(before, usedHeld, await usedMb()) };
      };
      const reps = ctx.size(3, 1);
      ctx.log(`density: ${n} environments, ${reps} reps`);
      const samples = await interleave(['baseline', 'lambent'] as const, reps, (v) =>
        v === 'lambent' ? lambentOnce() : baselineOnce(),
      );

      const per = (xs: Sample[], f: (s: Sample) => number | undefined) =>
        median(xs.map((s) => (f(s) ?? Number.NaN) / s.held));
      const L = samples.lambent;
      const B = samples.baseline;
      const hostPerEnv = per(L, (s) => s.hostDeltaMb);
      const cgPerEnv = per(L, (s) => s.cgroupUsageMb);
      const pssPerEnv = per(L, (s) => s.pssMb);
      const bHost = per(B, (s) => s.hostDeltaMb);
      const bPss = per(B, (s) => s.pssMb);
      const worstPerEnv = Math.max(hostPerEnv, cgPerEnv, pssPerEnv);
      const chargedPerEnv = per(L, (s) => s.chargedMb);
      const perGb = (mb: number) => round(1024 / mb, 1);
      const in16 = (mb: number) => Math.floor((16 * 1024) / mb);
      const tables: Table[] = [
        {
          title: `Memory per idle environment, ${n} held (MB; medians over ${reps} reps)`,
          columns: [
            'measure',
            'Lambent',
            'baseline: bare idle `node`',
            'ratio',
            'Lambent envs per GB',
            'Lambent envs in 16 GB',
          ],
          rows: [
            [
              'host: `free`\'s "used" while held minus the mean of before and after ÷ N (everything but page cache: sandboxes, mounts, gateway state, kernel)',
              fmt(hostPerEnv, 1),
              fmt(bHost, 1),
              fmtRatio(ratio(hostPerEnv, bHost)),
              fmt(perGb(hostPerEnv), 1),
              in16(hostPerEnv),
            ],
            [
              'processes: PSS (shared pages split) ÷ N',
              fmt(pssPerEnv, 1),
              fmt(bPss, 1),
              fmtRatio(ratio(pssPerEnv, bPss)),
              fmt(perGb(pssPerEnv), 1),
              in16(pssPerEnv),
            ],
            [
              'processes: RSS ÷ N (shared pages counted each time)',
              fmt(
                per(L, (s) => s.rssMb),
                1,
              ),
              fmt(
                per(B, (s) => s.rssMb),
                1,
              ),
              '',
              '',
              '',
            ],
            [
              'cgroup memory.usage_in_bytes ÷ N (rss + page cache charged to it)',
              fmt(cgPerEnv, 1),
              '—',
              '',
              fmt(perGb(cgPerEnv), 1),
              in16(cgPerEnv),
            ],
            [
              'cgroup rss ÷ N',
              fmt(
                per(L, (s) => s.cgroupRssMb),
                1,
              ),
              '—',
              '',
              '',
              '',
            ],
            [
              'cgroup page cache ÷ N',
              fmt(
                per(L, (s) => s.cgroupCacheMb),
                1,
              ),
              '—',
              '',
              '',
              '',
            ],
            [
              'gateway process RSS growth ÷ N',
              fmt(
                per(L, (s) => s.gatewayRssGrowthMb),
                2,
              ),
              '—',
              '',
              '',
              '',
            ],
          ],
        },
      ];
      const held = Math.min(...L.map((s) => s.held));
      const ceiling = parseConfig({}).lambda.maxMemoryMb;
      const admitted16 = Math.floor((0.8 * 16384) / chargedPerEnv);
      const notes: string[] = [];
      notes.push(
        `Admission: Lambent keeps running environments' MemorySize plus frozen environments' cgroup usage under lambda.maxMemoryMb (default 80 % of RAM, ${ceiling} MB here). Held frozen, each of these environments counted ${fmt(chargedPerEnv, 1)} MB (health's invoke.memoryMb ÷ environments), so the default ceiling of a 16 GB host admits ${admitted16} of them idle; a thawed one counts its 128 MB again (evicting idle ones, least recently used first, when that does not fit).`,
      );
      if (held < n)
        notes.push(
          `Only ${held} of ${n} environments were found holding memory after the burst (errors: ${L.map((s) => s.errors).join(', ')}).`,
        );
      notes.push(
        'Host "used" memory is host-wide: anything else running on the machine during a rep moves it; interleaving and medians damp that, PSS and the cgroups do not depend on it.',
      );
      return {
        method: [
          `${n} concurrent Invokes of \`${HANDLERS.sleep.trim()}\` (500 ms) on a new function (128 MB) make ${n} environments; after ${SETTLE_MS} ms idle (frozen after the 20 ms freeze delay) their memory is read, then the function is deleted.`,
          'Environments are found as the memory cgroups under `lambent/` holding a `node` process that descends from this Lambent server (not parked launchers, not other servers on the host).',
          `Baseline: ${n} \`node idle.cjs <handler>\` processes that required the same handler and idle on a timer (what a warm runtime holds at minimum).`,
        ],
        tables,
        targets: [
          {
            what: 'idle warm Node environments in 16 GB (by the largest of the host, PSS and cgroup measures)',
            target: '≥ 300',
            measured: `${in16(worstPerEnv)} (${fmt(worstPerEnv, 1)} MB each; host ${in16(hostPerEnv)}, PSS ${in16(pssPerEnv)}, cgroup usage ${in16(cgPerEnv)})`,
            met: in16(worstPerEnv) >= 300,
          },
          {
            what: 'idle 128 MB environments Lambent admits in 16 GB with the default memory ceiling (80 % of RAM; frozen ones count their usage)',
            target: '≥ 300',
            measured: `${admitted16} (${fmt(chargedPerEnv, 1)} MB counted per frozen environment)`,
            met: admitted16 >= 300,
          },
        ],
        notes,
        data: samples,
      };
    } finally {
      fns.close();
      await server.stop();
    }
  },
};
