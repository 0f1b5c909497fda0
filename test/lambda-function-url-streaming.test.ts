/**
 * RESPONSE_STREAM function URLs end to end: a URL made with @aws-sdk/client-lambda, plain Node
 * `fetch` against a real server running real sandboxes. The first chunk reaches the client before
 * the handler finishes (shown without timing: the handler waits for a signal the test gives only
 * once it holds that chunk), HttpResponseStream.from's prelude gives the status, headers and
 * cookies, a stream without one is a 200 of its content type, failures before the first byte are
 * BUFFERED's 502 and after it a cut connection, and a function that does not stream (Python) has
 * its answer sent as it is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  type CreateFunctionUrlConfigCommandInput,
  type LambdaClient,
  TagResourceCommand,
} from '@aws-sdk/client-lambda';
import { deployNode, TEST_ROLE } from './support/functions.js';
import { readGated } from './support/gated-stream.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const GATED = `const { LambdaClient, ListTagsCommand } = require('@aws-sdk/client-lambda');
const client = new LambdaClient({});
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const token = event.queryStringParameters.token;
  const out = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'content-type': 'text/plain', 'x-streamed': 'yes', 'transfer-encoding': 'identity' },
    cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
  });
  out.write('first');
  for (;;) {
    const { Tags } = await client.send(new ListTagsCommand({ Resource: context.invokedFunctionArn }));
    if (Tags && Tags.go === token) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  out.end(' then the rest');
});`;

const PLAIN = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  switch (event.rawPath) {
    case '/throw-first': throw new Error('before any byte');
    case '/throw-later':
      responseStream.write('part');
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('after the first byte');
    case '/big':
      for (let i = 0; i < 64; i++) responseStream.write('x'.repeat(16384));
      responseStream.end();
      return;
  }
  responseStream.write('a');
  responseStream.write('b');
  responseStream.end('c');
});`;

// Writes a first chunk, waits for the test's signal, then 4 MiB (four times the invoke layer's queue):
// with nobody reading, it can only finish if the door let the queue go when the client left.
const LEFT = `const { LambdaClient, ListTagsCommand } = require('@aws-sdk/client-lambda');
const client = new LambdaClient({});
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const token = event.queryStringParameters.token;
  responseStream.write('first');
  for (;;) {
    const { Tags } = await client.send(new ListTagsCommand({ Resource: context.invokedFunctionArn }));
    if (Tags && Tags.go === token) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 64; i++) {
    await new Promise((r) => responseStream.write(Buffer.alloc(65536, 120), r));
  }
  console.log('wrote it all');
  responseStream.end();
});`;

const PYTHON = `import json


def handler(event, context):
    return {"statusCode": 202, "headers": {"x-py": "1"}, "body": json.dumps({"path": event["rawPath"]})}
`;

describe('RESPONSE_STREAM function URLs', () => {
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

  /** A public RESPONSE_STREAM URL (both of AWS's statements) and its path-style base. */
  async function streamingUrl(name: string, extra: Partial<CreateFunctionUrlConfigCommandInput> = {}) {
    const out = await lambda.send(
      new CreateFunctionUrlConfigCommand({
        FunctionName: name,
        AuthType: 'NONE',
        InvokeMode: 'RESPONSE_STREAM',
        ...extra,
      }),
    );
    assert.equal(out.InvokeMode, 'RESPONSE_STREAM');
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: name,
        StatementId: 'url',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      }),
    );
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: name,
        StatementId: 'url-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: '*',
        InvokedViaFunctionUrl: true,
      }),
    );
    const id = /^http:\/\/([a-z0-9]{32})\./.exec(out.FunctionUrl ?? '')?.[1];
    assert.ok(id, out.FunctionUrl);
    return `${server.url}/_aws/lambda-url/${id}`;
  }

  test('the first chunk arrives before the handler finishes; the prelude gives status, headers, cookies', {
    timeout: 90_000,
  }, async () => {
    await deployNode(lambda, 'url-stream-gated', GATED, { Timeout: 30 });
    const base = await streamingUrl('url-stream-gated', { Cors: { AllowOrigins: ['https://app.example'] } });
    const token = `t${Date.now()}`;
    const res = await fetch(`${base}/gated?token=${token}`, { headers: { origin: 'https://app.example' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(res.headers.get('x-streamed'), 'yes');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; HttpOnly']);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(res.headers.get('content-length'), null);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);

    // Only once the first chunk is here may the handler finish.
    const text = await readGated(res, 'first', () =>
      lambda.send(
        new TagResourceCommand({
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:url-stream-gated',
          Tags: { go: token },
        }),
      ),
    );
    assert.equal(text, 'first then the rest');
  });

  test('no prelude: 200 with the stream content type; errors before and after the first byte', {
    timeout: 60_000,
  }, async () => {
    await deployNode(lambda, 'url-stream-plain', PLAIN);
    const base = await streamingUrl('url-stream-plain');

    const plain = await fetch(`${base}/`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'application/octet-stream');
    assert.equal(await plain.text(), 'abc');

    const big = await fetch(`${base}/big`);
    assert.equal(big.status, 200);
    assert.equal((await big.arrayBuffer()).byteLength, 64 * 16384);

    const early = await fetch(`${base}/throw-first`);
    assert.equal(early.status, 502);
    assert.equal(await early.text(), 'Internal Server Error');

    const late = await fetch(`${base}/throw-later`);
    assert.equal(late.status, 200);
    await assert.rejects(late.text(), 'a stream that failed after its first byte is cut, not completed');
  });

  test('a client that leaves mid-stream lets the function run to its end', { timeout: 90_000 }, async () => {
    await deployNode(lambda, 'url-stream-left', LEFT, { Timeout: 30 });
    const base = await streamingUrl('url-stream-left');
    const token = `t${Date.now()}`;
    const abort = new AbortController();
    const res = await fetch(`${base}/?token=${token}`, { signal: abort.signal });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-amzn-requestid') ?? '';
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.equal(Buffer.from(first.value ?? []).toString(), 'first');
    abort.abort();
    await lambda.send(
      new TagResourceCommand({
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:url-stream-left',
        Tags: { go: token },
      }),
    );
    // The function writes 4 MiB nobody reads; it ends (END and its log line) only if it was let go.
    const logs = server.logs();
    const deadline = Date.now() + 60_000;
    let messages: string[] = [];
    while (Date.now() < deadline) {
      const found = await logs.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/url-stream-left' }),
      );
      messages = (found.events ?? []).map((e) => e.message ?? '');
      if (messages.some((m) => m.includes(`END RequestId: ${requestId}`))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    logs.destroy();
    assert.ok(
      messages.some((m) => m.includes('wrote it all')),
      messages.join(''),
    );
    assert.ok(
      messages.some((m) => m.includes(`END RequestId: ${requestId}`)),
      messages.join(''),
    );
  });

  test("a Python function's buffered answer goes out as it is", { timeout: 60_000 }, async () => {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'url-stream-python',
        Runtime: 'python3.12',
        Handler: 'app.handler',
        Role: TEST_ROLE,
        Code: { ZipFile: await zipOf({ 'app.py': PYTHON }) },
      }),
    );
    await active(lambda, 'url-stream-python');
    const base = await streamingUrl('url-stream-python');
    const res = await fetch(`${base}/py`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-py'), null);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), {
      statusCode: 202,
      headers: { 'x-py': '1' },
      body: '{"path": "/py"}',
    });
  });
});
