/**
 * Lambda's metrics and custom metrics with the real AWS CLI v2, which speaks awsQuery to
 * CloudWatch (form-encoded `Action=...`, XML answers): get-metric-statistics, get-metric-data,
 * list-metrics and put-metric-data after real invocations, and AWS's XML errors as the CLI
 * prints them. Skipped when no AWS CLI v2 is installed (.ci/run installs Debian's awscli).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { awsCli, awsCliFailure, awsCliTool, findAwsCli } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const cli = findAwsCli();
const HANDLER = `exports.handler = async (event) => { if (event.fail) throw new Error('no'); return 1; };`;

describe('CloudWatch metrics with the AWS CLI', { skip: awsCliTool().skip }, () => {
  let server: TestServer;
  let home: string;
  let aws: (...args: string[]) => Promise<unknown>;
  const start = new Date(Date.now() - 10 * 60_000).toISOString();
  const end = () => new Date(Date.now() + 60_000).toISOString();

  /** Runs the CLI expecting failure; returns its stderr. */
  const awsFails = (...args: string[]) => awsCliFailure(cli as string, server.url, home)(...args);

  before(async () => {
    server = await startServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-home-'));
    aws = awsCli(cli as string, server.url, home);
    const lambda = server.lambda();
    for (const name of ['cli-fn', 'cli-zero']) {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::000000000000:role/r',
          Code: { ZipFile: await zipOf({ 'index.js': HANDLER }) },
        }),
      );
      await active(lambda, name);
    }
    await lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'cli-zero', ReservedConcurrentExecutions: 0 }),
    );
    const send = (name: string, event: unknown) =>
      lambda
        .send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }))
        .then(
          (out) => (out.FunctionError ? 'error' : 'ok'),
          (err: Error) => err.name,
        );
    const results = [];
    for (const event of [{}, {}, { fail: true }, {}]) results.push(await send('cli-fn', event));
    results.push(await send('cli-zero', {}), await send('cli-zero', {}));
    assert.deepEqual(results, [
      'ok',
      'ok',
      'error',
      'ok',
      'TooManyRequestsException',
      'TooManyRequestsException',
    ]);
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
    fs.rmSync(home, { recursive: true, force: true });
  });

  const statistics = (metric: string, fn: string, ...extra: string[]) =>
    aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'AWS/Lambda',
      '--metric-name',
      metric,
      '--dimensions',
      `Name=FunctionName,Value=${fn}`,
      '--start-time',
      start,
      '--end-time',
      end(),
      '--period',
      '3600',
      ...extra,
    ) as Promise<{ Label: string; Datapoints: Array<Record<string, unknown>> }>;

  test('get-metric-statistics: invocations, errors, throttles and duration percentiles', async () => {
    const inv = await statistics('Invocations', 'cli-fn', '--statistics', 'Sum', 'SampleCount');
    assert.equal(inv.Label, 'Invocations');
    assert.equal(inv.Datapoints.length, 1);
    assert.equal(inv.Datapoints[0]?.Sum, 4);
    assert.equal(inv.Datapoints[0]?.SampleCount, 4);
    assert.equal(inv.Datapoints[0]?.Unit, 'Count');
    assert.match(String(inv.Datapoints[0]?.Timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    const errors = await statistics('Errors', 'cli-fn', '--statistics', 'Sum');
    assert.equal(errors.Datapoints[0]?.Sum, 1);
    const throttles = await statistics('Throttles', 'cli-zero', '--statistics', 'Sum');
    assert.equal(throttles.Datapoints[0]?.Sum, 2);
    const duration = await statistics('Duration', 'cli-fn', '--extended-statistics', 'p50', 'p99');
    const ext = duration.Datapoints[0]?.ExtendedStatistics as Record<string, number>;
    assert.equal(duration.Datapoints[0]?.Unit, 'Milliseconds');
    assert.ok(ext.p50 !== undefined && ext.p99 !== undefined && ext.p50 <= ext.p99, JSON.stringify(ext));
  });

  test('get-metric-data with a MetricStat query', async () => {
    const queries = JSON.stringify([
      {
        Id: 'inv',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Invocations',
            Dimensions: [{ Name: 'FunctionName', Value: 'cli-fn' }],
          },
          Period: 60,
          Stat: 'Sum',
        },
        Label: 'calls',
      },
    ]);
    const out = (await aws(
      'cloudwatch',
      'get-metric-data',
      '--metric-data-queries',
      queries,
      '--start-time',
      start,
      '--end-time',
      end(),
    )) as {
      MetricDataResults: Array<{
        Id: string;
        Label: string;
        Values: number[];
        Timestamps: string[];
        StatusCode: string;
      }>;
    };
    const r = out.MetricDataResults[0];
    assert.equal(r?.Id, 'inv');
    assert.equal(r?.Label, 'calls');
    assert.equal(r?.StatusCode, 'Complete');
    assert.equal(
      r?.Values.reduce((a, b) => a + b, 0),
      4,
    );
    assert.equal(r?.Timestamps.length, r?.Values.length);
  });

  test('list-metrics with a dimension filter', async () => {
    const out = (await aws(
      'cloudwatch',
      'list-metrics',
      '--namespace',
      'AWS/Lambda',
      '--dimensions',
      'Name=FunctionName,Value=cli-fn',
    )) as { Metrics: Array<{ MetricName: string; Dimensions: Array<{ Name: string; Value: string }> }> };
    const names = new Set(out.Metrics.map((m) => m.MetricName));
    for (const n of ['Invocations', 'Errors', 'Duration', 'ConcurrentExecutions']) assert.ok(names.has(n), n);
    assert.ok(
      out.Metrics.every((m) => m.Dimensions.some((d) => d.Name === 'FunctionName' && d.Value === 'cli-fn')),
    );
  });

  test('put-metric-data, then read it back; names with XML-special characters survive', async () => {
    await aws(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'App/<Shop> & "Co"',
      '--metric-data',
      JSON.stringify([
        {
          MetricName: 'Orders',
          Dimensions: [{ Name: 'Region', Value: 'eu&west' }],
          Values: [1, 2, 3],
          Counts: [1, 1, 2],
          Unit: 'Count',
        },
      ]),
    );
    const stats = (await aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'App/<Shop> & "Co"',
      '--metric-name',
      'Orders',
      '--dimensions',
      'Name=Region,Value=eu&west',
      '--start-time',
      start,
      '--end-time',
      end(),
      '--period',
      '60',
      '--statistics',
      'Sum',
      'SampleCount',
      'Maximum',
    )) as { Datapoints: Array<Record<string, unknown>> };
    assert.deepEqual(
      stats.Datapoints.map((p) => [p.Sum, p.SampleCount, p.Maximum, p.Unit]),
      [[9, 4, 3, 'Count']],
    );
    const listed = (await aws('cloudwatch', 'list-metrics', '--namespace', 'App/<Shop> & "Co"')) as {
      Metrics: Array<{ Namespace: string; MetricName: string; Dimensions: unknown }>;
    };
    assert.deepEqual(listed.Metrics, [
      {
        Namespace: 'App/<Shop> & "Co"',
        MetricName: 'Orders',
        Dimensions: [{ Name: 'Region', Value: 'eu&west' }],
      },
    ]);
  });

  test("AWS's errors as the CLI prints them", async () => {
    const tooMany = await awsFails(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'AWS/Lambda',
      '--metric-name',
      'Invocations',
      '--start-time',
      '2026-01-01T00:00:00Z',
      '--end-time',
      '2026-01-03T00:00:00Z',
      '--period',
      '60',
      '--statistics',
      'Sum',
    );
    assert.match(
      tooMany,
      /An error occurred \(InvalidParameterCombination\) when calling the GetMetricStatistics operation: You have requested up to 2880 datapoints, which exceeds the limit of 1440\. You may reduce the datapoints requested by increasing Period, or decreasing the time range\./,
    );
    const period = await awsFails(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'AWS/Lambda',
      '--metric-name',
      'Invocations',
      '--start-time',
      start,
      '--end-time',
      end(),
      '--period',
      '61',
      '--statistics',
      'Sum',
    );
    assert.match(
      period,
      /\(InvalidParameterValue\) when calling the GetMetricStatistics operation: The parameter Period must be a value in the set \[1, 5, 10, 20, 30\] or a multiple of 60\./,
    );
    const reserved = await awsFails(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'AWS/Mine',
      '--metric-name',
      'x',
      '--value',
      '1',
    );
    assert.match(
      reserved,
      /\(InvalidParameterValue\) when calling the PutMetricData operation: The value AWS\/Mine for parameter Namespace is invalid\./,
    );
  });
});
