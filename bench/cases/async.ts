/**
 * Asynchronous invocations: Event Invokes accepted per second (closed loop, several clients)
 * and the end-to-end time from sending each event until its handler ran, read back through
 * the CloudWatch Logs API (FilterLogEvents on /aws/lambda/<name>). Beside it: a bare Node
 * server that stores each event in SQLite (WAL, synchronous=NORMAL: the durability Lambent
 * promises) before its 202 and runs the handler in-process from that table.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { type ServerProcess, startBaseline, startLambent } from '../lib/children.js';
import type { BenchCase, BenchContext, Table } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { HANDLERS } from '../lib/handlers.js';
import { interleave, pairedRatio } from '../lib/interleave.js';
import type { LoadResult } from '../lib/jobs.js';
import { Functions, invokeTarget } from '../lib/lambda.js';
import { sandboxDescription } from '../lib/machine.js';
import { median, round, type Summary, summarize } from '../lib/stats.js';

const FN = 'bench-async';
const LINE = /bench-done (\S+) (\d+) (\d+) (\d+)/;

interface RunOutcome {
  accept: LoadResult;
  /** Events found run (distinct seq). */
  ran: number;
  lost: number;
  duplicates: number;
  /** Sent → handler ran, per event. */
  e2e: Summary;
  /** Events run per second, from the first send to the last run. */
  executedPerSec: number;
  /** From the end of sending until the last event ran. */
  drainMs: number;
}

export const asyncInvoke: BenchCase = {
  name: 'async',
  title: 'Asynchronous (Event) invocations',
  async run(ctx: BenchContext) {
    const lambent = await startLambent(ctx.workDir);
    const baseline = await startBaseline(
      ctx.workDir,
      ctx.handlers.files.record,
      path.join(ctx.workDir, `baseline-queue-${Date.now()}.db`),
    );
    const fns = new Functions(lambent.url);
    ctx.machine.sandbox ??= await sandboxDescription(lambent.url);
    const queueDb = new Database(path.join(lambent.dataDir, 'lambent.db'), {
      readonly: true,
      fileMustExist: true,
    });
    let runSeq = 0;
    try {
      await fns.create(FN, HANDLERS.record);

      const collect = async (
        v: 'baseline' | 'lambent',
        runId: string,
        expected: number,
      ): Promise<Array<[number, number, number]>> => {
        // The queue must drain (4 min at most); after that, log lines get 10 s to arrive.
        let deadline = Date.now() + 240_000;
        if (v === 'lambent') {
          // Cheap drain check first (rows of the queue table), then the Logs API for the truth.
          const pending = queueDb.prepare('SELECT COUNT(*) AS n FROM invoke_async_events');
          while ((pending.get() as { n: number }).n > 0 && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 100));
          }
          deadline = Date.now() + 10_000;
        }
        for (;;) {
          let lines: string[];
          if (v === 'lambent') {
            lines = await fns.filterAll(`/aws/lambda/${FN}`, `"bench-done ${runId}"`);
          } else {
            const res = await fetch(`${baseline.url}/_bench/lines`);
            lines = ((await res.json()) as { lines: string[] }).lines;
          }
          const parsed = lines
            .map((l) => LINE.exec(l))
            .filter((m): m is RegExpExecArray => m !== null && m[1] === runId)
            .map((m) => [Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number]);
          if (parsed.length >= expected || Date.now() > deadline) return parsed;
          await new Promise((r) => setTimeout(r, 100));
        }
      };

      const runOnce = async (
        v: 'baseline' | 'lambent',
        load: (t: ReturnType<typeof invokeTarget>) => Promise<LoadResult>,
      ): Promise<RunOutcome> => {
        const runId = `r${runSeq++}x${Date.now().toString(36)}`;
        const server: ServerProcess = v === 'lambent' ? lambent : baseline;
        const body = `{"run":"${runId}","seq":{seq},"sent":{now}}`;
        const accept = await load(invokeTarget(server, FN, body, { type: 'Event' }));
        const sentEnd = Date.now();
        const rows = await collect(v, runId, accept.ok);
        const seqs = new Set(rows.map((r) => r[0]));
        const firstSent = Math.min(...rows.map((r) => r[1]));
        const lastRan = Math.max(...rows.map((r) => r[2]));
        return {
          accept,
          ran: seqs.size,
          lost: Math.max(0, accept.ok - seqs.size),
          duplicates: rows.length - seqs.size,
          e2e: summarize(rows.map((r) => r[2] - r[1])),
          executedPerSec: round((rows.length * 1000) / Math.max(1, lastRan - firstSent), 0),
          drainMs: Math.max(0, lastRan - sentEnd),
        };
      };

      const clients = 16;
      const dur = ctx.size(3000, 300);
      const reps = ctx.size(3, 1);
      // Warm-up (not recorded): Lambent starts the environments its 16 parallel runs need.
      ctx.log('async: warm-up');
      for (const v of ['baseline', 'lambent'] as const) {
        await runOnce(v, (target) =>
          ctx.loadgen.run<LoadResult>({
            kind: 'closed',
            target,
            concurrency: clients,
            durationMs: ctx.size(1000, 200),
            warmupMs: 0,
          }),
        );
      }
      ctx.log(`async: accept rate, closed loop, ${clients} clients, ${reps} reps × ${dur} ms`);
      const closed = await interleave(['baseline', 'lambent'] as const, reps, (v) =>
        runOnce(v, (target) =>
          ctx.loadgen.run<LoadResult>({
            kind: 'closed',
            target,
            concurrency: clients,
            durationMs: dur,
            warmupMs: 0,
          }),
        ),
      );
      const lambentExec = median(closed.lambent.map((r) => r.executedPerSec));
      const rate = ctx.size(Math.max(20, Math.min(200, Math.floor(lambentExec / 2 / 10) * 10)), 20);
      ctx.log(`async: end-to-end at a fixed ${rate}/s`);
      const open = await interleave(['baseline', 'lambent'] as const, reps, (v) =>
        runOnce(v, (target) =>
          ctx.loadgen.run<LoadResult>({
            kind: 'open',
            target,
            rate,
            durationMs: dur,
            warmupMs: 0,
            maxConnections: 32,
          }),
        ),
      );

      const row = (title: string, rs: RunOutcome[]) => [
        title,
        fmt(median(rs.map((r) => r.accept.rps)), 0),
        fmt(median(rs.map((r) => r.accept.latency.p50)), 2),
        fmt(median(rs.map((r) => r.accept.latency.p99)), 2),
        fmt(median(rs.map((r) => r.executedPerSec)), 0),
        fmt(median(rs.map((r) => r.e2e.p50)), 0),
        fmt(median(rs.map((r) => r.e2e.p99)), 0),
        fmt(median(rs.map((r) => r.drainMs)), 0),
        `${rs.reduce((a, r) => a + r.accept.ok, 0)} / ${rs.reduce((a, r) => a + r.lost, 0)} / ${rs.reduce((a, r) => a + r.duplicates, 0)}`,
      ];
      const columns = [
        'variant',
        'accepted/s',
        'accept p50 ms',
        'accept p99 ms',
        'run/s (first sent → last ran)',
        'sent → ran p50 ms',
        'sent → ran p99 ms',
        'drain after last send ms',
        'accepted / lost / duplicates',
      ];
      const acceptRatio = pairedRatio(
        closed.lambent.map((r) => r.accept.rps),
        closed.baseline.map((r) => r.accept.rps),
      );
      const tables: Table[] = [
        {
          title: `Saturation: closed loop, ${clients} clients sending Event Invokes for ${dur} ms (medians over ${reps} reps; the queue backs up, so sent → ran is mostly waiting)`,
          columns,
          rows: [
            row('baseline: bare server + SQLite queue + handler in-process', closed.baseline),
            row('Lambent', closed.lambent),
          ],
        },
        {
          title: `Steady: open loop at ${rate} events/s for ${dur} ms (below what both can run, so sent → ran is the pipeline's own latency)`,
          columns,
          rows: [row('baseline', open.baseline), row('Lambent', open.lambent)],
        },
      ];
      const accepted = median(closed.lambent.map((r) => r.accept.rps));
      const lost = [...closed.lambent, ...open.lambent].reduce((a, r) => a + r.lost, 0);
      return {
        method: [
          `Function \`${FN}\`: \`${HANDLERS.record.trim()}\`; each event's payload carries a run id, a sequence number and its send time (ms).`,
          "Accepted/s: signed `X-Amz-Invocation-Type: Event` Invokes answered 202, closed loop. Ran: the handler's log lines, read back with FilterLogEvents on `/aws/lambda/bench-async` (all pages) once the queue is empty (the drain is detected by counting rows of the queue table in a read-only connection to Lambent's SQLite file, which is cheaper than polling the Logs API). The baseline keeps its handler's lines in memory.",
          `Sent → ran: handler's Date.now() minus the send time in the payload (one clock: same host). Lambent runs up to ${16} queued events at once (config lambda.asyncConcurrency), each needing its own environment, and gives a function another parallel run only once its newest run has gone on for 10 ms (so this quick handler keeps to a few warm environments); the baseline runs 16 at once in-process.`,
          "A warm-up run per variant (not recorded) comes first, so Lambent's 16 parallel runs find warm environments.",
          'Not measured here: runs across kill -9 (the integration tests cover durability).',
        ],
        tables,
        targets: [
          {
            what: 'async events accepted per second (DESIGN.md; issue 4 optimises)',
            target: '≥ 5,000/s',
            measured: `${fmt(accepted, 0)}/s (${fmtRatio(acceptRatio)} of the SQLite-backed baseline)`,
            met: accepted >= 5000,
          },
          {
            what: 'async: each accepted event runs (none lost)',
            target: '0 lost',
            measured: `${lost} lost of ${[...closed.lambent, ...open.lambent].reduce((a, r) => a + r.accept.ok, 0)}`,
            met: lost === 0,
          },
        ],
        notes: [],
        data: { closed, open, rate, clients },
      };
    } finally {
      queueDb.close();
      fns.close();
      await Promise.all([lambent.stop(), baseline.stop()]);
    }
  },
};
