/**
 * Lambda's metrics through the CloudWatch API, as a user of the JS SDK v3 (awsJson1_0,
 * awsQueryCompatible) meets them: real invocations (successful, failing, throttled by
 * reserved concurrency 0, through an alias) on a real server, then GetMetricStatistics,
 * GetMetricData and ListMetrics must count exactly what was invoked; PutMetricData custom
 * metrics round-trip, survive a restart, and bad input gets AWS's errors. The Prometheus
 * endpoint is parsed by a real exposition-format parser.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateAliasCommand,
  InvokeCommand,
  type LambdaClient,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { systemTool } from './support/tools.js';

const promtool = systemTool(
  'promtool',
  [process.env.LAMBENT_PROMTOOL, '/usr/bin/promtool'],
  "Debian's prometheus",
);
const HANDLER = `
exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  if (event.fail) throw new Error('asked to fail');
  return { ok: true };
};`;

function cloudwatch(server: TestServer): CloudWatchClient {
  return new CloudWatchClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function invoke(
  lambda: LambdaClient,
  name: string,
  event: unknown,
): Promise<'ok' | 'error' | 'throttled'> {
  try {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    return out.FunctionError ? 'error' : 'ok';
  } catch (err) {
    if ((err as Error).name === 'TooManyRequestsException') return 'throttled';
    throw err;
  }
}

const dims = (o: Record<string, string>) => Object.entries(o).map(([Name, Value]) => ({ Name, Value }));

describe('CloudWatch metrics through the JS SDK', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let cw: CloudWatchClient;
  const startTime = new Date(Date.now() - 5 * 60_000);
  const endTime = () => new Date(Date.now() + 60_000);

  async function stats(metric: string, d: Record<string, string>, extra: Record<string, unknown> = {}) {
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: dims(d),
        StartTime: startTime,
        EndTime: endTime(),
        Period: 3600,
        Statistics: ['Sum', 'SampleCount', 'Maximum', 'Minimum', 'Average'],
        ...extra,
      }),
    );
    return out;
  }

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    cw = cloudwatch(server);
    await deployNode(lambda, 'mfn', HANDLER);
    await deployNode(lambda, 'mthrottled', HANDLER);
    await lambda.send(new PublishVersionCommand({ FunctionName: 'mfn' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: 'mfn', Name: 'live', FunctionVersion: '1' }));
    await lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'mthrottled', ReservedConcurrentExecutions: 0 }),
    );
    // 3 ok + 2 failing unqualified, 2 ok through the alias, 1 through version 1, 3 throttled.
    const results = [
      await invoke(lambda, 'mfn', {}),
      await invoke(lambda, 'mfn', { fail: true }),
      await invoke(lambda, 'mfn', { sleep: 30 }),
      await invoke(lambda, 'mfn', { fail: true }),
      await invoke(lambda, 'mfn', {}),
      await invoke(lambda, 'mfn:live', {}),
      await invoke(lambda, 'mfn:live', {}),
      await invoke(lambda, 'mfn:1', {}),
      await invoke(lambda, 'mthrottled', {}),
      await invoke(lambda, 'mthrottled', {}),
      await invoke(lambda, 'mthrottled', {}),
    ];
    assert.deepEqual(results, [
      'ok',
      'error',
      'ok',
      'error',
      'ok',
      'ok',
      'ok',
      'ok',
      'throttled',
      'throttled',
      'throttled',
    ]);
  });

  after(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  test('GetMetricStatistics counts invocations, errors and throttles per dimension set', async () => {
    const inv = await stats('Invocations', { FunctionName: 'mfn' });
    assert.equal(inv.Label, 'Invocations');
    assert.equal(inv.Datapoints?.length, 1);
    const p = inv.Datapoints?.[0];
    assert.equal(p?.Sum, 8);
    assert.equal(p?.SampleCount, 8);
    assert.equal(p?.Unit, 'Count');
    assert.ok(p?.Timestamp instanceof Date);

    const errors = await stats('Errors', { FunctionName: 'mfn' });
    assert.equal(errors.Datapoints?.[0]?.Sum, 2);
    assert.equal(errors.Datapoints?.[0]?.SampleCount, 8);
    assert.equal(errors.Datapoints?.[0]?.Average, 0.25);

    const alias = await stats('Invocations', { FunctionName: 'mfn', Resource: 'mfn:live' });
    assert.equal(alias.Datapoints?.[0]?.Sum, 2);
    const executed = await stats('Invocations', {
      FunctionName: 'mfn',
      Resource: 'mfn:live',
      ExecutedVersion: '1',
    });
    assert.equal(executed.Datapoints?.[0]?.Sum, 2);
    const version = await stats('Invocations', { FunctionName: 'mfn', Resource: 'mfn:1' });
    assert.equal(version.Datapoints?.[0]?.Sum, 1);

    const throttles = await stats('Throttles', { FunctionName: 'mthrottled' });
    assert.equal(throttles.Datapoints?.[0]?.Sum, 3);
    const noInvocations = await stats('Invocations', { FunctionName: 'mthrottled' });
    assert.deepEqual(noInvocations.Datapoints, []);

    const account = await stats('Invocations', {});
    assert.equal(account.Datapoints?.[0]?.Sum, 8);
    const concurrency = await stats('ConcurrentExecutions', { FunctionName: 'mfn' });
    assert.equal(concurrency.Datapoints?.[0]?.Maximum, 1);
    // One sample as each invocation starts, more at flushes that found one running.
    assert.ok((concurrency.Datapoints?.[0]?.SampleCount ?? 0) >= 8);
  });

  test('Duration in milliseconds with percentiles', async () => {
    const out = await stats(
      'Duration',
      { FunctionName: 'mfn' },
      { Statistics: undefined, ExtendedStatistics: ['p50', 'p99', 'p99.9'] },
    );
    const p = out.Datapoints?.[0];
    assert.equal(p?.Unit, 'Milliseconds');
    const e = p?.ExtendedStatistics ?? {};
    assert.ok((e.p50 ?? -1) >= 0 && (e.p50 ?? 0) < 30, `p50 ${e.p50}`);
    // The 30 ms sleeper is the slowest of eight: p99 is it (within the histogram's 1%).
    assert.ok((e.p99 ?? 0) >= 29, `p99 ${e.p99}`);
    const full = await stats('Duration', { FunctionName: 'mfn' });
    assert.ok((full.Datapoints?.[0]?.Maximum ?? 0) >= 30);
    assert.ok(
      Math.abs((e['p99.9'] ?? 0) - (full.Datapoints?.[0]?.Maximum ?? 0)) <=
        (full.Datapoints?.[0]?.Maximum ?? 0) * 0.02,
    );
  });

  test('GetMetricData answers several queries with labels, ascending or descending', async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: startTime,
        EndTime: endTime(),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          {
            Id: 'inv',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: 'Invocations',
                Dimensions: dims({ FunctionName: 'mfn' }),
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
          {
            Id: 'err',
            Label: 'failures',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: 'Errors',
                Dimensions: dims({ FunctionName: 'mfn' }),
              },
              Period: 300,
              Stat: 'Sum',
            },
          },
          {
            Id: 'hidden',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    const results = out.MetricDataResults ?? [];
    assert.deepEqual(
      results.map((r) => [r.Id, r.Label, r.StatusCode]),
      [
        ['inv', 'Invocations', 'Complete'],
        ['err', 'failures', 'Complete'],
      ],
    );
    const sum = (xs: number[] | undefined) => (xs ?? []).reduce((a, b) => a + b, 0);
    assert.equal(sum(results[0]?.Values), 8);
    assert.equal(sum(results[1]?.Values), 2);
    assert.equal(results[0]?.Timestamps?.length, results[0]?.Values?.length);
    const ts = (results[0]?.Timestamps ?? []).map((t) => t.getTime());
    assert.deepEqual(
      ts,
      [...ts].sort((a, b) => a - b),
    );
  });

  test('ListMetrics filters by namespace, name and dimensions', async () => {
    const all = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations' }));
    const sets = (all.Metrics ?? []).map((m) =>
      JSON.stringify((m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`)),
    );
    for (const expected of [
      '[]',
      '["FunctionName=mfn"]',
      '["FunctionName=mfn","Resource=mfn:live"]',
      '["ExecutedVersion=1","FunctionName=mfn","Resource=mfn:live"]',
      '["FunctionName=mfn","Resource=mfn:1"]',
    ]) {
      assert.ok(sets.includes(expected), `${expected} in ${sets.join(' ')}`);
    }
    const byResource = await cw.send(
      new ListMetricsCommand({
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'Resource', Value: 'mfn:live' }],
      }),
    );
    const names = new Set((byResource.Metrics ?? []).map((m) => m.MetricName));
    assert.deepEqual(
      [...names].sort(),
      ['Duration', 'Errors', 'Invocations', 'Throttles'].filter((n) => n !== 'Throttles'),
    );
  });

  test('PutMetricData custom metrics round-trip and survive a restart', async () => {
    const now = new Date();
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'App/Orders',
        MetricData: [
          {
            MetricName: 'Latency',
            Dimensions: dims({ Shop: 'a' }),
            Value: 10,
            Unit: 'Milliseconds',
            Timestamp: now,
          },
          {
            MetricName: 'Latency',
            Dimensions: dims({ Shop: 'a' }),
            Values: [20, 30],
            Counts: [1, 2],
            Unit: 'Milliseconds',
            Timestamp: now,
          },
          {
            MetricName: 'Batch',
            StatisticValues: { SampleCount: 4, Sum: 10, Minimum: 1, Maximum: 4 },
            Timestamp: now,
          },
        ],
      }),
    );
    server = await server.restart();
    cw = cloudwatch(server);
    lambda = server.lambda();
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'App/Orders',
        MetricName: 'Latency',
        Dimensions: dims({ Shop: 'a' }),
        StartTime: startTime,
        EndTime: endTime(),
        Period: 60,
        Statistics: ['SampleCount', 'Sum', 'Minimum', 'Maximum'],
      }),
    );
    assert.deepEqual(
      out.Datapoints?.map((p) => [p.SampleCount, p.Sum, p.Minimum, p.Maximum, p.Unit]),
      [[4, 90, 10, 30, 'Milliseconds']],
    );
    const batch = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'App/Orders',
        MetricName: 'Batch',
        StartTime: startTime,
        EndTime: endTime(),
        Period: 60,
        Statistics: ['Average'],
      }),
    );
    assert.equal(batch.Datapoints?.[0]?.Average, 2.5);
    assert.equal(batch.Datapoints?.[0]?.Unit, 'None');
    // Lambda's metrics from before the restart are still there.
    const inv = await stats('Invocations', { FunctionName: 'mfn' });
    assert.equal(inv.Datapoints?.[0]?.Sum, 8);
  });

  test("bad input gets AWS's errors (query error code, message)", async () => {
    const base = {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      StartTime: new Date(Date.now() - 86_400_000 * 2),
      EndTime: new Date(),
      Statistics: ['Sum' as const],
    };
    const cases: Array<[unknown, string, string | RegExp]> = [
      [
        { ...base, Period: 60 },
        'InvalidParameterCombination',
        /^You have requested up to 28\d\d datapoints, which exceeds the limit of 1440\. You may reduce the datapoints requested by increasing Period, or decreasing the time range\.$/,
      ],
      [
        { ...base, Period: 90 },
        'InvalidParameterValue',
        'The parameter Period must be a value in the set [1, 5, 10, 20, 30] or a multiple of 60.',
      ],
      [
        { ...base, Period: 3600, Statistics: undefined },
        'InvalidParameterCombination',
        'Must specify either Statistics or ExtendedStatistics',
      ],
      [
        { ...base, Namespace: undefined, Period: 3600 },
        'MissingParameter',
        'The parameter Namespace is required.',
      ],
      [
        { ...base, Period: 3600, EndTime: base.StartTime },
        'InvalidParameterValue',
        'The parameter StartTime must be less than the parameter EndTime.',
      ],
    ];
    for (const [input, code, message] of cases) {
      await assert.rejects(
        cw.send(new GetMetricStatisticsCommand(input as never)),
        (err: Error & { Code?: string; $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.Code, code);
          assert.equal(err.$metadata?.httpStatusCode, 400);
          if (typeof message === 'string') assert.equal(err.message, message);
          else assert.match(err.message, message);
          return true;
        },
      );
    }
    await assert.rejects(
      cw.send(
        new GetMetricDataCommand({
          StartTime: base.StartTime,
          EndTime: base.EndTime,
          MetricDataQueries: [{ Id: 'e1', Expression: 'SUM(METRICS())' }],
        }),
      ),
      (err: Error & { Code?: string }) => err.Code === 'ValidationError',
    );
    await assert.rejects(
      cw.send(
        new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'x', Value: 1 }] }),
      ),
      (err: Error & { name: string }) => err.name === 'InvalidParameterValueException',
    );
  });

  let exposition: string | undefined;
  test('/_lambent/metrics is valid Prometheus text with the invocation counters', async () => {
    // A fresh process after the restart: invoke again so the counters have something.
    assert.equal(await invoke(lambda, 'mfn', {}), 'ok');
    assert.equal(await invoke(lambda, 'mfn:live', { fail: true }), 'error');
    assert.equal(await invoke(lambda, 'mthrottled', {}), 'throttled');
    const res = await fetch(`${server.url}/_lambent/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    exposition = text;
    const families = parsePrometheusTextFormat(text);
    const family = (name: string) => {
      const f = families.find((x) => x.name === name);
      assert.ok(f, `family ${name}`);
      return f;
    };
    const value = (name: string, labels: Record<string, string>) => {
      const m = family(name).metrics.find((x) =>
        Object.entries(labels).every(
          ([k, v]) => (x as { labels?: Record<string, string> }).labels?.[k] === v,
        ),
      ) as { value?: string } | undefined;
      return m ? Number(m.value) : undefined;
    };
    assert.equal(family('lambent_lambda_invocations_total').type, 'COUNTER');
    assert.equal(value('lambent_lambda_invocations_total', { function: 'mfn', resource: 'mfn' }), 1);
    assert.equal(value('lambent_lambda_invocations_total', { function: 'mfn', resource: 'mfn:live' }), 1);
    assert.equal(value('lambent_lambda_errors_total', { function: 'mfn', resource: 'mfn:live' }), 1);
    assert.equal(
      value('lambent_lambda_throttles_total', { function: 'mthrottled', resource: 'mthrottled' }),
      1,
    );
    // The parser drops a labelled histogram's labels, _sum and _count: those lines are read
    // here, and promtool (the Prometheus project's own linter) checks the whole exposition next.
    assert.equal(family('lambent_lambda_duration_seconds').type, 'HISTOGRAM');
    const labelSet = 'account="000000000000",region="us-east-1",function="mfn",resource="mfn"';
    assert.match(text, new RegExp(`^lambent_lambda_duration_seconds_count\\{${labelSet}\\} 1$`, 'm'));
    assert.match(
      text,
      new RegExp(`^lambent_lambda_duration_seconds_bucket\\{${labelSet},le="\\+Inf"\\} 1$`, 'm'),
    );
    assert.equal(family('lambent_environments').type, 'GAUGE');
    assert.ok((value('lambent_environments', { state: 'live' }) ?? 0) >= 1);
  });
  test('promtool check metrics accepts the whole exposition', { skip: promtool.skip }, () => {
    assert.ok(exposition, 'the exposition was read by the test before');
    const run = spawnSync(promtool.path as string, ['check', 'metrics'], {
      input: exposition,
      encoding: 'utf8',
    });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.status, 0, `promtool check metrics: ${run.stdout}${run.stderr}`);
  });
  test('AsyncEventAge for each run of an Event invoke; AsyncEventsDropped for one given up', async () => {
    await deployNode(lambda, 'masync', HANDLER);
    for (let i = 0; i < 3; i++) {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: 'masync', InvocationType: 'Event', Payload: Buffer.from('{}') }),
      );
      assert.equal(out.StatusCode, 202);
    }
    // Reserved concurrency 0: AWS drops the event (ZeroReservedConcurrency).
    await lambda.send(
      new InvokeCommand({ FunctionName: 'mthrottled', InvocationType: 'Event', Payload: Buffer.from('{}') }),
    );
    const deadline = Date.now() + 15_000;
    let age: Awaited<ReturnType<typeof stats>>;
    let dropped: Awaited<ReturnType<typeof stats>>;
    for (;;) {
      age = await stats('AsyncEventAge', { FunctionName: 'masync' });
      dropped = await stats('AsyncEventsDropped', { FunctionName: 'mthrottled' });
      if ((age.Datapoints?.[0]?.SampleCount ?? 0) >= 3 && dropped.Datapoints?.length) break;
      if (Date.now() > deadline) assert.fail(`async metrics missing: ${JSON.stringify({ age, dropped })}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const p = age.Datapoints?.[0];
    assert.equal(p?.SampleCount, 3);
    assert.equal(p?.Unit, 'Milliseconds');
    assert.ok((p?.Maximum ?? -1) >= 0 && (p?.Maximum ?? Infinity) < 15_000, `age ${p?.Maximum}`);
    assert.equal(dropped.Datapoints?.[0]?.Sum, 1);
    const none = await stats('AsyncEventsDropped', { FunctionName: 'masync' });
    assert.deepEqual(none.Datapoints, []);
  });
});
