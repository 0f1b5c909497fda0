/** bench/results.json (every number) and bench/RESULTS.md (the tables a person reads). */
import fs from 'node:fs';
import type { CaseResult, Table } from './context.js';
import type { Machine } from './machine.js';

export interface ResultsFile {
  machine: Machine;
  /** Total wall time of the run that wrote this file. */
  runSeconds: number;
  argv: string[];
  cases: Record<string, CaseResult>;
}

export const CASE_ORDER = [
  'warm-invoke',
  'cold-start',
  'cold-start-runtimes',
  'sandbox',
  'burst',
  'async',
  'density',
  'iam-eval',
  'http',
];

/** Cases that exist but whose results are not in this file yet (a single-case run keeps the others). */
const NOT_YET: Record<string, string> = {
  http: '**Function URLs / API Gateway requests per second** (`http`): not in these results yet — `npm run bench -- http`.',
};

function table(t: Table): string {
  const esc = (v: string | number) => String(v).replaceAll('|', '\\|');
  return [
    `**${t.title}**`,
    '',
    `| ${t.columns.map(esc).join(' | ')} |`,
    `| ${t.columns.map(() => '---').join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
  ].join('\n');
}

export function renderMarkdown(results: ResultsFile): string {
  const m = results.machine;
  const cases = CASE_ORDER.map((n) => results.cases[n]).filter((c): c is CaseResult => c !== undefined);
  const sandbox = m.sandbox as { isolation?: string; details?: Record<string, string> } | undefined;
  const out: string[] = [];
  out.push('# Lambent benchmark results', '');
  out.push(
    'Written by `npm run bench` (bench/run.ts); every number is also in [results.json](results.json). ' +
      'Each case measures Lambent beside its baseline in the same run, interleaved; on a noisy machine the ' +
      '**ratios and differences** are what to compare between runs, absolute times only describe this run.',
    '',
  );
  out.push('## Machine', '');
  out.push('| | |', '| --- | --- |');
  out.push(`| CPU | ${m.cpuModel}, ${m.cores} cores |`);
  out.push(`| memory | ${m.memoryMb} MB |`);
  out.push(`| kernel | ${m.kernel} |`);
  out.push(`| OS | ${m.os} |`);
  out.push(`| Node | ${m.node} |`);
  out.push(`| date | ${m.date} |`);
  out.push(
    `| commit | ${m.commit}${m.dirty ? ` + uncommitted changes to ${m.changedFiles.join(', ')}` : ''} |`,
  );
  out.push(`| load average at start | ${m.loadAverageAtStart.join(' ')} |`);
  out.push(
    `| run time | ${results.runSeconds.toFixed(0)} s (\`${['npm run bench', ...results.argv].join(' ')}\`) |`,
  );
  if (sandbox) {
    out.push(`| isolation | ${sandbox.isolation ?? '?'} |`);
    for (const [k, v] of Object.entries(sandbox.details ?? {})) {
      if (['rootfs', 'launcher', 'interpreters', 'uids'].includes(k)) continue;
      out.push(`| ${k} | ${String(v).replaceAll('|', '\\|')} |`);
    }
  }
  out.push('');
  out.push('## Targets (../shared/DESIGN.md, issue 3)', '');
  out.push('| case | what | target | measured | met |', '| --- | --- | --- | --- | --- |');
  for (const c of cases) {
    for (const t of c.targets) {
      const met = t.met === undefined ? '—' : t.met ? '**yes**' : '**no**';
      out.push(`| ${c.name} | ${t.what} | ${t.target} | ${t.measured} | ${met} |`);
    }
  }
  out.push('');
  const missing = Object.entries(NOT_YET).filter(([n]) => !results.cases[n]);
  if (missing.length) {
    out.push('## Not measured yet', '');
    for (const [, line] of missing) out.push(`- ${line}`);
    out.push('');
  }
  for (const c of cases) {
    out.push(`## ${c.title} (\`${c.name}\`)`, '');
    out.push(
      `_${c.smoke ? 'SMOKE run (tiny counts, numbers meaningless) — ' : ''}ran ${c.ranAt} at ${c.commit}, ${c.durationS.toFixed(0)} s; load average at start ${(c.loadAverageAtStart ?? []).join(' ')}._`,
      '',
    );
    for (const line of c.method) out.push(`- ${line}`);
    out.push('');
    for (const t of c.tables) out.push(table(t));
    if (c.notes.length) {
      out.push('Notes:', '');
      for (const n of c.notes) out.push(`- ${n}`);
      out.push('');
    }
  }
  out.push('## Rerunning', '');
  out.push('```sh');
  out.push(
    'npm run bench                 # every case (about 20 min on 2 cores); rewrites this file and results.json',
  );
  out.push('npm run bench -- cold-start   # one case (others keep their last results)');
  out.push(
    'npm run bench -- --smoke      # ~2 min, tiny counts: proves the harness works; writes nothing here',
  );
  out.push('```', '');
  return out.join('\n');
}

export function writeResults(dir: string, results: ResultsFile): void {
  fs.writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(`${dir}/RESULTS.md`, renderMarkdown(results));
}

export function readResults(dir: string): ResultsFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(`${dir}/results.json`, 'utf8')) as ResultsFile;
  } catch {
    return undefined;
  }
}
