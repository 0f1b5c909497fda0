/**
 * Response streaming end to end: InvokeWithResponseStream through the real SDK (and boto3) against
 * a real server and real sandboxes. Chunks arrive as the handler writes them (shown without timing:
 * the handler waits for a signal the test gives only once it holds the first chunk), errors
 * mid-stream and timeouts end the stream in InvokeComplete, a function that does not stream gives one
 * chunk, and the invocation is logged (START/END/REPORT) like any other.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  type InvokeWithResponseStreamCommandOutput,
  type LambdaClient,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-lambda';
import { anonymousPrincipal, rootPrincipal } from '../src/iam/principal.js';
import { deployNode, TEST_ROLE } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const run = promisify(execFile);

const LIMIT = 16 * 1024 * 1024;

const STREAMING = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain');
  for (const part of event.parts ?? ['a', 'b', 'c']) responseStream.write(part);
  responseStream.end();
});`;

interface Collected {
  chunks: string[];
  complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } | undefined;
}

async function collect(
  out: InvokeWithResponseStreamCommandOutput,
  onChunk?: (text: string) => Promise<void> | void,
): Promise<Collected> {
  const result: Collected = { chunks: [], complete: undefined };
  for await (const event of out.EventStream ?? []) {
    if (event.PayloadChunk?.Payload) {
      const text = Buffer.from(event.PayloadChunk.Payload).toString('utf8');
      result.chunks.push(text);
      await onChunk?.(text);
    }
    if (event.InvokeComplete) result.complete = event.InvokeComplete;
  }
  return result;
}

/** A python3 whose botocore knows InvokeWithResponseStream (Debian's 1.29 predates it). */
async function boto3Python(): Promise<string | undefined> {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      await run(python, [
        '-c',
        "import botocore.session; botocore.session.get_session().get_service_model('lambda').operation_model('InvokeWithResponseStream')",
      ]);
      return python;
    } catch {}
  }
  return undefined;
}

describe('InvokeWithResponseStream', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  const stream = (name: string, payload: unknown = {}, extra: { LogType?: 'Tail' } = {}) =>
    lambda.send(
      new InvokeWithResponseStreamCommand({
        FunctionName: name,
        Payload: Buffer.from(JSON.stringify(payload)),
        ...extra,
      }),
    );

  before(async () => {
    // A smaller streamed-response limit than Lambda's 200 MB, to reach it quickly.
    server = await startServer({ lambda: { maxStreamedResponseBytes: LIMIT } });
    lambda = server.lambda();
    await deployNode(lambda, 'streamer', STREAMING);
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('the SDK reads the chunks, then InvokeComplete without an error', async () => {
    const out = await stream('streamer', { parts: ['one ', 'two ', 'three'] });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.ExecutedVersion, '$LATEST');
    const got = await collect(out);
    assert.equal(got.chunks.join(''), 'one two three');
    assert.deepEqual(got.complete, {});
  });

  test('the first chunk arrives before the handler finishes', { timeout: 60_000 }, async () => {
    // The handler writes, then waits until the test tags the function: the test does that only
    // once it holds the first chunk, so the handler cannot have finished before it arrived.
    await deployNode(
      lambda,
      'streamer-gated',
      `const { LambdaClient, ListTagsCommand } = require('@aws-sdk/client-lambda');
      const client = new LambdaClient({});
      exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
        responseStream.write('first');
        for (;;) {
          const { Tags } = await client.send(new ListTagsCommand({ Resource: context.invokedFunctionArn }));
          if (Tags && Tags.go === event.token) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        responseStream.end(' then the rest');
      });`,
      { Timeout: 30 },
    );
    const token = `t${Date.now()}`;
    const arn = `arn:aws:lambda:us-east-1:000000000000:function:streamer-gated`;
    const out = await stream('streamer-gated', { token });
    let signalled = false;
    const got = await collect(out, async (text) => {
      if (text === 'first' && !signalled) {
        signalled = true;
        await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { go: token } }));
      }
    });
    assert.ok(signalled, 'the first chunk came on its own');
    assert.equal(got.chunks.join(''), 'first then the rest');
    assert.deepEqual(got.complete, {});
  });

  test('an error mid-stream arrives as InvokeComplete ErrorCode, after the chunks', async () => {
    await deployNode(
      lambda,
      'streamer-fails',
      `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
        responseStream.write('partial');
        await new Promise((r) => setTimeout(r, 5));
        throw new TypeError('broke mid-stream');
      });`,
    );
    const out = await stream('streamer-fails');
    assert.equal(out.StatusCode, 200);
    const got = await collect(out);
    assert.equal(got.chunks.join(''), 'partial');
    assert.equal(got.complete?.ErrorCode, 'TypeError');
    assert.equal(got.complete?.ErrorDetails, 'broke mid-stream');
    // Counted as Invoke's are: one invocation, one error.
    const metrics = await (await fetch(`${server.url}/_lambent/metrics`)).text();
    const count = (family: string) =>
      Number(new RegExp(`^${family}\\{[^}]*"streamer-fails"[^}]*\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(count('lambent_lambda_invocations_total'), 1, metrics);
    assert.equal(count('lambent_lambda_errors_total'), 1);
  });

  test('a timeout mid-stream ends it with Sandbox.Timedout', { timeout: 60_000 }, async () => {
    await deployNode(
      lambda,
      'streamer-slow',
      `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
        responseStream.write('before');
        await new Promise(() => {});
      });`,
      { Timeout: 1 },
    );
    const got = await collect(await stream('streamer-slow'));
    assert.equal(got.chunks.join(''), 'before');
    assert.equal(got.complete?.ErrorCode, 'Sandbox.Timedout');
    assert.match(got.complete?.ErrorDetails ?? '', /Task timed out after 1\.00 seconds/);
  });

  test('past the streamed-response limit: what fitted, then Function.ResponseSizeTooLarge', {
    timeout: 60_000,
  }, async () => {
    await deployNode(
      lambda,
      'streamer-huge',
      `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
        const mib = Buffer.alloc(1024 * 1024, 122);
        for (let i = 0; i < 17; i++) {
          if (!responseStream.write(mib)) await new Promise((r) => responseStream.once('drain', r));
        }
        responseStream.end();
      });`,
      { Timeout: 30 },
    );
    const got = await collect(await stream('streamer-huge'));
    const received = got.chunks.reduce((n, c) => n + c.length, 0);
    assert.equal(received, LIMIT);
    assert.equal(got.complete?.ErrorCode, 'Function.ResponseSizeTooLarge');
    assert.equal(
      got.complete?.ErrorDetails,
      `Response payload size exceeded maximum allowed payload size (${LIMIT} bytes).`,
    );
  });

  test('a function that does not stream gives its response as one chunk', async () => {
    await deployNode(lambda, 'buffered', 'exports.handler = async (event) => ({ echo: event });');
    const got = await collect(await stream('buffered', { x: 1 }));
    assert.deepEqual(got.chunks, ['{"echo":{"x":1}}']);
    assert.deepEqual(got.complete, {});
    await deployNode(
      lambda,
      'buffered-fails',
      'exports.handler = async () => { throw new RangeError("no"); };',
    );
    // Python has no streaming handler (on Lambda either): its answer is the one chunk.
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'python-buffered',
        Runtime: 'python3.12',
        Handler: 'app.handler',
        Role: TEST_ROLE,
        Code: {
          ZipFile: await zipOf({ 'app.py': 'def handler(event, context):\n    return {"py": event}\n' }),
        },
      }),
    );
    await active(lambda, 'python-buffered');
    const py = await collect(await stream('python-buffered', { y: 2 }));
    assert.deepEqual(py.chunks, ['{"py": {"y": 2}}']);
    const failed = await collect(await stream('buffered-fails'));
    assert.deepEqual(failed.chunks, []);
    assert.equal(failed.complete?.ErrorCode, 'RangeError');
    assert.equal(failed.complete?.ErrorDetails, 'no');
  });

  test('a streaming function invoked with plain Invoke answers its chunks concatenated', async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'streamer', Payload: Buffer.from('{"parts":["x","y"]}') }),
    );
    assert.equal(out.FunctionError, undefined);
    assert.equal(Buffer.from(out.Payload ?? []).toString(), 'xy');
  });

  test('START/END/REPORT reach /aws/lambda/<fn> and the log tail', async () => {
    const out = await stream('streamer', { parts: ['logged'] }, { LogType: 'Tail' });
    const requestId = out.$metadata.requestId;
    assert.ok(requestId);
    const got = await collect(out);
    const tail = Buffer.from(got.complete?.LogResult ?? '', 'base64').toString();
    assert.match(
      tail,
      new RegExp(
        `REPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB`,
      ),
    );
    const logs = server.logs();
    const lines = async () =>
      (
        await logs.send(
          new FilterLogEventsCommand({
            logGroupName: '/aws/lambda/streamer',
            filterPattern: `"${requestId}"`,
          }),
        )
      ).events?.map((e) => e.message ?? '') ?? [];
    let found = await lines();
    for (let i = 0; i < 100 && !found.some((l) => l.startsWith('REPORT')); i++) {
      await new Promise((r) => setTimeout(r, 20));
      found = await lines();
    }
    assert.ok(
      found.some((l) => l.startsWith(`START RequestId: ${requestId}`)),
      found.join('|'),
    );
    assert.ok(found.some((l) => l.startsWith(`END RequestId: ${requestId}`)));
    assert.ok(found.some((l) => l.startsWith(`REPORT RequestId: ${requestId}`)));
  });

  test('errors before the function runs are HTTP errors in AWS shape', async () => {
    await assert.rejects(
      stream('no-such-function'),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'ResourceNotFoundException');
        assert.equal(err.$metadata?.httpStatusCode, 404);
        return true;
      },
    );
    await assert.rejects(
      lambda.send(
        new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: Buffer.from('not json') }),
      ),
      (err: Error) => err.name === 'InvalidRequestContentException',
    );
    // A throttle is decided before anything runs: AWS's 429, not an event stream.
    await deployNode(lambda, 'streamer-reserved-0', STREAMING);
    await lambda.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: 'streamer-reserved-0',
        ReservedConcurrentExecutions: 0,
      }),
    );
    await assert.rejects(
      stream('streamer-reserved-0'),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'TooManyRequestsException');
        assert.equal(err.$metadata?.httpStatusCode, 429);
        return true;
      },
    );
    const dry = await lambda.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', InvocationType: 'DryRun' }),
    );
    assert.equal(dry.StatusCode, 204);
  });

  test('a client that goes away mid-stream: the function ends normally, the server goes on', {
    timeout: 60_000,
  }, async () => {
    await deployNode(
      lambda,
      'streamer-long',
      `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
        for (let i = 0; i < 200; i++) {
          responseStream.write('x'.repeat(64 * 1024));
          await new Promise((r) => setTimeout(r, 1));
        }
        console.log('wrote everything');
        responseStream.end();
      });`,
      { Timeout: 30 },
    );
    const abort = new AbortController();
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'streamer-long' }), {
      abortSignal: abort.signal,
    });
    const requestId = out.$metadata.requestId;
    await assert.rejects(
      collect(out, () => {
        abort.abort();
      }),
    );
    // The function ran to its end (its output is drained, not stalled) and was accounted.
    const logs = server.logs();
    const report = async () =>
      (
        await logs.send(
          new FilterLogEventsCommand({
            logGroupName: '/aws/lambda/streamer-long',
            filterPattern: `"REPORT RequestId: ${requestId}"`,
          }),
        )
      ).events ?? [];
    for (let i = 0; i < 500 && (await report()).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await report()).length, 1);
    // Its environment serves the next invocation.
    const again = await collect(await stream('streamer-long'));
    assert.equal(again.chunks.join('').length, 200 * 64 * 1024);
    assert.deepEqual(again.complete, {});
  });

  test('FunctionInvoker.invokeStream (RESPONSE_STREAM function URLs) streams, and checks the caller', async () => {
    const functions = server.lambent.functions;
    const request = {
      accountId: '000000000000',
      region: 'us-east-1',
      functionName: 'streamer',
      payload: Buffer.from('{"parts":["u","r","l"]}'),
    };
    const run = await functions.invokeStream({
      ...request,
      caller: { principal: rootPrincipal('000000000000') },
    });
    assert.equal(run.executedVersion, '$LATEST');
    const chunks: string[] = [];
    for await (const c of run.chunks) chunks.push(c.toString());
    assert.deepEqual(chunks, ['u', 'r', 'l']);
    assert.equal(run.contentType(), 'text/plain');
    assert.deepEqual(await run.completion, {});

    const failing = await functions.invokeStream({
      ...request,
      functionName: 'streamer-fails',
      caller: { principal: rootPrincipal('000000000000') },
    });
    for await (const _ of failing.chunks);
    const { error } = await failing.completion;
    assert.equal(error?.errorType, 'TypeError');
    assert.equal(error?.errorMessage, 'broke mid-stream');

    // No policy lets anyone else in: refused before anything runs, in AWS's words.
    await assert.rejects(
      functions.invokeStream({
        ...request,
        caller: {
          principal: anonymousPrincipal(),
          action: 'lambda:InvokeFunctionUrl',
          context: { 'lambda:FunctionUrlAuthType': 'NONE' },
        },
      }),
      (err: Error) => err.name === 'AccessDeniedException',
    );
  });

  test('boto3 invoke_with_response_stream reads it too', { timeout: 60_000 }, async (t) => {
    const python = await boto3Python();
    if (!python) {
      t.skip('no python3 with a botocore that has InvokeWithResponseStream');
      return;
    }
    const script = `
import json, sys, boto3
c = boto3.client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='test', aws_secret_access_key='test')
out = {'chunks': [], 'complete': None}
for name in ('streamer', 'streamer-fails'):
    r = c.invoke_with_response_stream(FunctionName=name, Payload=b'{"parts":["py","thon"]}')
    got = {'status': r['StatusCode'], 'version': r.get('ExecutedVersion'), 'chunks': [], 'complete': None}
    for ev in r['EventStream']:
        if 'PayloadChunk' in ev:
            got['chunks'].append(ev['PayloadChunk']['Payload'].decode())
        if 'InvokeComplete' in ev:
            got['complete'] = ev['InvokeComplete']
    out[name] = got
print(json.dumps(out))
`;
    const { stdout } = await run(python, ['-c', script, server.url], { timeout: 50_000 });
    const out = JSON.parse(stdout);
    assert.deepEqual(out.streamer, { status: 200, version: '$LATEST', chunks: ['py', 'thon'], complete: {} });
    assert.deepEqual(out['streamer-fails'].chunks, ['partial']);
    assert.equal(out['streamer-fails'].complete.ErrorCode, 'TypeError');
  });
});
