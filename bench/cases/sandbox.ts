/**
 * The sandbox layer alone (src/sandbox/bench.ts, the sandbox author's micro-benchmark): start
 * to first output inside a sandbox beside a bare spawn of the same command, interleaved; the
 * cost of a new /tmp volume; freeze, thaw and kill. It explains what part of a cold start
 * is the sandbox's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { benchSandbox } from '../../src/sandbox/bench.js';
import { createSandboxProvider } from '../../src/sandbox/index.js';
import type { BenchCase, BenchContext, Table } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { ratio } from '../lib/stats.js';

export const sandbox: BenchCase = {
  name: 'sandbox',
  title: 'Sandbox layer (start, /tmp volume, freeze/thaw, kill)',
  async run(ctx: BenchContext) {
    const dataDir = fs.mkdtempSync(path.join(ctx.workDir, 'sandbox-'));
    const provider = await createSandboxProvider({ dataDir, logger: { warn: (m) => ctx.log(m) } });
    try {
      const rounds = ctx.size(30, 3);
      ctx.log(`sandbox: ${rounds} rounds (in the orchestrator process; no load generator involved)`);
      const r = await benchSandbox(provider, path.join(dataDir, 'bench'), rounds);
      const tables: Table[] = [
        {
          title: `Start to first output (ms; ${rounds} interleaved rounds)`,
          columns: [
            'command',
            'sandbox p50',
            'sandbox p99',
            'bare spawn p50',
            'bare spawn p99',
            'p50 added',
            'p50 ratio',
          ],
          rows: Object.entries(r.firstOutput).map(([cmd, s]) => [
            `\`${cmd}\``,
            fmt(s.sandbox.p50, 2),
            fmt(s.sandbox.p99, 2),
            fmt(s.bare.p50, 2),
            fmt(s.bare.p99, 2),
            fmt(s.sandbox.p50 - s.bare.p50, 2),
            fmtRatio(ratio(s.sandbox.p50, s.bare.p50)),
          ]),
        },
        {
          title: 'Sandbox operations (ms)',
          columns: ['operation', 'p50', 'p99', 'n'],
          rows: [
            [
              '`sh -c "echo 1"` in a sandbox with a new /tmp volume (first of its tmpDir)',
              fmt(r.firstOutputNewTmp.p50, 2),
              fmt(r.firstOutputNewTmp.p99, 2),
              r.firstOutputNewTmp.n,
            ],
            ['freeze', fmt(r.freeze.p50, 3), fmt(r.freeze.p99, 3), r.freeze.n],
            ['thaw', fmt(r.thaw.p50, 3), fmt(r.thaw.p99, 3), r.thaw.n],
            ['kill (3 processes)', fmt(r.kill.p50, 2), fmt(r.kill.p99, 2), r.kill.n],
            ['kill while frozen', fmt(r.killFrozen.p50, 2), fmt(r.killFrozen.p99, 2), r.killFrozen.n],
          ],
        },
      ];
      return {
        method: [
          `Isolation: ${r.isolation}. Runs src/sandbox/bench.ts against a fresh provider; bare spawns get a clean environment.`,
        ],
        tables,
        targets: [],
        notes: [],
        data: r,
      };
    } finally {
      await provider.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
