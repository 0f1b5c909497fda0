/**
 * Warm round trip of RuntimeEndpoint.invoke() to a running Node runtime with a trivial handler, and the
 * runtime's start-to-ready time beside a bare `node -e 0`. Run:
 *   node --import tsx src/sandbox/runtime-api/roundtrip.bench.ts [iterations]
 * Prints one JSON line per measurement.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntimeEndpoint } from './endpoint.js';
import { NODE_BOOTSTRAP, PYTHON, PYTHON_BOOTSTRAP, runtimeEnv } from './runtime-harness.js';

const iterations = Number(process.argv[2] ?? 1000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

function summary(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 1000) / 1000;
  console.log(
    JSON.stringify({
      name,
      n: samples.length,
      p50_ms: r(percentile(sorted, 0.5)),
      p90_ms: r(percentile(sorted, 0.9)),
      p99_ms: r(percentile(sorted, 0.99)),
      min_ms: r(sorted[0] ?? Number.NaN),
    }),
  );
}

async function roundTrip(runtime: 'nodejs' | 'python', taskRoot: string, handler: string): Promise<void> {
  const endpoint = await createRuntimeEndpoint();
  const command = runtime === 'nodejs' ? process.execPath : PYTHON;
  const script = runtime === 'nodejs' ? NODE_BOOTSTRAP : PYTHON_BOOTSTRAP;
  const child = spawn(command, [script], {
    env: runtimeEnv({
      address: endpoint.address,
      taskRoot,
      handler,
      runtime: runtime === 'nodejs' ? 'nodejs20.x' : 'python3.11',
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await endpoint.initialized;
  const payload = Buffer.from('{"hello":"world"}');
  const invokedFunctionArn = 'arn:aws:lambda:us-east-1:000000000000:function:bench';
  const samples: number[] = [];
  for (let i = 0; i < iterations + 200; i++) {
    const start = performance.now();
    await endpoint.invoke({
      requestId: `r-${i}`,
      payload,
      deadlineMs: Date.now() + 30_000,
      invokedFunctionArn,
    });
    if (i >= 200) samples.push(performance.now() - start); // the first 200 warm up the JIT
  }
  summary(`invoke round trip, ${runtime} runtime, trivial handler`, samples);
  child.kill('SIGKILL');
  await endpoint.close();
}

async function startToReady(
  label: string,
  command: string,
  args: string[],
  taskRoot: string,
  handler: string,
  runtime: string,
) {
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const endpoint = await createRuntimeEndpoint();
    const start = performance.now();
    const child = spawn(command, args, {
      env: runtimeEnv({ address: endpoint.address, taskRoot, handler, runtime }),
      stdio: 'ignore',
    });
    await endpoint.initialized;
    samples.push(performance.now() - start);
    child.kill('SIGKILL');
    await endpoint.close();
  }
  summary(label, samples);
}

async function bareNode(): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) =>
      spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: {} }).on('exit', () => resolve()),
    );
    samples.push(performance.now() - start);
  }
  summary('spawn to exit, bare `node -e 0`', samples);
}

const dir = mkdtempSync(join(tmpdir(), 'lambent-bench-'));
try {
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async (event) => event;\n');
  writeFileSync(join(dir, 'handler.py'), 'def handler(event, context):\n    return event\n');
  await roundTrip('nodejs', dir, 'index.handler');
  if (process.argv[3] !== 'node-only') await roundTrip('python', dir, 'handler.handler');
  await bareNode();
  await startToReady(
    'spawn to first /next, Node runtime (ESM handler)',
    process.execPath,
    [NODE_BOOTSTRAP],
    dir,
    'index.handler',
    'nodejs20.x',
  );
  if (process.argv[3] !== 'node-only')
    await startToReady(
      'spawn to first /next, Python runtime',
      PYTHON,
      [PYTHON_BOOTSTRAP],
      dir,
      'handler.handler',
      'python3.11',
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
