/**
 * Running functions the way a user does: Invoke through the SDK against a real server with
 * real sandboxes, for Node, Python and a shell-script custom runtime; errors, timeouts,
 * crashes and hostile functions come back in AWS's words, and logs land in CloudWatch Logs.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
  type Runtime,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { findTool } from '../src/sandbox/linux/tmp-volumes.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active, updated } from './support/wait.js';
import { zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';

const json = (out: InvokeCommandOutput) =>
  JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

describe('invoke', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  async function deploy(
    name: string,
    runtime: Runtime,
    handler: string,
    files: Record<string, string>,
    extra: {
      Timeout?: number;
      MemorySize?: number;
      Environment?: { Variables: Record<string, string> };
    } = {},
    modes: Record<string, number> = {},
  ): Promise<void> {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Handler: handler,
        Role: ROLE,
        Code: { ZipFile: await zipOf(files, modes) },
        ...extra,
      }),
    );
    await active(lambda, name);
  }

  const invoke = (
    name: string,
    payload: unknown = {},
    options: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {},
  ) =>
    lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...options }),
    );

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('node: payload, context, environment, warm reuse and Lambda log lines', async () => {
    await deploy(
      'node-echo',
      'nodejs20.x',
      'index.handler',
      {
        'index.js': `
        let calls = 0;
        exports.handler = async (event, context) => {
          calls++;
          console.log('got', JSON.stringify(event));
          return {
            event, calls,
            requestId: context.awsRequestId,
            arn: context.invokedFunctionArn,
            fn: context.functionName,
            memory: context.memoryLimitInMB,
            remaining: context.getRemainingTimeInMillis(),
            env: {
              name: process.env.AWS_LAMBDA_FUNCTION_NAME,
              region: process.env.AWS_REGION,
              version: process.env.AWS_LAMBDA_FUNCTION_VERSION,
              taskRoot: process.env.LAMBDA_TASK_ROOT,
              handler: process.env._HANDLER,
              endpoint: process.env.AWS_ENDPOINT_URL,
              stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
              own: process.env.MY_SETTING,
              inherited: process.env.HOME_OF_TEST_RUNNER,
            },
          };
        };`,
      },
      { Environment: { Variables: { MY_SETTING: 'yes' } } },
    );
    const first = await invoke('node-echo', { hello: 'world' }, { LogType: 'Tail' });
    assert.equal(first.StatusCode, 200);
    assert.equal(first.FunctionError, undefined);
    assert.equal(first.ExecutedVersion, '$LATEST');
    const body = json(first);
    assert.deepEqual(body.event, { hello: 'world' });
    assert.equal(body.calls, 1);
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(first.$metadata.requestId, body.requestId);
    assert.equal(body.arn, 'arn:aws:lambda:us-east-1:000000000000:function:node-echo');
    assert.equal(body.fn, 'node-echo');
    assert.equal(Number(body.memory), 128);
    assert.ok(body.remaining > 2000 && body.remaining <= 3000, `remaining ${body.remaining}`);
    assert.equal(body.env.name, 'node-echo');
    assert.equal(body.env.region, 'us-east-1');
    assert.equal(body.env.version, '$LATEST');
    assert.equal(body.env.taskRoot, '/var/task');
    assert.equal(body.env.handler, 'index.handler');
    assert.equal(body.env.endpoint, `http://127.0.0.1:${new URL(server.url).port}`);
    assert.match(body.env.stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.equal(body.env.own, 'yes');
    assert.equal(body.env.inherited, undefined);

    const log = tail(first);
    assert.match(log, new RegExp(`^START RequestId: ${body.requestId} Version: \\$LATEST$`, 'm'));
    assert.match(
      log,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${body.requestId}\\tINFO\\tgot {"hello":"world"}$`, 'm'),
    );
    assert.match(log, new RegExp(`^END RequestId: ${body.requestId}$`, 'm'));
    assert.match(
      log,
      /^REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t$/m,
    );

    // The same environment serves the next call (module state kept, no Init Duration).
    const second = await invoke('node-echo', { n: 2 }, { LogType: 'Tail' });
    assert.equal(json(second).calls, 2);
    assert.doesNotMatch(tail(second), /Init Duration/);

    // The lines are in CloudWatch Logs too, within moments (they are stored in small batches).
    const logs = server.logs();
    const filter = () =>
      logs.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/node-echo', filterPattern: '"got"' }),
      );
    let events = await filter();
    for (let i = 0; i < 50 && (events.events?.length ?? 0) < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      events = await filter();
    }
    assert.equal(events.events?.length, 2);
    assert.equal(events.events?.[0]?.logStreamName, body.env.stream);
  });

  test('node: a thrown error comes back as AWS shapes it', async () => {
    await deploy('node-error', 'nodejs20.x', 'index.handler', {
      'index.js': `exports.handler = async () => { const e = new TypeError('bad thing'); throw e; };`,
    });
    const out = await invoke('node-error');
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const body = json(out);
    assert.equal(body.errorType, 'TypeError');
    assert.equal(body.errorMessage, 'bad thing');
    assert.ok(Array.isArray(body.trace) && body.trace[0].startsWith('TypeError: bad thing'));
  });

  test('a missing handler is Runtime.HandlerNotFound', async () => {
    await deploy('node-nohandler', 'nodejs20.x', 'index.missing', {
      'index.js': 'exports.other = async () => 1;',
    });
    const body = json(await invoke('node-nohandler'));
    assert.equal(body.errorType, 'Runtime.HandlerNotFound');
  });

  test('timeout: AWS payload, the environment is replaced, /tmp survives', async () => {
    await deploy(
      'node-timeout',
      'nodejs20.x',
      'index.handler',
      {
        'index.js': `
        const fs = require('fs');
        exports.handler = async (event) => {
          if (event.write) fs.writeFileSync('/tmp/marker', 'kept');
          if (event.hang) { setInterval(() => {}, 1000); await new Promise(() => {}); }
          return { marker: fs.existsSync('/tmp/marker') ? fs.readFileSync('/tmp/marker', 'utf8') : null };
        };`,
      },
      { Timeout: 1 },
    );
    await invoke('node-timeout', { write: true });
    const started = Date.now();
    const out = await invoke('node-timeout', { hang: true });
    assert.ok(Date.now() - started < 3000);
    assert.equal(out.FunctionError, 'Unhandled');
    const body = json(out);
    assert.equal(body.errorType, 'Sandbox.Timedout');
    assert.equal(
      body.errorMessage,
      `RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    );
    const after = json(await invoke('node-timeout', {}));
    assert.equal(after.marker, 'kept');
  });

  test('process.exit and a crash are Runtime.ExitError', async () => {
    await deploy('node-exit', 'nodejs20.x', 'index.handler', {
      'index.js': 'exports.handler = async (e) => { process.exit(e.code); };',
    });
    const out = await invoke('node-exit', { code: 3 });
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(json(out), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: exit status 3`,
    });
    // The next invocation gets a fresh environment.
    const again = await invoke('node-exit', { code: 0 });
    assert.equal(
      json(again).errorMessage,
      `RequestId: ${again.$metadata.requestId} Error: Runtime exited without providing a reason`,
    );
  });

  test('python: result, logging format and error shape', async () => {
    await deploy('py-fn', 'python3.12', 'app.handler', {
      'app.py': [
        'import logging, os',
        'logger = logging.getLogger()',
        'logger.setLevel(logging.INFO)',
        'def handler(event, context):',
        '    logger.info("seen %s", event.get("x"))',
        '    if event.get("fail"):',
        '        raise ValueError("nope")',
        '    return {"x": event.get("x"), "fn": context.function_name, "rid": context.aws_request_id, "mem": context.memory_limit_in_mb}',
        '',
      ].join('\n'),
    });
    const ok = await invoke('py-fn', { x: 42 }, { LogType: 'Tail' });
    assert.equal(ok.FunctionError, undefined);
    const body = json(ok);
    assert.equal(body.x, 42);
    assert.equal(body.fn, 'py-fn');
    assert.equal(body.rid, ok.$metadata.requestId);
    assert.match(tail(ok), new RegExp(`\\[INFO\\]\\t\\S+\\t${body.rid}\\tseen 42`));
    const failed = await invoke('py-fn', { fail: true });
    assert.equal(failed.FunctionError, 'Unhandled');
    const err = json(failed);
    assert.equal(err.errorType, 'ValueError');
    assert.equal(err.errorMessage, 'nope');
    assert.equal(err.requestId, failed.$metadata.requestId);
    assert.ok(Array.isArray(err.stackTrace));
  });

  test("provided.al2023: the AWS documentation's shell-script bootstrap runs unchanged", async () => {
    // From the AWS Lambda developer guide, "Tutorial: Building a custom runtime".
    const bootstrap = [
      '#!/bin/sh',
      'set -euo pipefail',
      '',
      '# Initialization - load function handler',
      'source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"',
      '',
      '# Processing',
      'while true',
      'do',
      '  HEADERS="$(mktemp)"',
      '  # Get an event. The HTTP request will block until one is received',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, not a template
      '  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")',
      '',
      '  # Extract request ID by scraping response headers received above',
      '  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d \'[:space:]\' | cut -d: -f2)',
      '',
      '  # Run the handler function from the script',
      '  RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")',
      '',
      '  # Send the response',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, not a template
      '  curl "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response"  -d "$RESPONSE"',
      'done',
      '',
    ].join('\n');
    const fn = [
      'function handler () {',
      '  EVENT_DATA=$1',
      '  echo "$EVENT_DATA" 1>&2;',
      '  RESPONSE="Echoing request: \'$EVENT_DATA\'"',
      '',
      '  echo $RESPONSE',
      '}',
      '',
    ].join('\n');
    await deploy(
      'sh-fn',
      'provided.al2023',
      'function.handler',
      { bootstrap, 'function.sh': fn },
      {},
      { bootstrap: 0o100755, 'function.sh': 0o100755 },
    );
    const out = await invoke('sh-fn', { text: 'hi' }, { LogType: 'Tail' });
    if (out.FunctionError) console.error(Buffer.from(out.Payload ?? []).toString(), tail(out));
    assert.equal(out.FunctionError, undefined);
    assert.equal(Buffer.from(out.Payload ?? []).toString(), `Echoing request: '{"text":"hi"}'`);
  });

  test('Event invocations are accepted with 202 and run', async () => {
    await deploy('node-async', 'nodejs20.x', 'index.handler', {
      'index.js': 'exports.handler = async (e) => { console.log("async-marker", e.id); };',
    });
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'node-async',
        InvocationType: 'Event',
        Payload: Buffer.from('{"id":"e1"}'),
      }),
    );
    assert.equal(out.StatusCode, 202);
    const logs = server.logs();
    const deadline = Date.now() + 10_000;
    let found = 0;
    while (Date.now() < deadline && found === 0) {
      const res = await logs
        .send(
          new FilterLogEventsCommand({
            logGroupName: '/aws/lambda/node-async',
            filterPattern: '"async-marker e1"',
          }),
        )
        .catch(() => undefined);
      found = res?.events?.length ?? 0;
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(found, 1);
  });

  test('DryRun is 204; bad payloads and unknown functions get AWS errors', async () => {
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'node-echo', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: 'node-echo', Payload: Buffer.from('{not json') })),
      (err: Error) =>
        err.name === 'InvalidRequestContentException' &&
        err.message.startsWith('Could not parse request body into json'),
    );
    await assert.rejects(invoke('does-not-exist'), {
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist:$LATEST',
    });
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: 'node-echo', Payload: Buffer.alloc(6_291_557, 0x20) })),
      {
        name: 'RequestEntityTooLargeException',
        message: 'Request must be smaller than 6291556 bytes for the InvokeFunction operation',
      },
    );
  });

  test('a configuration update takes effect on the next invocation', async () => {
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'node-echo',
        Environment: { Variables: { MY_SETTING: 'changed' } },
      }),
    );
    await updated(lambda, 'node-echo');
    assert.equal(json(await invoke('node-echo')).env.own, 'changed');
  });

  test('hostile: twice its memory is an out-of-memory error, and others keep working', async () => {
    await deploy(
      'node-oom',
      'nodejs20.x',
      'index.handler',
      {
        'index.js':
          'exports.handler = async () => { const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1)); };',
      },
      { MemorySize: 128, Timeout: 10 },
    );
    const out = await invoke('node-oom');
    assert.equal(out.FunctionError, 'Unhandled');
    const body = json(out);
    assert.match(body.errorType, /^Runtime\.(OutOfMemory|ExitError)$/);
    assert.equal((await invoke('node-echo')).FunctionError, undefined);
  });

  test('JSON log format: platform records as JSON; SystemLogLevel WARN hides them', async () => {
    await deploy('node-jsonlog', 'nodejs20.x', 'index.handler', {
      'index.js': 'exports.handler = async () => { console.warn("careful"); return 1; };',
    });
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'node-jsonlog',
        LoggingConfig: { LogFormat: 'JSON' },
      }),
    );
    await updated(lambda, 'node-jsonlog');
    const lines = tail(await invoke('node-jsonlog', {}, { LogType: 'Tail' }))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.type ?? l.level),
      ['platform.start', 'WARN', 'platform.report'],
    );
    assert.equal(lines[1].message, 'careful');
    assert.equal(lines[2].record.status, 'success');
    assert.equal(typeof lines[2].record.metrics.billedDurationMs, 'number');
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'node-jsonlog',
        LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN' },
      }),
    );
    await updated(lambda, 'node-jsonlog');
    const quiet = tail(await invoke('node-jsonlog', {}, { LogType: 'Tail' }))
      .trim()
      .split('\n');
    assert.equal(quiet.length, 1);
    assert.equal(JSON.parse(quiet[0] ?? '{}').message, 'careful');
  });

  test('the lambent:outbound=false tag cuts a function off from everything but the platform', async () => {
    const outside = http.createServer((_req, res) => res.end('outside'));
    await new Promise<void>((r) => outside.listen(0, '127.0.0.1', r));
    const port = (outside.address() as AddressInfo).port;
    try {
      const code = `const http = require('http');
        const get = (url) => new Promise((resolve) => {
          const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode); });
          req.on('error', (e) => resolve(e.code));
          req.setTimeout(2000, () => { req.destroy(); resolve('timeout'); });
        });
        exports.handler = async () => ({
          outside: await get('http://127.0.0.1:${port}/'),
          platform: await get(process.env.AWS_ENDPOINT_URL + '/_lambent/health'),
        });`;
      await deploy('net-open', 'nodejs20.x', 'index.handler', { 'index.js': code });
      // With outbound access too, the host's own loopback is out of reach (a network namespace
      // per sandbox; test/lambda-network.test.ts checks what lies beyond the host), unless
      // nftables is missing and such functions share the host's network.
      const open = json(await invoke('net-open'));
      assert.equal(open.platform, 200);
      if (findTool('nft')) assert.equal(open.outside, 'ECONNREFUSED');
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'net-closed',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await zipOf({ 'index.js': code }) },
          Tags: { 'lambent:outbound': 'false' },
        }),
      );
      await active(lambda, 'net-closed');
      const closed = json(await invoke('net-closed'));
      assert.notEqual(closed.outside, 200);
      assert.equal(closed.platform, 200);
    } finally {
      outside.close();
    }
  });

  test("delete stops the function's environments", async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'node-timeout' }));
    await assert.rejects(invoke('node-timeout'), { name: 'ResourceNotFoundException' });
  });
});
