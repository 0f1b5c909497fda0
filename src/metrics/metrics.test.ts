import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../shared/logger.js';
import { type Db, openDatabase } from '../storage/db.js';
import { LogHistogram } from './histogram.js';
import { createMetrics } from './index.js';
import { renderPrometheus } from './prometheus.js';
import { canonicalDims, type MetricId } from './store.js';

const dirs: string[] = [];
function db(): Db {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-metrics-'));
  dirs.push(dir);
  return openDatabase(path.join(dir, 'm.db'));
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const id = (metricName: string, dims: Record<string, string> = {}, namespace = 'AWS/Lambda'): MetricId => ({
  accountId: '000000000000',
  region: 'us-east-1',
  namespace,
  metricName,
  dims: canonicalDims(Object.entries(dims).map(([Name, Value]) => ({ Name, Value }))),
});

describe('LogHistogram', () => {
  test('percentiles are within 1% of the exact rank over a wide range', () => {
    const h = new LogHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.05 * 1.0009 ** i); // 0.05 .. ~400
    for (const v of values) h.add(v);
    const min = values[0] as number;
    const max = values[values.length - 1] as number;
    for (const p of [1, 50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1] as number;
      const got = h.percentile(p, min, max) as number;
      assert.ok(Math.abs(got - exact) / exact <= 0.011, `p${p}: ${got} vs ${exact}`);
    }
    assert.equal(h.percentile(0, min, max), min);
    assert.equal(h.percentile(100, min, max), max);
  });

  test('zero and negative values rank in order; merge and JSON round-trip keep counts', () => {
    const h = new LogHistogram();
    for (const v of [-10, -1, 0, 0, 5]) h.add(v);
    assert.ok(Math.abs((h.percentile(20, -10, 5) as number) + 10) < 0.2);
    assert.equal(h.percentile(60, -10, 5), 0);
    const copy = LogHistogram.fromJSON(JSON.parse(JSON.stringify(h)));
    copy.merge(h);
    assert.equal(copy.total, 10);
    assert.equal(new LogHistogram().percentile(50, 0, 0), undefined);
  });
});

describe('metrics registry', () => {
  test('aggregates per minute, closes minutes as time moves, persists and merges across flushes', () => {
    let now = T0 + 5_000;
    const database = db();
    const m = createMetrics({ db: database, logger: silentLogger }, { clock: () => now, flushMs: 3_600_000 });
    const s = m.registry.series(id('Duration', { FunctionName: 'f' }), 'Milliseconds');
    m.registry.record(s, 10);
    m.registry.record(s, 30);
    assert.equal(m.registry.flush(), 1);
    m.registry.record(s, 20); // same minute, after a flush: merges into the stored row
    now = T0 + 65_000;
    m.registry.record(s, 100);
    const rows = m.registry.read(id('Duration', { FunctionName: 'f' }), T0 / 1000, T0 / 1000 + 120);
    assert.deepEqual(
      rows.map((r) => [r.minute, r.count, r.sum, r.min, r.max, r.unit]),
      [
        [T0 / 1000, 3, 60, 10, 30, 'Milliseconds'],
        [T0 / 1000 + 60, 1, 100, 100, 100, 'Milliseconds'],
      ],
    );
    assert.ok(Math.abs((rows[0]?.hist?.percentile(50, 10, 30) as number) - 20) < 0.3);
    m.close();
    database.close();
  });

  test('metrics survive a restart on the same database; the retention sweep drops old minutes', () => {
    let now = T0;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-metrics-'));
    dirs.push(dir);
    const file = path.join(dir, 'm.db');
    let database = openDatabase(file);
    let m = createMetrics({ db: database, logger: silentLogger }, { clock: () => now });
    m.registry.record(m.registry.series(id('Invocations'), 'Count'), 1);
    m.close();
    database.close();
    database = openDatabase(file);
    m = createMetrics({ db: database, logger: silentLogger }, { clock: () => now, retentionDays: 15 });
    assert.equal(m.registry.read(id('Invocations'), 0, Number.MAX_SAFE_INTEGER)[0]?.count, 1);
    assert.equal(m.registry.list('000000000000', 'us-east-1', {}).length, 1);
    now = T0 + 16 * 86_400_000;
    assert.equal(m.registry.sweep(), 1);
    assert.equal(m.registry.read(id('Invocations'), 0, Number.MAX_SAFE_INTEGER).length, 0);
    m.close();
    database.close();
  });
});

describe('Lambda metrics', () => {
  const target = (arn: string, version = '$LATEST') => ({
    accountId: '000000000000',
    region: 'us-east-1',
    name: 'fn',
    version,
    arn,
  });
  const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:fn';
  const outcome = (kind: 'response' | 'error', durationMs: number) => ({ result: { kind }, durationMs });

  test('invocations, errors, duration, throttles and concurrency per dimension set', async () => {
    const now = T0;
    const database = db();
    const m = createMetrics({ db: database, logger: silentLogger }, { clock: () => now });
    let release: (v: ReturnType<typeof outcome>) => void = () => undefined;
    const slow = new Promise<ReturnType<typeof outcome>>((r) => {
      release = r;
    });
    const first = m.lambda.invocation(target(`${ARN}:live`, '3'), true, slow);
    await m.lambda.invocation(target(ARN), true, Promise.resolve(outcome('error', 12)));
    assert.deepEqual([...m.lambda.inFlight().functions], [['000000000000/us-east-1/fn', 1]]);
    release(outcome('response', 4));
    await first;
    const throttled = Object.assign(new Error('Rate Exceeded.'), { code: 'TooManyRequestsException' });
    await assert.rejects(m.lambda.invocation(target(ARN), false, Promise.reject(throttled)));
    assert.equal(m.lambda.inFlight().functions.get('000000000000/us-east-1/fn'), 0);

    const sum = (metric: string, dims: Record<string, string> = {}) =>
      m.registry.read(id(metric, dims), 0, Number.MAX_SAFE_INTEGER).reduce((a, r) => a + r.sum, 0);
    assert.equal(sum('Invocations'), 2);
    assert.equal(sum('Invocations', { FunctionName: 'fn' }), 2);
    assert.equal(sum('Invocations', { FunctionName: 'fn', Resource: 'fn:live' }), 1);
    assert.equal(sum('Invocations', { FunctionName: 'fn', Resource: 'fn:live', ExecutedVersion: '3' }), 1);
    assert.equal(sum('Errors', { FunctionName: 'fn' }), 1);
    assert.equal(sum('Duration', { FunctionName: 'fn' }), 16);
    assert.equal(sum('Throttles', { FunctionName: 'fn' }), 1);
    const conc = m.registry.read(
      id('ConcurrentExecutions', { FunctionName: 'fn' }),
      0,
      Number.MAX_SAFE_INTEGER,
    )[0];
    assert.equal(conc?.max, 2);
    const account = m.registry.read(id('ConcurrentExecutions'), 0, Number.MAX_SAFE_INTEGER)[0];
    assert.equal(account?.max, 2);

    const text = renderPrometheus(
      m.lambda,
      { environments: 1, idle: 1, memoryMb: 128, maxMemoryMb: 1024 },
      5,
    );
    assert.match(
      text,
      /^lambent_lambda_invocations_total\{account="000000000000",region="us-east-1",function="fn",resource="fn:live"\} 1$/m,
    );
    assert.match(text, /^lambent_lambda_throttles_total\{[^}]*resource="fn"\} 1$/m);
    m.close();
    database.close();
  });

  test('a long invocation still running in a later minute shows there as ConcurrentExecutions', async () => {
    let now = T0;
    const database = db();
    const m = createMetrics({ db: database, logger: silentLogger }, { clock: () => now, flushMs: 3_600_000 });
    let release: (v: ReturnType<typeof outcome>) => void = () => undefined;
    const running = m.lambda.invocation(
      target(ARN),
      true,
      new Promise<ReturnType<typeof outcome>>((r) => {
        release = r;
      }),
    );
    now = T0 + 3 * 60_000;
    m.registry.flush();
    const minutes = m.registry
      .read(id('ConcurrentExecutions', { FunctionName: 'fn' }), 0, Number.MAX_SAFE_INTEGER)
      .map((r) => [r.minute - T0 / 1000, r.max]);
    assert.deepEqual(minutes, [
      [0, 1],
      [180, 1],
    ]);
    release(outcome('response', 1));
    await running;
    now = T0 + 5 * 60_000;
    m.registry.flush();
    assert.equal(
      m.registry.read(id('ConcurrentExecutions'), T0 / 1000 + 240, Number.MAX_SAFE_INTEGER).length,
      0,
    );
    m.close();
    database.close();
  });

  test('async event age, dropped events and provisioned utilization for the lead to wire', () => {
    const database = db();
    const m = createMetrics({ db: database, logger: silentLogger }, { clock: () => T0 });
    m.lambda.asyncEventAge('000000000000/us-east-1/fn', undefined, 250);
    m.lambda.asyncEventAge('000000000000/us-east-1/fn', 'live', 750);
    m.lambda.asyncEventDropped('000000000000/us-east-1/fn', 'live');
    m.lambda.provisionedUtilization('000000000000/us-east-1/fn', 'live', 0.5);
    m.lambda.provisionedUtilization('000000000000/us-east-1/fn', 'live', 1);
    const read = (metric: string, dims: Record<string, string> = {}) =>
      m.registry.read(id(metric, dims), 0, Number.MAX_SAFE_INTEGER)[0];
    assert.equal(read('AsyncEventAge', { FunctionName: 'fn' })?.max, 750);
    assert.equal(read('AsyncEventAge', { FunctionName: 'fn' })?.unit, 'Milliseconds');
    assert.equal(read('AsyncEventAge', { FunctionName: 'fn', Resource: 'fn:live' })?.count, 1);
    assert.equal(read('AsyncEventsDropped')?.sum, 1);
    const util = read('ProvisionedConcurrencyUtilization', { FunctionName: 'fn', Resource: 'fn:live' });
    assert.deepEqual([util?.max, util?.sum, util?.count], [1, 1.5, 2]);
    m.close();
    database.close();
  });
});
