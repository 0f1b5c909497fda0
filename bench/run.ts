/**
 * `npm run bench [-- <case>...] [-- --smoke]`: runs the benchmark cases, each measuring
 * Lambent beside its baseline in the same run, and writes bench/RESULTS.md and
 * bench/results.json (a single-case run replaces only that case's section).
 *
 *   npm run bench                   every case (about 20 minutes on this 2-core machine)
 *   npm run bench -- warm-invoke    one case (or several)
 *   npm run bench -- --smoke        tiny counts, ~2 minutes (1 of them the http peers' npm install): proves the harness works;
 *                                   writes to a scratch directory, not to bench/
 *   --keep                          keep the scratch directory (child logs, CPU profile)
 *   --out <dir>                     write RESULTS.md / results.json there instead
 *
 * Processes: this orchestrator only deploys functions and collects results; Lambent, the
 * baseline server, the peer and the load generator each run in their own process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncInvoke } from './cases/async.js';
import { burst } from './cases/burst.js';
import { coldStart } from './cases/cold-start.js';
import { coldStartRuntimes } from './cases/cold-start-runtimes.js';
import { density } from './cases/density.js';
import { httpCase } from './cases/http.js';
import { iamEval } from './cases/iam-eval.js';
import { sandbox } from './cases/sandbox.js';
import { warmInvoke } from './cases/warm-invoke.js';
import { LoadGen } from './lib/children.js';
import type { BenchCase, BenchContext, CaseResult } from './lib/context.js';
import { writeHandlers } from './lib/handlers.js';
import { describeMachine } from './lib/machine.js';
import { CASE_ORDER, type ResultsFile, readResults, renderMarkdown, writeResults } from './lib/report.js';

const CASES: BenchCase[] = [
  warmInvoke,
  coldStart,
  coldStartRuntimes,
  sandbox,
  burst,
  asyncInvoke,
  density,
  iamEval,
  httpCase,
];

// The SDK's notice that its future versions need Node 22 says nothing about this run.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'NodeVersionSupportWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const smoke = argv.includes('--smoke');
  const keep = argv.includes('--keep');
  const outAt = argv.indexOf('--out');
  const outArg = outAt >= 0 ? argv[outAt + 1] : undefined;
  const names = argv.filter((a, i) => !a.startsWith('--') && !(outAt >= 0 && i === outAt + 1));
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length) {
    process.stderr.write(
      `unknown case ${unknown.join(', ')}; cases: ${CASES.map((c) => c.name).join(', ')}\n`,
    );
    return 2;
  }
  const selected = names.length ? CASES.filter((c) => names.includes(c.name)) : CASES;
  if (process.geteuid?.() !== 0) {
    process.stderr.write(
      'note: not root — Lambent falls back to process sandboxes and the numbers say little\n',
    );
  }

  const started = performance.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-bench-'));
  const machine = describeMachine();
  const loadgen = LoadGen.start(workDir);
  const log = (m: string) =>
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}\n`);
  const ctx: BenchContext = {
    smoke,
    workDir,
    loadgen,
    handlers: writeHandlers(workDir),
    machine,
    log,
    size: (full, small) => (smoke ? small : full),
  };
  const benchDir = outArg
    ? path.resolve(outArg)
    : smoke
      ? path.join(workDir, 'out')
      : new URL('../../bench/', import.meta.url).pathname;
  fs.mkdirSync(benchDir, { recursive: true });
  const previous = !smoke && names.length ? readResults(benchDir) : undefined;
  const results: ResultsFile = { machine, runSeconds: 0, argv, cases: { ...(previous?.cases ?? {}) } };

  let failed = 0;
  try {
    for (const [i, c] of selected.entries()) {
      // The previous case's servers are gone but the kernel may still be tearing down their
      // sandboxes (cgroups, mounts, loop devices): give it a moment.
      if (i > 0 && !smoke) await new Promise((r) => setTimeout(r, 5000));
      const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100);
      log(`${c.name}: start (load average ${loadAverage.join(' ')})`);
      const t0 = performance.now();
      try {
        const r = await c.run(ctx);
        const result: CaseResult = {
          name: c.name,
          title: c.title,
          ranAt: new Date().toISOString(),
          commit: machine.commit + (machine.dirty ? '+dirty' : ''),
          smoke,
          durationS: (performance.now() - t0) / 1000,
          loadAverageAtStart: loadAverage,
          ...r,
        };
        results.cases[c.name] = result;
        log(`${c.name}: done in ${result.durationS.toFixed(0)} s`);
        for (const t of result.targets) {
          log(
            `  ${t.met === undefined ? '·' : t.met ? '✓' : '✗'} ${t.what}: ${t.measured} (target ${t.target})`,
          );
        }
      } catch (err) {
        failed++;
        log(`${c.name}: FAILED: ${(err as Error).stack ?? err}`);
      }
      results.runSeconds = (performance.now() - started) / 1000;
      // A run of cases that start no Lambent keeps the isolation description it had.
      machine.sandbox ??= previous?.machine.sandbox;
      results.cases = Object.fromEntries(
        CASE_ORDER.filter((n) => results.cases[n]).map((n) => [n, results.cases[n] as CaseResult]),
      );
      writeResults(benchDir, results);
    }
  } finally {
    await loadgen.stop();
  }
  if (smoke) process.stdout.write(renderMarkdown(results));
  else log(`wrote ${path.join(benchDir, 'RESULTS.md')} and results.json`);
  log(`${failed ? `${failed} case(s) FAILED` : 'all cases ran'} in ${results.runSeconds.toFixed(0)} s`);
  if (keep) log(`scratch directory kept: ${workDir}`);
  else fs.rmSync(workDir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
