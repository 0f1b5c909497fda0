/**
 * Provisioned concurrency the way a user meets it: the real SDK and the real AWS CLI against a
 * real server with real sandboxes. Configs reach READY once their environments ran INIT; the
 * function sees `provisioned-concurrency` as its initialization type there and `on-demand` in
 * environments started beyond them; an INIT failure is FAILED; deleting the config (or the
 * function) stops its environments; one that dies is replaced; a restart provisions again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  type GetProvisionedConcurrencyConfigCommandOutput,
  InvokeCommand,
  type LambdaClient,
  ListProvisionedConcurrencyConfigsCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  TagResourceCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { awsCli, awsCliTool, findAwsCli } from './support/aws-cli.js';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

/** Answers its initialization type and an id fixed at INIT (one per environment). */
const REPORTER = `
const id = Math.random().toString(36).slice(2);
exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  if (event.crash) process.exit(1);
  return { type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, id };
};`;

const INIT_FAILS = `
throw new Error('no INIT for you');
exports.handler = async () => 'unreachable';`;

interface Health {
  parts: {
    invoke: {
      environments: number;
      provisioned: Array<{ functionId: string; version: string; allocated: number; inUse: number }>;
    };
  };
}

describe('provisioned concurrency', { concurrency: false, timeout: 180_000 }, () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
  });
  after(async () => {
    lambda.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  async function createVersion(name: string, code = REPORTER): Promise<string> {
    await deployNode(lambda, name, code, { Timeout: 10 });
    const version = (await lambda.send(new PublishVersionCommand({ FunctionName: name }))).Version as string;
    await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 } as never,
      {
        FunctionName: name,
        Qualifier: version,
      },
    );
    return version;
  }

  const put = (name: string, qualifier: string, n: number) =>
    lambda.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: name,
        Qualifier: qualifier,
        ProvisionedConcurrentExecutions: n,
      }),
    );
  const get = (name: string, qualifier: string) =>
    lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }));

  async function settled(
    name: string,
    qualifier: string,
    client = lambda,
  ): Promise<GetProvisionedConcurrencyConfigCommandOutput> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const c = await client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }),
      );
      if (c.Status !== 'IN_PROGRESS') return c;
      if (Date.now() > deadline) throw new Error(`${name}:${qualifier} still IN_PROGRESS`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function call(name: string, qualifier: string, event: object = {}, client = lambda) {
    const out = await client.send(
      new InvokeCommand({ FunctionName: name, Qualifier: qualifier, Payload: JSON.stringify(event) }),
    );
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    return JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { type: string; id: string };
  }

  async function health(url = server.url): Promise<Health> {
    return (await (await fetch(`${url}/_lambent/health`)).json()) as Health;
  }

  async function until(what: string, check: () => Promise<boolean>, limitMs = 15_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const usageOf = async (name: string, version: string) =>
    (await health()).parts.invoke.provisioned.find(
      (u) => u.functionId.endsWith(`/${name}`) && u.version === version,
    );

  test('READY after INIT; served first, on-demand beyond; a dead one is replaced', async () => {
    const name = 'pc-lifecycle';
    const version = await createVersion(name);
    const first = await put(name, version, 2);
    assert.equal(first.$metadata.httpStatusCode, 202);
    assert.equal(first.Status, 'IN_PROGRESS');
    assert.equal(first.RequestedProvisionedConcurrentExecutions, 2);
    assert.equal(first.AllocatedProvisionedConcurrentExecutions, 0);
    assert.match(first.LastModified ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);

    const ready = await settled(name, version);
    assert.equal(ready.Status, 'READY');
    assert.equal(ready.AllocatedProvisionedConcurrentExecutions, 2);
    assert.equal(ready.AvailableProvisionedConcurrentExecutions, 2);
    assert.deepEqual(await usageOf(name, version), {
      functionId: `000000000000/us-east-1/${name}`,
      version,
      allocated: 2,
      inUse: 0,
    });

    // (4 s: the on-demand start ends first even on a loaded machine; otherwise the third call
    // would take a provisioned environment released sooner, as the scheduler allows.)
    // Three at once: two provisioned environments, the third call spills over on demand.
    const results = await Promise.all([0, 1, 2].map(() => call(name, version, { sleep: 4000 })));
    const types = results.map((r) => r.type).sort();
    assert.deepEqual(types, ['on-demand', 'provisioned-concurrency', 'provisioned-concurrency']);
    const provisionedIds = new Set(results.filter((r) => r.type !== 'on-demand').map((r) => r.id));
    assert.equal(provisionedIds.size, 2);
    // $LATEST has no config: on demand.
    assert.equal((await call(name, '$LATEST')).type, 'on-demand');

    // In use while a call runs on it.
    const busy = call(name, version, { sleep: 1000 });
    await until(
      'one provisioned environment is in use',
      async () => (await usageOf(name, version))?.inUse === 1,
    );
    await busy;

    // One crashes: it is replaced by a new provisioned environment.
    const crash = await lambda.send(
      new InvokeCommand({ FunctionName: name, Qualifier: version, Payload: JSON.stringify({ crash: true }) }),
    );
    assert.equal(crash.FunctionError, 'Unhandled');
    await until(
      'the crashed environment is replaced',
      async () => (await usageOf(name, version))?.allocated === 2,
    );
    assert.equal((await settled(name, version)).Status, 'READY');
    const after = await Promise.all([0, 1].map(() => call(name, version, { sleep: 300 })));
    assert.deepEqual(
      after.map((r) => r.type),
      ['provisioned-concurrency', 'provisioned-concurrency'],
    );

    const listed = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name }));
    assert.equal(listed.ProvisionedConcurrencyConfigs?.length, 1);
    assert.equal(
      listed.ProvisionedConcurrencyConfigs?.[0]?.FunctionArn,
      `arn:aws:lambda:us-east-1:000000000000:function:${name}:${version}`,
    );
    assert.equal(listed.ProvisionedConcurrencyConfigs?.[0]?.Status, 'READY');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  });

  test('an INIT failure is FAILED with FUNCTION_ERROR_INIT_FAILURE', async () => {
    const name = 'pc-init-failure';
    const version = await createVersion(name, INIT_FAILS);
    await put(name, version, 1);
    const failed = await settled(name, version);
    assert.equal(failed.Status, 'FAILED');
    assert.equal(failed.StatusReason, 'FUNCTION_ERROR_INIT_FAILURE');
    assert.equal(failed.AllocatedProvisionedConcurrentExecutions, 0);
    assert.equal(failed.RequestedProvisionedConcurrentExecutions, 1);
    assert.equal((await usageOf(name, version))?.allocated ?? 0, 0);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  });

  test('deleting the config, then the function, stops the environments', async () => {
    const name = 'pc-delete';
    const version = await createVersion(name);
    // Environments of earlier tests may still be stopping: counts are compared with at most.
    const before = (await health()).parts.invoke.environments;
    await put(name, version, 2);
    await settled(name, version);
    assert.equal((await usageOf(name, version))?.allocated, 2);
    await lambda.send(
      new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: version }),
    );
    await until(
      'both environments stopped',
      async () => (await health()).parts.invoke.environments <= before,
    );
    assert.equal(await usageOf(name, version), undefined);
    await assert.rejects(get(name, version), { name: 'ProvisionedConcurrencyConfigNotFoundException' });
    // The version runs on demand again.
    assert.equal((await call(name, version)).type, 'on-demand');

    await put(name, version, 1);
    await settled(name, version);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    await until('the function is gone with its environments', async () => {
      const h = await health();
      return h.parts.invoke.environments <= before && h.parts.invoke.provisioned.length === 0;
    });
  });

  test('the AWS CLI manages configs', {
    skip: awsCliTool().skip,
  }, async () => {
    const cli = findAwsCli() as string;
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-'));
    try {
      const aws = awsCli(cli, server.url, home);
      const name = 'pc-cli';
      const version = await createVersion(name);
      const put = (await aws(
        'lambda',
        'put-provisioned-concurrency-config',
        '--function-name',
        name,
        '--qualifier',
        version,
        '--provisioned-concurrent-executions',
        '1',
      )) as Record<string, unknown>;
      assert.equal(put.Status, 'IN_PROGRESS');
      assert.equal(put.RequestedProvisionedConcurrentExecutions, 1);
      await settled(name, version);
      const got = (await aws(
        'lambda',
        'get-provisioned-concurrency-config',
        '--function-name',
        name,
        '--qualifier',
        version,
      )) as Record<string, unknown>;
      assert.equal(got.Status, 'READY');
      assert.equal(got.AllocatedProvisionedConcurrentExecutions, 1);
      const listed = (await aws(
        'lambda',
        'list-provisioned-concurrency-configs',
        '--function-name',
        name,
      )) as {
        ProvisionedConcurrencyConfigs: Array<Record<string, unknown>>;
      };
      assert.equal(listed.ProvisionedConcurrencyConfigs.length, 1);
      await aws(
        'lambda',
        'delete-provisioned-concurrency-config',
        '--function-name',
        name,
        '--qualifier',
        version,
      );
      await assert.rejects(
        aws('lambda', 'get-provisioned-concurrency-config', '--function-name', name, '--qualifier', version),
        /ProvisionedConcurrencyConfigNotFoundException/,
      );
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('a configuration change (outbound tag) re-provisions with the new configuration', async () => {
    const name = 'pc-retag';
    const version = await createVersion(name);
    await put(name, version, 1);
    await settled(name, version);
    const before = (await health()).parts.invoke.environments;
    await lambda.send(
      new TagResourceCommand({
        Resource: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        Tags: { 'lambent:outbound': 'false' },
      }),
    );
    // The first call after the change retires the old environment; a new provisioned one follows.
    await call(name, version);
    await until('a provisioned environment of the new configuration serves', async () => {
      const usage = await usageOf(name, version);
      return usage?.allocated === 1 && (await call(name, version)).type === 'provisioned-concurrency';
    });
    // Nothing spins: the new provisioned environment and the on-demand one are all there is.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await health()).parts.invoke.environments <= before + 1);

    // Changed again, then more provisioned with no call in between: READY on the new configuration.
    await lambda.send(
      new TagResourceCommand({
        Resource: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        Tags: { 'lambent:outbound': 'true' },
      }),
    );
    await put(name, version, 2);
    const ready = await settled(name, version);
    assert.equal(ready.Status, 'READY');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await usageOf(name, version))?.allocated, 2);
    const both = await Promise.all([0, 1].map(() => call(name, version, { sleep: 300 })));
    assert.deepEqual(
      both.map((r) => r.type),
      ['provisioned-concurrency', 'provisioned-concurrency'],
    );
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  });

  test('REPORT of a provisioned environment has no Init Duration; deleting the version drops its config', async () => {
    const name = 'pc-version-delete';
    const version = await createVersion(name);
    await put(name, version, 1);
    await settled(name, version);
    assert.equal((await call(name, version)).type, 'provisioned-concurrency');
    assert.equal((await call(name, '$LATEST')).type, 'on-demand');
    const logs = server.logs();
    try {
      let reports: string[] = [];
      await until('both REPORT lines are stored', async () => {
        const found = await logs.send(
          new FilterLogEventsCommand({
            logGroupName: `/aws/lambda/${name}`,
            filterPattern: '"REPORT RequestId"',
          }),
        );
        reports = (found.events ?? []).map((e) => e.message ?? '');
        return reports.length === 2;
      });
      // The on-demand environment's first call reports its INIT; the provisioned one's does not.
      assert.equal(reports.filter((r) => r.includes('Init Duration')).length, 1, reports.join('\n'));
    } finally {
      logs.destroy();
    }
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: version }));
    await until(
      "the version's environment stopped",
      async () => (await usageOf(name, version)) === undefined,
    );
    const listed = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name }));
    assert.deepEqual(listed.ProvisionedConcurrencyConfigs, []);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  });

  test('ProvisionedConcurrencyUtilization reaches CloudWatch (in use / allocated, per version)', async () => {
    const name = 'pc-metric';
    const version = await createVersion(name);
    await put(name, version, 2);
    await settled(name, version);
    // Idle for a sample (0), then one of two busy for 2.5 s: the 1 s sampler sees 0.5.
    await new Promise((r) => setTimeout(r, 1500));
    await call(name, version, { sleep: 2500 });
    const cw = new CloudWatchClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const out = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/Lambda',
          MetricName: 'ProvisionedConcurrencyUtilization',
          Dimensions: [
            { Name: 'FunctionName', Value: name },
            { Name: 'Resource', Value: `${name}:${version}` },
          ],
          StartTime: new Date(Date.now() - 10 * 60_000),
          EndTime: new Date(Date.now() + 60_000),
          Period: 3600,
          Statistics: ['Maximum', 'Minimum'],
        }),
      );
      const point = out.Datapoints?.[0];
      assert.equal(point?.Maximum, 0.5, JSON.stringify(out.Datapoints));
      assert.equal(point?.Minimum, 0);
    } finally {
      cw.destroy();
    }
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  });

  test('after a restart the configs are provisioned again', async () => {
    const name = 'pc-restart';
    const version = await createVersion(name);
    await put(name, version, 1);
    await settled(name, version);
    lambda.destroy();
    server = await server.restart();
    lambda = server.lambda();
    const again = await settled(name, version);
    assert.equal(again.Status, 'READY');
    assert.equal(again.AllocatedProvisionedConcurrentExecutions, 1);
    assert.equal((await call(name, version)).type, 'provisioned-concurrency');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  });
});
