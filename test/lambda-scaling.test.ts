/**
 * Capacity without intervention, the way a user sees it: concurrent demand starts as many
 * environments as it needs (scale-out), idle ones go away after the keep-alive (scale-in),
 * and updating a function's code or configuration under a steady stream of invocations fails
 * none of them — in-flight calls finish on the old environments, which then drain and stop.
 * Real SDK, real server, real sandboxes; the environment count is read from /_lambent/health.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvokeCommand,
  type LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { updated } from './support/wait.js';
import { zipOf } from './support/zips.js';

/** Answers the code generation it belongs to, after sleeping `event.sleep` ms. */
const handlerOf = (generation: string) => `
exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  return { generation: ${JSON.stringify(generation)}, setting: process.env.SETTING ?? null };
};`;

interface InvokeStats {
  environments: number;
  idle: number;
}

async function invokeStats(server: TestServer): Promise<InvokeStats> {
  const health = (await (await fetch(`${server.url}/_lambent/health`)).json()) as {
    parts: { invoke: InvokeStats };
  };
  return health.parts.invoke;
}

async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}

async function call(
  lambda: LambdaClient,
  name: string,
  event: unknown,
): Promise<{ generation: string; setting: string | null }> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const body = Buffer.from(out.Payload ?? []).toString('utf8');
  if (out.StatusCode !== 200 || out.FunctionError) {
    throw new Error(`invoke failed: ${out.StatusCode} ${out.FunctionError ?? ''} ${body}`);
  }
  return JSON.parse(body);
}

describe('scaling out and in', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    // Idle environments are reaped after 2 s here (AWS keeps them for minutes).
    server = await startServer({ lambda: { keepAliveSeconds: 2 } });
    lambda = server.lambda();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('concurrent demand starts one environment per concurrent call; idle ones are reaped', async () => {
    await deployNode(lambda, 'scaler', handlerOf('one'));
    assert.equal((await invokeStats(server)).environments, 0);

    // 8 calls that overlap for 600 ms need 8 environments at once.
    const results = await Promise.all(
      Array.from({ length: 8 }, () => call(lambda, 'scaler', { sleep: 600 })),
    );
    assert.equal(results.length, 8);
    const afterBurst = await invokeStats(server);
    assert.equal(afterBurst.environments, 8, 'one environment per concurrent invocation');
    assert.equal(afterBurst.idle, 8, 'all of them idle (warm) once the calls are answered');

    // Sequential calls reuse one warm environment rather than starting more.
    for (let i = 0; i < 5; i++) await call(lambda, 'scaler', {});
    assert.equal((await invokeStats(server)).environments, 8);

    // Scale-in: nothing runs for the keep-alive, so every environment stops.
    await until(
      'environments after the keep-alive',
      () => invokeStats(server),
      (s) => s.environments === 0,
    );

    // And demand brings them back.
    await Promise.all(Array.from({ length: 3 }, () => call(lambda, 'scaler', { sleep: 300 })));
    assert.equal((await invokeStats(server)).environments, 3);
  });
});

describe('updating a function under steady load', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('code and configuration updates fail no invocation; old environments drain and stop', async () => {
    await deployNode(lambda, 'steady', handlerOf('v1'));

    // Four clients invoking back to back (each call holds its environment for 20 ms).
    const seen: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        try {
          const r = await call(lambda, 'steady', { sleep: 20 });
          seen.push(`${r.generation}/${r.setting}`);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const sawAtLeast = async (marker: string, count: number) =>
      until(
        `invocations answered by ${marker}`,
        async () => seen.filter((s) => s === marker).length,
        (n) => n >= count,
      );

    try {
      await sawAtLeast('v1/null', 20);

      await lambda.send(
        new UpdateFunctionCodeCommand({
          FunctionName: 'steady',
          ZipFile: await zipOf({ 'index.js': handlerOf('v2') }),
        }),
      );
      await updated(lambda, 'steady');
      await sawAtLeast('v2/null', 20);

      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'steady',
          Environment: { Variables: { SETTING: 'blue' } },
        }),
      );
      await updated(lambda, 'steady');
      await sawAtLeast('v2/blue', 20);
    } finally {
      stop = true;
      await Promise.all(clients);
    }

    assert.deepEqual(failures, [], 'no invocation failed during the updates');
    // Once a call has been answered by the new code, no later call runs the old one.
    const lastV1 = seen.lastIndexOf('v1/null');
    const firstBlue = seen.indexOf('v2/blue');
    assert.ok(lastV1 < seen.indexOf('v2/null') + 4, 'v1 stops answering right after the code update');
    assert.ok(
      seen.slice(firstBlue + 4).every((s) => s === 'v2/blue'),
      'only the newest configuration answers',
    );

    // The old configurations' environments drained: what is left serves only the newest one
    // (at most the four clients' worth).
    const left = await until(
      'environments after the drain',
      () => invokeStats(server),
      (s) => s.environments <= 4,
    );
    assert.ok(left.environments >= 1);
  });
});
