/**
 * Function URLs the way a user reaches them: a URL and its permissions made with
 * @aws-sdk/client-lambda (and the AWS CLI), then plain HTTP (Node fetch, http.request with the
 * URL's Host, curl) against a real server running real Node and Python sandboxes: the 2.0 event
 * as the handler sees it, the response mapping, CORS, AWS_IAM with a real SigV4 signer, and the
 * refusals AWS gives.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  type CreateFunctionUrlConfigCommandInput,
  DeleteFunctionCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  type LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { awsCli, awsCliTool, findAwsCli } from './support/aws-cli.js';
import { deployNode, TEST_ROLE } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { NodeSha256 } from './support/sign.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: a handler's event or answer, read field by field in assertions
type Json = Record<string, any>;

const NODE_ECHO = `
exports.handler = async (event) => {
  switch (event.rawPath) {
    case '/bare': return { hello: 'world' };
    case '/string': return 'hello';
    case '/fail': throw new Error('boom');
    case '/slow': await new Promise((r) => setTimeout(r, 5000)); return 'late';
    case '/bad-status': return { statusCode: 'nope' };
    case '/binary':
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 1, 2, 254, 255]).toString('base64'),
        isBase64Encoded: true,
      };
  }
  console.log('url event', event.requestContext.http.method, event.rawPath);
  return {
    statusCode: 201,
    headers: { 'x-echo': 'yes', 'content-type': 'application/json', 'access-control-allow-origin': 'https://evil.example' },
    cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
    body: JSON.stringify(event),
  };
};
`;

const PYTHON_ECHO = `import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "method": event["requestContext"]["http"]["method"],
            "query": event.get("queryStringParameters"),
            "cookies": event.get("cookies"),
            "body": event.get("body"),
            "b64": event["isBase64Encoded"],
            "authorizer": event["requestContext"].get("authorizer"),
            "accountId": event["requestContext"]["accountId"],
        }),
    }
`;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request to 127.0.0.1 naming the URL's host, as curl and browsers send it for `*.localhost`. */
function hostRequest(
  port: number,
  host: string,
  pathAndQuery: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: pathAndQuery,
        method: options.method ?? 'GET',
        headers: { host: `${host}:${port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('function URLs', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let port: number;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    lambda.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  /** AWS's two statements for a public URL (InvokeFunction is needed since October 2025). */
  async function allowPublic(name: string): Promise<void> {
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
  }

  /** The URL's id and its path-style base on the server's own address. */
  async function createUrl(input: CreateFunctionUrlConfigCommandInput) {
    const out = await lambda.send(new CreateFunctionUrlConfigCommand(input));
    const m = /^http:\/\/([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)\/$/.exec(
      out.FunctionUrl ?? '',
    );
    assert.ok(m, `FunctionUrl ${out.FunctionUrl}`);
    assert.equal(Number(m[2]), port);
    const id = m[1] as string;
    return { id, host: `${id}.lambda-url.us-east-1.localhost`, base: `${server.url}/_aws/lambda-url/${id}` };
  }

  let node: Awaited<ReturnType<typeof createUrl>>;
  let corsBase = '';

  test('a Node function behind a public URL gets the 2.0 event AWS builds', { timeout: 60_000 }, async () => {
    await deployNode(lambda, 'url-node', NODE_ECHO);
    node = await createUrl({ FunctionName: 'url-node', AuthType: 'NONE' });
    await allowPublic('url-node');
    const policy = JSON.parse(
      (await lambda.send(new GetPolicyCommand({ FunctionName: 'url-node' }))).Policy ?? '{}',
    ) as { Statement: Array<Record<string, unknown>> };
    assert.deepEqual(policy.Statement[0]?.Condition, {
      StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' },
    });
    assert.deepEqual(policy.Statement[1]?.Condition, { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } });

    const res = await fetch(`${node.base}/items/a%2Fb?a=1&a=2&b=x%20y&empty=`, {
      headers: { cookie: 'c1=v1; c2=v2', 'X-Multi': 'one', 'user-agent': 'url-test/1' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-echo'), 'yes');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; HttpOnly']);
    const requestId = res.headers.get('x-amzn-requestid');
    assert.match(requestId ?? '', /^[0-9a-f-]{36}$/);
    const event = (await res.json()) as Json;
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, '$default');
    assert.equal(event.rawPath, '/items/a%2Fb');
    assert.equal(event.rawQueryString, 'a=1&a=2&b=x%20y&empty=');
    assert.deepEqual(event.queryStringParameters, { a: '1,2', b: 'x y', empty: '' });
    assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
    assert.equal(event.headers.cookie, undefined);
    assert.equal(event.headers['x-multi'], 'one');
    assert.equal(event.headers['user-agent'], 'url-test/1');
    assert.equal(event.headers['x-forwarded-proto'], 'http');
    assert.equal(event.body, undefined);
    assert.equal(event.isBase64Encoded, false);
    const rc = event.requestContext;
    assert.equal(rc.accountId, 'anonymous');
    assert.equal(rc.apiId, node.id);
    assert.equal(rc.domainPrefix, node.id);
    assert.equal(rc.domainName, node.host);
    assert.deepEqual(rc.http, {
      method: 'GET',
      path: '/items/a%2Fb',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'url-test/1',
    });
    assert.equal(rc.requestId, requestId);
    assert.equal(rc.routeKey, '$default');
    assert.equal(rc.stage, '$default');
    assert.match(rc.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(Math.abs(rc.timeEpoch - Date.now()) < 60_000);
    assert.equal(rc.authorizer, undefined);

    // The invocation is logged under the function's log group, with the URL's request id.
    const logs = server.logs();
    const deadline = Date.now() + 10_000;
    let messages: string[] = [];
    while (Date.now() < deadline) {
      const found = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/url-node' }));
      messages = (found.events ?? []).map((e) => e.message ?? '');
      if (messages.some((m) => m.includes(`END RequestId: ${requestId}`))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    logs.destroy();
    assert.ok(
      messages.some((m) => m.includes('url event GET /items/a%2Fb')),
      messages.join(''),
    );
    assert.ok(
      messages.some((m) => m.includes(`END RequestId: ${requestId}`)),
      messages.join(''),
    );
  });

  test('bodies: text as text, binary as base64, both ways', async () => {
    const text = await fetch(`${node.base}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":1}',
    });
    const textEvent = (await text.json()) as Record<string, unknown>;
    assert.equal(textEvent.body, '{"n":1}');
    assert.equal(textEvent.isBase64Encoded, false);

    const bytes = Buffer.from([0, 1, 2, 3, 200, 255]);
    const binary = await fetch(`${node.base}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
    });
    const binaryEvent = (await binary.json()) as Record<string, unknown>;
    assert.equal(binaryEvent.isBase64Encoded, true);
    assert.equal(binaryEvent.body, bytes.toString('base64'));

    const out = await fetch(`${node.base}/binary`);
    assert.equal(out.status, 200);
    assert.equal(out.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(Buffer.from(await out.arrayBuffer()), Buffer.from([0, 1, 2, 254, 255]));
  });

  test('a bare JSON answer is a 200 application/json body; errors are 502', async () => {
    const bare = await fetch(`${node.base}/bare`);
    assert.equal(bare.status, 200);
    assert.equal(bare.headers.get('content-type'), 'application/json');
    assert.equal(await bare.text(), '{"hello":"world"}');
    const str = await fetch(`${node.base}/string`);
    assert.equal(await str.text(), 'hello');
    for (const p of ['/fail', '/bad-status']) {
      const failed = await fetch(`${node.base}${p}`);
      assert.equal(failed.status, 502, p);
      assert.equal(await failed.text(), 'Internal Server Error');
    }
  });

  test('a timeout is a 502, a throttle a 429', { timeout: 60_000 }, async () => {
    await deployNode(lambda, 'url-slow', NODE_ECHO, { Timeout: 2 });
    const slow = await createUrl({ FunctionName: 'url-slow', AuthType: 'NONE' });
    await allowPublic('url-slow');
    // Warm first, so that the timeout below is the handler's, not a slow cold start's on a busy machine.
    assert.equal((await fetch(`${slow.base}/string`)).status, 200);
    const timedOut = await fetch(`${slow.base}/slow`);
    assert.equal(timedOut.status, 502);
    assert.equal(await timedOut.text(), 'Internal Server Error');
    await lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'url-slow', ReservedConcurrentExecutions: 0 }),
    );
    const throttled = await fetch(`${slow.base}/string`);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('x-amzn-errortype'), 'TooManyRequestsException');
    assert.deepEqual(await throttled.json(), { Message: 'Rate Exceeded.' });

    // Lambda's metrics count them as they count Invoke's.
    const cloudwatch = new CloudWatchClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const sum = async (metric: string) => {
      const out = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: 'url-slow' }],
          StartTime: new Date(Date.now() - 3_600_000),
          EndTime: new Date(Date.now() + 60_000),
          Period: 3600,
          Statistics: ['Sum'],
        }),
      );
      return (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
    };
    // Recorded as each invocation settles, which may be just after the answer went out: wait for them.
    const settled = async (metric: string, expected: number) => {
      const deadline = Date.now() + 10_000;
      let value = await sum(metric);
      while (value < expected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        value = await sum(metric);
      }
      return value;
    };
    assert.equal(await settled('Invocations', 2), 2);
    assert.equal(await settled('Errors', 1), 1);
    assert.equal(await settled('Throttles', 1), 1);
    cloudwatch.destroy();
  });

  test('the host-style URL works by Host header, from Node and from curl', async () => {
    const reply = await hostRequest(port, node.host, '/via-host?x=1');
    assert.equal(reply.status, 201);
    const event = JSON.parse(reply.body.toString()) as Json;
    assert.equal(event.rawPath, '/via-host');
    assert.equal(event.requestContext.domainName, node.host);
    assert.equal(event.headers.host, `${node.host}:${port}`);
    // curl resolves *.localhost to loopback by itself, as browsers do.
    const { stdout } = await run('curl', [
      '-sS',
      '-w',
      '\\n%{http_code}',
      `http://${node.host}:${port}/curl?q=1`,
    ]);
    const [body, code] = stdout.split('\n');
    assert.equal(code, '201');
    assert.equal((JSON.parse(body ?? '') as Record<string, unknown>).rawQueryString, 'q=1');
  });

  test('refusals: no permission, only half of it, an unknown URL, an oversized body', {
    timeout: 60_000,
  }, async () => {
    await deployNode(lambda, 'url-closed', NODE_ECHO);
    const closed = await createUrl({ FunctionName: 'url-closed', AuthType: 'NONE' });
    const forbidden = {
      Message:
        'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
    };
    let res = await fetch(`${closed.base}/`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'AccessDeniedException');
    assert.deepEqual(await res.json(), forbidden);
    // InvokeFunctionUrl alone is not enough any more.
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'url-closed',
        StatementId: 'url',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      }),
    );
    res = await fetch(`${closed.base}/`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), forbidden);

    res = await fetch(`${server.url}/_aws/lambda-url/${'0'.repeat(32)}/`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { Message: null });

    res = await fetch(`${node.base}/big`, { method: 'POST', body: new Uint8Array(6 * 1024 * 1024 + 1) });
    assert.equal(res.status, 413);
    // A malformed chunked body is refused by the HTTP parser; the server keeps serving.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end(
          `POST /_aws/lambda-url/${node.id}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n`,
        );
      });
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString();
      });
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.equal((await fetch(`${node.base}/string`)).status, 200);
  });

  test('CORS: the preflight is answered from the config, responses carry its headers', async () => {
    await deployNode(lambda, 'url-cors', NODE_ECHO);
    const cors = await createUrl({
      FunctionName: 'url-cors',
      AuthType: 'NONE',
      Cors: {
        AllowOrigins: ['https://app.example'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['x-custom'],
        ExposeHeaders: ['x-echo'],
        MaxAge: 300,
      },
    });
    await allowPublic('url-cors');
    const pre = await fetch(`${cors.base}/thing`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-custom',
      },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(pre.headers.get('access-control-allow-methods'), 'GET,POST');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'x-custom');
    assert.equal(pre.headers.get('access-control-max-age'), '300');
    assert.equal(await pre.text(), '');

    const get = await fetch(`${cors.base}/thing`, { headers: { origin: 'https://app.example' } });
    assert.equal(get.status, 201);
    assert.equal(get.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(get.headers.get('access-control-expose-headers'), 'x-echo');
    const other = await fetch(`${cors.base}/thing`, { headers: { origin: 'https://other.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    corsBase = cors.base;
  });

  test('a Python function behind an AWS_IAM URL: signed requests pass, others get 403', {
    timeout: 60_000,
  }, async () => {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'url-python',
        Runtime: 'python3.12',
        Handler: 'app.handler',
        Role: TEST_ROLE,
        Code: { ZipFile: await zipOf({ 'app.py': PYTHON_ECHO }) },
      }),
    );
    await active(lambda, 'url-python');
    const py = await createUrl({ FunctionName: 'url-python', AuthType: 'AWS_IAM' });
    const u = new URL(server.url);
    const sign = async (secret: string, method: string, body?: string) => {
      const signer = new SignatureV4({
        service: 'lambda',
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: secret },
        sha256: NodeSha256,
      });
      return signer.sign({
        method,
        protocol: 'http:',
        hostname: u.hostname,
        port: port,
        path: `/_aws/lambda-url/${py.id}/py`,
        query: { q: ['1', '2'] },
        headers: { host: u.host, 'content-type': 'text/plain', cookie: 'k=v' },
        ...(body !== undefined ? { body } : {}),
      });
    };
    const url = `${py.base}/py?q=1&q=2`;

    const unsigned = await fetch(url);
    assert.equal(unsigned.status, 403);
    assert.deepEqual(await unsigned.json(), { Message: 'Forbidden' });

    const bad = await sign('wrong', 'GET');
    const badRes = await fetch(url, { headers: bad.headers as Record<string, string> });
    assert.equal(badRes.status, 403);
    assert.equal(badRes.headers.get('x-amzn-errortype'), 'InvalidSignatureException');

    const signed = await sign('test', 'POST', 'hello python');
    const ok = await fetch(url, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body: 'hello python',
    });
    assert.equal(ok.status, 200);
    const seen = (await ok.json()) as Json;
    assert.equal(seen.method, 'POST');
    assert.deepEqual(seen.query, { q: '1,2' });
    assert.deepEqual(seen.cookies, ['k=v']);
    assert.equal(seen.body, 'hello python');
    assert.equal(seen.b64, false);
    assert.equal(seen.accountId, '000000000000');
    assert.equal(seen.authorizer.iam.accessKey, 'test');
    assert.equal(seen.authorizer.iam.userArn, 'arn:aws:iam::000000000000:root');
  });

  test('a Python function behind a public URL takes a binary POST', { timeout: 60_000 }, async () => {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'url-python-public',
        Runtime: 'python3.12',
        Handler: 'app.handler',
        Role: TEST_ROLE,
        Code: { ZipFile: await zipOf({ 'app.py': PYTHON_ECHO }) },
      }),
    );
    await active(lambda, 'url-python-public');
    const py = await createUrl({ FunctionName: 'url-python-public', AuthType: 'NONE' });
    await allowPublic('url-python-public');
    const bytes = Buffer.from([255, 0, 128, 7]);
    const res = await fetch(`${py.base}/bin?x=y`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(bytes),
    });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Record<string, unknown>;
    assert.equal(seen.accountId, 'anonymous');
    assert.deepEqual(seen.query, { x: 'y' });
    assert.equal(seen.b64, true);
    assert.equal(seen.body, bytes.toString('base64'));
  });

  test('deleting the function ends its URL', async () => {
    assert.equal((await fetch(`${corsBase}/string`)).status, 200);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'url-cors' }));
    const res = await fetch(`${corsBase}/string`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { Message: null });
  });

  test('the AWS CLI creates a URL that serves', { skip: awsCliTool().skip, timeout: 60_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-url-cli-'));
    try {
      await deployNode(lambda, 'url-cli', NODE_ECHO);
      const aws = awsCli(findAwsCli() as string, server.url, home);
      const created = (await aws(
        'lambda',
        'create-function-url-config',
        '--function-name',
        'url-cli',
        '--auth-type',
        'NONE',
      )) as Record<string, string>;
      assert.equal(created.AuthType, 'NONE');
      const id = /^http:\/\/([a-z0-9]{32})\./.exec(created.FunctionUrl ?? '')?.[1];
      assert.ok(id, created.FunctionUrl);
      await aws(
        'lambda',
        'add-permission',
        '--function-name',
        'url-cli',
        '--statement-id',
        'url',
        '--action',
        'lambda:InvokeFunctionUrl',
        '--principal',
        '*',
        '--function-url-auth-type',
        'NONE',
      );
      // Debian's CLI (2.9) predates --invoked-via-function-url: this statement comes from the SDK.
      await lambda.send(
        new AddPermissionCommand({
          FunctionName: 'url-cli',
          StatementId: 'url-invoke',
          Action: 'lambda:InvokeFunction',
          Principal: '*',
          InvokedViaFunctionUrl: true,
        }),
      );
      const res = await fetch(`${server.url}/_aws/lambda-url/${id}/string`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello');
      // The URL as printed, with curl (which resolves *.localhost itself).
      const { stdout } = await run('curl', ['-s', `${created.FunctionUrl}bare`]);
      assert.equal(stdout, '{"hello":"world"}');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('URLs survive a restart: same id, the new port in FunctionUrl', { timeout: 60_000 }, async () => {
    lambda.destroy();
    server = await server.restart();
    lambda = server.lambda();
    port = Number(new URL(server.url).port);
    const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'url-node' }));
    assert.equal(got.FunctionUrl, `http://${node.host}:${port}/`);
    const res = await fetch(`${server.url}/_aws/lambda-url/${node.id}/string`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello');
  });
});

describe('function URLs with IAM enforced', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  before(async () => {
    server = await startServer({ iamEnforcement: 'on' });
    lambda = server.lambda();
  });
  after(async () => {
    lambda.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('an IAM user needs lambda:InvokeFunctionUrl and lambda:InvokeFunction', {
    timeout: 60_000,
  }, async () => {
    const iam = server.iam();
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'url-fn',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await deployNode(lambda, 'url-iam', NODE_ECHO, { Role: Role?.Arn as string });
    const out = await lambda.send(
      new CreateFunctionUrlConfigCommand({ FunctionName: 'url-iam', AuthType: 'AWS_IAM' }),
    );
    const id = /^http:\/\/([a-z0-9]{32})\./.exec(out.FunctionUrl ?? '')?.[1];
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const credentials = {
      accessKeyId: AccessKey?.AccessKeyId as string,
      secretAccessKey: AccessKey?.SecretAccessKey as string,
    };
    const u = new URL(server.url);
    const call = async () => {
      const signer = new SignatureV4({
        service: 'lambda',
        region: 'us-east-1',
        credentials,
        sha256: NodeSha256,
      });
      const signed = await signer.sign({
        method: 'GET',
        protocol: 'http:',
        hostname: u.hostname,
        port: Number(u.port),
        path: `/_aws/lambda-url/${id}/string`,
        headers: { host: u.host },
      });
      return fetch(`${server.url}/_aws/lambda-url/${id}/string`, {
        headers: signed.headers as Record<string, string>,
      });
    };
    const policy = (actions: string[]) =>
      iam.send(
        new PutUserPolicyCommand({
          UserName: 'alice',
          PolicyName: 'url',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: actions,
                Resource: `arn:aws:lambda:us-east-1:000000000000:function:url-iam`,
              },
            ],
          }),
        }),
      );
    let res = await call();
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'AccessDeniedException');
    await policy(['lambda:InvokeFunctionUrl']);
    res = await call();
    assert.equal(res.status, 403);
    await policy(['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction']);
    res = await call();
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello');
    iam.destroy();
  });
});
