/**
 * Where the gateway process spends its CPU during warm invokes: a V8 CPU profile of a
 * separate Lambent (so the profiler does not slow the measured runs), recorded only while
 * the load runs, self time grouped by source file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startLambent } from '../lib/children.js';
import type { BenchContext, Table } from '../lib/context.js';
import { fmt } from '../lib/context.js';
import { HANDLERS } from '../lib/handlers.js';
import type { LoadResult } from '../lib/jobs.js';
import { Functions, invokeTarget } from '../lib/lambda.js';
import { round } from '../lib/stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function profileWarmInvoke(
  ctx: BenchContext,
  fn: string,
  payload: string,
): Promise<{ tables: Table[]; data: unknown }> {
  ctx.log('warm-invoke: CPU profile of the gateway process (separate server)');
  const concurrency = 4;
  const server = await startLambent(ctx.workDir);
  const fns = new Functions(server.url);
  try {
    await fns.create(fn, HANDLERS.echo);
    const target = invokeTarget(server, fn, payload);
    await ctx.loadgen.run<LoadResult>({ kind: 'closed', target, concurrency, durationMs: 1500, warmupMs: 0 });
    await server.ask({ profile: 'start' }, 'profiling');
    const r = await ctx.loadgen.run<LoadResult>({
      kind: 'closed',
      target,
      concurrency,
      durationMs: 3000,
      warmupMs: 0,
    });
    const file = path.join(ctx.workDir, 'gateway.cpuprofile');
    await server.ask({ profile: 'stop', file }, 'profiled');
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    // A sample belongs to the nearest Lambent source file on its stack (its own code plus the
    // library, Node and native calls it makes); samples with none (HTTP parsing, timers, GC)
    // to their own frame's group.
    const owner = new Map<number, string>();
    const ownerOf = (id: number): string => {
      const known = owner.get(id);
      if (known) return known;
      let at: number | undefined = id;
      let found: string | undefined;
      while (at !== undefined) {
        const url = byNode.get(at)?.callFrame.url ?? '';
        if (url.includes('/dist/src/')) {
          found = groupOf(url, '');
          break;
        }
        at = parent.get(at);
      }
      const node = byNode.get(id) as ProfileNode;
      const group = found ?? groupOf(node.callFrame.url, node.callFrame.functionName);
      owner.set(id, group);
      return group;
    };
    const byGroup = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let busyUs = 0;
    profile.samples.forEach((id, i) => {
      const node = byNode.get(id);
      const dt = profile.timeDeltas[i] ?? 0;
      if (!node || node.callFrame.functionName === '(idle)') return;
      busyUs += dt;
      const group = ownerOf(id);
      byGroup.set(group, (byGroup.get(group) ?? 0) + dt);
      const own = node.callFrame.url ? '' : ` ← ${group}`;
      const fnKey = `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : own}`;
      byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + dt);
    });
    const requests = Math.max(1, r.ok);
    const groups = [...byGroup.entries()].sort((a, b) => b[1] - a[1]);
    const top = groups.slice(0, 14);
    const rest = groups.slice(14).reduce((a, [, v]) => a + v, 0);
    const rows: Array<Array<string | number>> = top.map(([g, us]) => [
      g,
      fmt((100 * us) / busyUs, 1),
      fmt(us / requests, 1),
    ]);
    if (rest) rows.push(['(everything else)', fmt((100 * rest) / busyUs, 1), fmt(rest / requests, 1)]);
    rows.push(['**total busy (non-idle) gateway CPU**', '100.0', fmt(busyUs / requests, 1)]);
    const topFunctions = [...byFunction.entries()].sort((a, b) => b[1] - a[1]);
    return {
      tables: [
        {
          title: `Where the gateway process's CPU goes in a warm invoke (V8 CPU profile of a separate server, ${requests} invokes at concurrency ${concurrency} in ${fmt(r.elapsedMs / 1000, 1)} s; each sample charged to the nearest Lambent source file on its stack, i.e. its own code plus the library, Node and native calls it makes; the profiler inflates absolute numbers)`,
          columns: [
            'nearest Lambent source file on the stack (else the frame itself)',
            '% of busy',
            'µs per invoke',
          ],
          rows,
        },
        {
          title:
            'The same profile: functions with the most self time (native ones marked with the Lambent file that called them)',
          columns: ['function', '% of busy', 'µs per invoke'],
          rows: topFunctions
            .slice(0, 12)
            .map(([f, us]) => [f, fmt((100 * us) / busyUs, 1), fmt(us / requests, 1)]),
        },
      ],
      data: {
        requests,
        rps: r.rps,
        busyUsPerInvoke: round(busyUs / requests, 1),
        groups: Object.fromEntries(groups.map(([g, us]) => [g, round(us / requests, 1)])),
        topFunctions: topFunctions.slice(0, 40).map(([f, us]) => ({
          function: f,
          usPerInvoke: round(us / requests, 1),
          pct: round((100 * us) / busyUs, 1),
        })),
      },
    };
  } finally {
    fns.close();
    await server.stop();
  }
}

function shortUrl(url: string): string {
  const at = url.indexOf('/dist/');
  if (at >= 0) return url.slice(at + 6);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  return url;
}

function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  if (url.startsWith('node:')) return url;
  const at = url.indexOf('/dist/');
  if (at >= 0) return url.slice(at + 6).replace(/\.js$/, '');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return `npm: ${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  return url;
}
