/**
 * HTTP APIs the way a user builds them: @aws-sdk/client-apigatewayv2 and the AWS CLI create the
 * API (quick create and the long way), Node's HTTP clients call its invoke URLs on both forms
 * (Host `<id>.execute-api.localhost` and `/_aws/execute-api/<id>/`), and a real Node function in
 * a real sandbox answers with payload 1.0 and 2.0. The function's resource policy decides
 * whether API Gateway may call it, as on AWS.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type ApiGatewayV2Client,
  BadRequestException,
  ConflictException,
  CreateApiCommand,
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  DeleteApiCommand,
  GetApiCommand,
  GetApisCommand,
  GetRoutesCommand,
  GetStagesCommand,
  NotFoundException,
  UpdateRouteCommand,
} from '@aws-sdk/client-apigatewayv2';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AddPermissionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsCli, findAwsCli } from './support/aws-cli.js';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { zipOf } from './support/zips.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/** Echoes its event as a 1.0/2.0 proxy response; `?mode=bare` answers a bare JSON value instead. */
const ECHO = `exports.handler = async (event) => {
  const q = event.queryStringParameters || {};
  if (q.mode === 'bare') return { hello: 'world' };
  if (q.mode === 'throw') throw new Error('boom');
  if (q.mode === 'binary') {
    console.log('binary answer for', event.rawPath || event.path);
    return { statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71, 0, 255]).toString('base64'), isBase64Encoded: true };
  }
  return {
    statusCode: 201,
    headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
    multiValueHeaders: { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] },
    cookies: ['a=1; Path=/', 'b=2; Path=/'],
    body: JSON.stringify(event),
  };
};`;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  bytes: Buffer;
  json(): Record<string, unknown>;
}

describe('API Gateway HTTP APIs', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let apigw: ApiGatewayV2Client;
  let port: number;
  const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo`;

  /** A request with the Host header AWS routes by (`<id>.execute-api.localhost`), or path style. */
  function call(
    url: { apiId: string; path: string; hostStyle: boolean },
    init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<Answer> {
    const reqPath = url.hostStyle ? url.path : `/_aws/execute-api/${url.apiId}${url.path}`;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: reqPath,
          method: init.method ?? 'GET',
          headers: {
            ...(url.hostStyle ? { host: `${url.apiId}.execute-api.localhost:${port}` } : {}),
            ...init.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const bytes = Buffer.concat(chunks);
            const text = bytes.toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              bytes,
              json: () => JSON.parse(text) as Record<string, unknown>,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  async function allowApi(apiId: string, sid: string): Promise<void> {
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'echo',
        StatementId: sid,
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/*`,
      }),
    );
  }

  before(async () => {
    server = await startServer();
    port = Number(new URL(server.url).port);
    lambda = server.lambda();
    apigw = server.apigatewayv2();
    await deployNode(lambda, 'echo', ECHO);
  });

  after(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  test('quick create: $default route and auto-deployed $default stage, payload 2.0, permission required', async () => {
    const api = await apigw.send(
      new CreateApiCommand({ Name: 'quick', ProtocolType: 'HTTP', Target: fnArn }),
    );
    assert.match(api.ApiId ?? '', /^[a-z0-9]{10}$/);
    assert.equal(api.ApiEndpoint, `http://${api.ApiId}.execute-api.localhost:${port}`);
    assert.equal(api.RouteSelectionExpression, '$request.method $request.path');
    const apiId = api.ApiId as string;
    const routes = await apigw.send(new GetRoutesCommand({ ApiId: apiId }));
    assert.equal(routes.Items?.length, 1);
    assert.equal(routes.Items?.[0]?.RouteKey, '$default');
    assert.equal(routes.Items?.[0]?.ApiGatewayManaged, true);
    const stages = await apigw.send(new GetStagesCommand({ ApiId: apiId }));
    assert.equal(stages.Items?.[0]?.StageName, '$default');
    assert.equal(stages.Items?.[0]?.AutoDeploy, true);
    assert.ok(stages.Items?.[0]?.DeploymentId);

    // Without a resource-policy statement for apigateway.amazonaws.com: AWS's 500.
    const denied = await call({ apiId, path: '/hello', hostStyle: true });
    assert.equal(denied.status, 500);
    assert.deepEqual(denied.json(), { message: 'Internal Server Error' });

    await allowApi(apiId, 'quick');
    for (const hostStyle of [true, false]) {
      const res = await call(
        { apiId, path: '/hello/world?x=1&x=2&y=3', hostStyle },
        { headers: { cookie: 'c1=v1; c2=v2', 'x-multi': 'one' } },
      );
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
      assert.equal(res.headers['x-custom'], 'yes');
      assert.ok(res.headers['apigw-requestid']);
      const event = res.json();
      assert.equal(event.version, '2.0');
      assert.equal(event.routeKey, '$default');
      assert.equal(event.rawPath, '/hello/world');
      assert.equal(event.rawQueryString, 'x=1&x=2&y=3');
      assert.deepEqual(event.queryStringParameters, { x: '1,2', y: '3' });
      assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
      const rc = event.requestContext as Record<string, unknown>;
      assert.equal(rc.apiId, apiId);
      assert.equal(rc.accountId, ACCOUNT);
      assert.equal(rc.stage, '$default');
      assert.equal((rc.http as Record<string, unknown>).method, 'GET');
      assert.equal(event.isBase64Encoded, false);
    }
    // 2.0 infers 200 JSON from a bare value.
    const bare = await call({ apiId, path: '/?mode=bare', hostStyle: false });
    assert.equal(bare.status, 200);
    assert.equal(bare.headers['content-type'], 'application/json');
    assert.deepEqual(bare.json(), { hello: 'world' });
    // An unhandled exception: API Gateway's 500.
    const thrown = await call({ apiId, path: '/?mode=throw', hostStyle: false });
    assert.equal(thrown.status, 500);
    assert.deepEqual(thrown.json(), { message: 'Internal Server Error' });
  });

  test('the long way: integration 1.0, routes with path parameters, a named stage deployed by hand', async () => {
    const api = await apigw.send(new CreateApiCommand({ Name: 'long', ProtocolType: 'HTTP' }));
    const apiId = api.ApiId as string;
    await allowApi(apiId, 'long');
    const integration = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: fnArn,
        PayloadFormatVersion: '1.0',
      }),
    );
    assert.equal(integration.IntegrationMethod, 'POST');
    assert.equal(integration.TimeoutInMillis, 30000);
    const target = `integrations/${integration.IntegrationId}`;
    await apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET /items/{id}', Target: target }));
    await apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'ANY /{proxy+}', Target: target }));
    await assert.rejects(
      apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET /items/{id}', Target: target })),
      (err: Error) => err instanceof ConflictException,
    );
    await assert.rejects(
      apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET items', Target: target })),
      (err: Error) => err instanceof BadRequestException,
    );
    await apigw.send(
      new CreateStageCommand({ ApiId: apiId, StageName: 'dev', StageVariables: { table: 'items-dev' } }),
    );
    // Not deployed yet: nothing is served.
    const undeployed = await call({ apiId, path: '/dev/items/42', hostStyle: true });
    assert.equal(undeployed.status, 404);
    assert.deepEqual(undeployed.json(), { message: 'Not Found' });

    const deployment = await apigw.send(new CreateDeploymentCommand({ ApiId: apiId, StageName: 'dev' }));
    assert.equal(deployment.DeploymentStatus, 'DEPLOYED');

    const res = await call(
      { apiId, path: '/dev/items/42?a=1&a=2&b=x', hostStyle: true },
      { headers: { 'X-Mixed-Case': 'v1' } },
    );
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
    const event = res.json();
    assert.equal(event.version, '1.0');
    assert.equal(event.resource, '/items/{id}');
    assert.equal(event.path, '/dev/items/42');
    assert.equal(event.httpMethod, 'GET');
    assert.deepEqual(event.pathParameters, { id: '42' });
    assert.deepEqual(event.stageVariables, { table: 'items-dev' });
    assert.deepEqual(event.queryStringParameters, { a: '2', b: 'x' });
    assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'], b: ['x'] });
    assert.equal((event.headers as Record<string, string>)['X-Mixed-Case'], 'v1');
    assert.deepEqual((event.multiValueHeaders as Record<string, string[]>)['X-Mixed-Case'], ['v1']);
    assert.equal(event.body, null);
    assert.equal(event.isBase64Encoded, false);
    const rc = event.requestContext as Record<string, unknown>;
    assert.equal(rc.stage, 'dev');
    assert.equal(rc.resourceId, 'GET /items/{id}');
    assert.equal(rc.resourcePath, '/items/{id}');
    assert.equal(rc.httpMethod, 'GET');
    assert.equal(rc.apiId, apiId);
    assert.equal(typeof rc.requestTimeEpoch, 'number');
    assert.equal((rc.identity as Record<string, unknown>).sourceIp, '127.0.0.1');
    const headers = event.headers as Record<string, string>;
    assert.equal(headers['X-Forwarded-For'], '127.0.0.1');
    assert.equal(headers['X-Forwarded-Port'], String(port));
    assert.equal(headers['X-Forwarded-Proto'], 'http');
    assert.match(headers['X-Amzn-Trace-Id'] ?? '', /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);

    // The greedy route takes the rest, any method; a binary body arrives base64.
    const binary = Buffer.from([0, 1, 2, 250, 251, 252]);
    const post = await call(
      { apiId, path: '/dev/other/deep/path', hostStyle: false },
      { method: 'POST', body: binary, headers: { 'content-type': 'application/octet-stream' } },
    );
    assert.equal(post.status, 201, post.text);
    const postEvent = post.json();
    assert.equal(postEvent.resource, '/{proxy+}');
    assert.deepEqual(postEvent.pathParameters, { proxy: 'other/deep/path' });
    assert.equal(postEvent.isBase64Encoded, true);
    assert.equal(Buffer.from(postEvent.body as string, 'base64').compare(binary), 0);

    // 1.0 does not infer a response from a bare value: HTTP APIs answer 500 (REST APIs 502).
    const bare = await call({ apiId, path: '/dev/items/1?mode=bare', hostStyle: true });
    assert.equal(bare.status, 500);
    assert.deepEqual(bare.json(), { message: 'Internal Server Error' });

    // No $default stage: a path without a known stage is not served.
    const noStage = await call({ apiId, path: '/items/42', hostStyle: true });
    assert.equal(noStage.status, 404);

    // A changed route is served only after the next deployment (the stage has no AutoDeploy).
    const routes = await apigw.send(new GetRoutesCommand({ ApiId: apiId }));
    const itemRoute = routes.Items?.find((r) => r.RouteKey === 'GET /items/{id}');
    await apigw.send(
      new UpdateRouteCommand({ ApiId: apiId, RouteId: itemRoute?.RouteId, RouteKey: 'GET /things/{id}' }),
    );
    const before = await call({ apiId, path: '/dev/items/7', hostStyle: true });
    assert.equal(before.json().resource, '/items/{id}');
    await apigw.send(new CreateDeploymentCommand({ ApiId: apiId, StageName: 'dev' }));
    const afterDeploy = await call({ apiId, path: '/dev/items/7', hostStyle: true });
    assert.equal(afterDeploy.json().resource, '/{proxy+}');
  });

  test('most specific route wins: literal over parameter over greedy over $default, method over ANY', async () => {
    const api = await apigw.send(new CreateApiCommand({ Name: 'specific', ProtocolType: 'HTTP' }));
    const apiId = api.ApiId as string;
    await allowApi(apiId, 'specific');
    const integration = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: fnArn,
        PayloadFormatVersion: '2.0',
      }),
    );
    const target = `integrations/${integration.IntegrationId}`;
    for (const key of [
      'GET /pets/dog/1',
      'GET /pets/dog/{id}',
      'GET /pets/{proxy+}',
      'ANY /{proxy+}',
      'POST /pets/{proxy+}',
      '$default',
    ]) {
      await apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: key, Target: target }));
    }
    await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: '$default', AutoDeploy: true }));
    const routeOf = async (method: string, p: string) =>
      (await call({ apiId, path: p, hostStyle: true }, { method })).json().routeKey;
    assert.equal(await routeOf('GET', '/pets/dog/1'), 'GET /pets/dog/1');
    assert.equal(await routeOf('GET', '/pets/dog/2'), 'GET /pets/dog/{id}');
    assert.equal(await routeOf('GET', '/pets/cat/1'), 'GET /pets/{proxy+}');
    assert.equal(await routeOf('POST', '/pets/cat'), 'POST /pets/{proxy+}');
    assert.equal(await routeOf('DELETE', '/pets/cat'), 'ANY /{proxy+}');
    assert.equal(await routeOf('GET', '/'), '$default');
  });

  test("the function's policy sees the execute-api source ARN: <api>/<stage>/<METHOD><route path>", async () => {
    const api = await apigw.send(new CreateApiCommand({ Name: 'arn', ProtocolType: 'HTTP' }));
    const apiId = api.ApiId as string;
    const integration = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: fnArn,
        PayloadFormatVersion: '2.0',
      }),
    );
    const target = `integrations/${integration.IntegrationId}`;
    for (const key of ['GET /items/{id}', 'POST /items/{id}', '$default']) {
      await apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: key, Target: target }));
    }
    await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: 'prod', AutoDeploy: true }));
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'echo',
        StatementId: 'arn-get-items',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/prod/GET/items/{id}`,
      }),
    );
    assert.equal((await call({ apiId, path: '/prod/items/1', hostStyle: true })).status, 201);
    assert.equal(
      (await call({ apiId, path: '/prod/items/1', hostStyle: true }, { method: 'POST' })).status,
      500,
    );
    assert.equal((await call({ apiId, path: '/prod/other', hostStyle: true })).status, 500);
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'echo',
        StatementId: 'arn-default',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/prod/$default`,
      }),
    );
    assert.equal((await call({ apiId, path: '/prod/other', hostStyle: true })).status, 201);
  });

  test('GetApis pages with MaxResults and NextToken', async () => {
    const all = (await apigw.send(new GetApisCommand({}))).Items ?? [];
    assert.ok(all.length >= 3);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await apigw.send(new GetApisCommand({ MaxResults: '2', NextToken: token }));
      assert.ok((page.Items?.length ?? 0) <= 2);
      seen.push(...(page.Items ?? []).map((a) => a.ApiId as string));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(
      seen,
      all.map((a) => a.ApiId),
    );
  });

  test('CORS: preflights answered by API Gateway, headers added to answers of allowed origins', async () => {
    const api = await apigw.send(
      new CreateApiCommand({
        Name: 'cors',
        ProtocolType: 'HTTP',
        Target: fnArn,
        CorsConfiguration: {
          AllowOrigins: ['https://app.example'],
          AllowMethods: ['GET', 'POST'],
          AllowHeaders: ['content-type'],
          ExposeHeaders: ['x-custom'],
          MaxAge: 300,
        },
      }),
    );
    const apiId = api.ApiId as string;
    await allowApi(apiId, 'cors');
    const pre = await call(
      { apiId, path: '/anything', hostStyle: true },
      {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      },
    );
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
    assert.equal(pre.headers['access-control-max-age'], '300');
    const other = await call(
      { apiId, path: '/anything', hostStyle: true },
      {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      },
    );
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const get = await call(
      { apiId, path: '/x', hostStyle: true },
      { headers: { origin: 'https://app.example' } },
    );
    assert.equal(get.status, 201);
    assert.equal(get.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(get.headers['access-control-expose-headers'], 'x-custom');
  });

  test("AWS's errors: unknown API ids, missing resources, oversized bodies", async () => {
    const unknown = await call({ apiId: 'abcde12345', path: '/', hostStyle: true });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json(), { message: 'Not Found' });
    const unknownPath = await call({ apiId: 'abcde12345', path: '/x', hostStyle: false });
    assert.equal(unknownPath.status, 404);
    await assert.rejects(apigw.send(new GetApiCommand({ ApiId: 'abcde12345' })), (err: Error) => {
      assert.ok(err instanceof NotFoundException);
      assert.equal(err.message, `Invalid API identifier specified ${ACCOUNT}:abcde12345`);
      return true;
    });
    await assert.rejects(
      apigw.send(
        new CreateIntegrationCommand({
          ApiId: (await apigw.send(new GetApisCommand({}))).Items?.[0]?.ApiId,
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: 'arn:aws:s3:::bucket',
          PayloadFormatVersion: '1.0',
        }),
      ),
      (err: Error) => err instanceof BadRequestException,
    );
    const api = await apigw.send(new CreateApiCommand({ Name: 'big', ProtocolType: 'HTTP', Target: fnArn }));
    const big = await call(
      { apiId: api.ApiId as string, path: '/', hostStyle: true },
      { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1) },
    );
    assert.equal(big.status, 413);
    assert.deepEqual(big.json(), { message: 'Request Entity Too Large' });
    // Within HTTP APIs' 10 MB but past Lambda's 6 MB for the event: the invocation fails (500).
    await allowApi(api.ApiId as string, 'big');
    const overLambda = await call(
      { apiId: api.ApiId as string, path: '/', hostStyle: true },
      { method: 'POST', body: 'x'.repeat(7 * 1024 * 1024), headers: { 'content-type': 'text/plain' } },
    );
    assert.equal(overLambda.status, 500);
    assert.deepEqual(overLambda.json(), { message: 'Internal Server Error' });
    const small = await call({ apiId: api.ApiId as string, path: '/ok', hostStyle: true });
    assert.equal(small.status, 201);
    await apigw.send(new DeleteApiCommand({ ApiId: api.ApiId }));
    const gone = await call({ apiId: api.ApiId as string, path: '/', hostStyle: true });
    assert.equal(gone.status, 404);
  });

  test('a Python function on 1.0 and 2.0, binary answers, logs in /aws/lambda, a restart keeps it all', async () => {
    await deployNode(lambda, 'py-echo', '', {
      Runtime: 'python3.12',
      Handler: 'app.handler',
      Code: {
        ZipFile: await zipOf({
          'app.py': [
            'import json',
            'def handler(event, context):',
            '    return {"statusCode": 200, "headers": {"content-type": "application/json"},',
            '            "body": json.dumps({"version": event["version"], "q": event.get("queryStringParameters"),',
            '                                "body": event.get("body"), "b64": event.get("isBase64Encoded")})}',
          ].join('\n'),
        }),
      },
    });
    const pyArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:py-echo`;
    const api = await apigw.send(new CreateApiCommand({ Name: 'py', ProtocolType: 'HTTP' }));
    const apiId = api.ApiId as string;
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'py-echo',
        StatementId: 'py',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/*`,
      }),
    );
    await allowApi(apiId, 'py-node');
    for (const [version, key] of [
      ['1.0', 'POST /v1'],
      ['2.0', 'POST /v2'],
    ] as const) {
      const integration = await apigw.send(
        new CreateIntegrationCommand({
          ApiId: apiId,
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: pyArn,
          PayloadFormatVersion: version,
        }),
      );
      await apigw.send(
        new CreateRouteCommand({
          ApiId: apiId,
          RouteKey: key,
          Target: `integrations/${integration.IntegrationId}`,
        }),
      );
    }
    const nodeIntegration = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: fnArn,
        PayloadFormatVersion: '1.0',
      }),
    );
    await apigw.send(
      new CreateRouteCommand({
        ApiId: apiId,
        RouteKey: 'GET /image',
        Target: `integrations/${nodeIntegration.IntegrationId}`,
      }),
    );
    await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: '$default', AutoDeploy: true }));
    for (const [p, version] of [
      ['/v1', '1.0'],
      ['/v2', '2.0'],
    ] as const) {
      const res = await call(
        { apiId, path: `${p}?k=v`, hostStyle: true },
        { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } },
      );
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json(), { version, q: { k: 'v' }, body: '{"a":1}', b64: false });
    }
    const image = await call({ apiId, path: '/image?mode=binary', hostStyle: true });
    assert.equal(image.status, 200);
    assert.equal(image.headers['content-type'], 'image/png');
    assert.deepEqual([...image.bytes], [137, 80, 78, 71, 0, 255]);

    // The invocation is the function's like any other: its output is in /aws/lambda/echo.
    const logs = server.logs();
    const deadline = Date.now() + 10_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const out = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: '/aws/lambda/echo',
          filterPattern: '"binary answer for"',
        }),
      );
      found = (out.events?.length ?? 0) > 0;
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(found, "the function's output reached CloudWatch Logs");

    // APIs, stages, deployments and permissions are stored: a restarted server serves the same URLs.
    server = await server.restart();
    port = Number(new URL(server.url).port);
    lambda = server.lambda();
    const again = await call(
      { apiId, path: '/v1', hostStyle: false },
      { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } },
    );
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json().body, 'x');
    apigw = server.apigatewayv2();
    assert.equal((await apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items?.length, 3);
  });

  test('malformed requests get an answer and the server keeps serving', async () => {
    const api = await apigw.send(
      new CreateApiCommand({ Name: 'hostile', ProtocolType: 'HTTP', Target: fnArn }),
    );
    const apiId = api.ApiId as string;
    await allowApi(apiId, 'hostile');
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
        let out = '';
        socket.on('data', (d: Buffer) => {
          out += d.toString('latin1');
        });
        socket.on('end', () => resolve(out));
        socket.on('error', reject);
      });
    const chunked = await raw(
      `POST /x HTTP/1.1\r\nHost: ${apiId}.execute-api.localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n0\r\n\r\n`,
    );
    assert.match(chunked, /^HTTP\/1\.1 400/);
    const huge = await raw(
      `GET /x HTTP/1.1\r\nHost: ${apiId}.execute-api.localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(huge, /^HTTP\/1\.1 431/);
    const ok = await call({ apiId, path: '/still', hostStyle: true });
    assert.equal(ok.status, 201);
  });

  test('Lambda authorizers: identity sources, simple and IAM-policy answers, context, caching', async () => {
    // One authorizer function: simple answers for 2.0 events, IAM policies for 1.0; `calls` shows caching.
    await deployNode(
      lambda,
      'authz',
      `let calls = 0;
exports.handler = async (event) => {
  calls++;
  const h = event.headers || {};
  const token = h.authorization || h.Authorization;
  const context = { user: 'u1', calls, type: event.type, sawBody: 'body' in event };
  if (event.version === '2.0') return { isAuthorized: token === 'allow', context };
  return {
    principalId: 'p1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: token === 'allow' ? 'Allow' : 'Deny', Resource: event.methodArn }] },
    context,
  };
};`,
    );
    const api = await apigw.send(new CreateApiCommand({ Name: 'authz', ProtocolType: 'HTTP' }));
    const apiId = api.ApiId as string;
    await allowApi(apiId, 'authz-echo');
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'authz',
        StatementId: 'apigw-authorizers',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/authorizers/*`,
      }),
    );
    const authzArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:authz`;
    const uri = `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${authzArn}/invocations`;
    const simple = await apigw.send(
      new CreateAuthorizerCommand({
        ApiId: apiId,
        Name: 'simple',
        AuthorizerType: 'REQUEST',
        AuthorizerUri: uri,
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: 0,
      }),
    );
    const policy = await apigw.send(
      new CreateAuthorizerCommand({
        ApiId: apiId,
        Name: 'policy',
        AuthorizerType: 'REQUEST',
        AuthorizerUri: uri,
        AuthorizerPayloadFormatVersion: '1.0',
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: 300,
      }),
    );
    for (const [key, version, authorizerId] of [
      ['GET /simple', '2.0', simple.AuthorizerId],
      ['GET /policy', '1.0', policy.AuthorizerId],
    ] as const) {
      const integration = await apigw.send(
        new CreateIntegrationCommand({
          ApiId: apiId,
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: fnArn,
          PayloadFormatVersion: version,
        }),
      );
      await apigw.send(
        new CreateRouteCommand({
          ApiId: apiId,
          RouteKey: key,
          Target: `integrations/${integration.IntegrationId}`,
          AuthorizationType: 'CUSTOM',
          AuthorizerId: authorizerId,
        }),
      );
    }
    await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: '$default', AutoDeploy: true }));
    const get = (p: string, token?: string) =>
      call({ apiId, path: p, hostStyle: true }, token ? { headers: { authorization: token } } : {});

    const missing = await get('/simple');
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json(), { message: 'Unauthorized' });
    const denied = await get('/simple', 'deny');
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json(), { message: 'Forbidden' });
    const allowed = await get('/simple', 'allow');
    assert.equal(allowed.status, 201, allowed.text);
    const lambdaContext = (
      (allowed.json().requestContext as Record<string, unknown>).authorizer as Record<string, unknown>
    ).lambda as Record<string, unknown>;
    assert.equal(lambdaContext.user, 'u1');
    assert.equal(lambdaContext.type, 'REQUEST');
    assert.equal(lambdaContext.sawBody, false);

    const first = await get('/policy', 'allow');
    assert.equal(first.status, 201, first.text);
    const authorizer1 = (first.json().requestContext as Record<string, unknown>).authorizer as Record<
      string,
      unknown
    >;
    assert.equal(authorizer1.principalId, 'p1');
    assert.equal(authorizer1.user, 'u1');
    // Cached for 300 s by identity: the authorizer is not called again for the same token.
    const second = await get('/policy', 'allow');
    const authorizer2 = (second.json().requestContext as Record<string, unknown>).authorizer as Record<
      string,
      unknown
    >;
    assert.equal(authorizer2.calls, authorizer1.calls);
    assert.equal((await get('/policy', 'deny')).status, 403);
    assert.equal((await get('/policy')).status, 401);
  });

  test('JWT authorizers: tokens checked against a JWKS served on loopback, scopes, claims to the function', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const idp = http.createServer((req, res) => {
      const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/.well-known/openid-configuration')
        res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks.json` }));
      else
        res.end(
          JSON.stringify({
            keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }],
          }),
        );
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const now = Math.floor(Date.now() / 1000);
    const token = (claims: Record<string, unknown>, key = privateKey) => {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const data = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64({ iss: issuer, aud: 'my-app', sub: 'user-1', exp: now + 600, iat: now, ...claims })}`;
      return `${data}.${sign('RSA-SHA256', Buffer.from(data), key).toString('base64url')}`;
    };
    try {
      const api = await apigw.send(new CreateApiCommand({ Name: 'jwt', ProtocolType: 'HTTP' }));
      const apiId = api.ApiId as string;
      await allowApi(apiId, 'jwt');
      const authorizer = await apigw.send(
        new CreateAuthorizerCommand({
          ApiId: apiId,
          Name: 'jwt',
          AuthorizerType: 'JWT',
          IdentitySource: ['$request.header.Authorization'],
          JwtConfiguration: { Issuer: issuer, Audience: ['my-app'] },
        }),
      );
      for (const [key, version, scopes] of [
        ['GET /read', '2.0', undefined],
        ['POST /write', '1.0', ['items:write']],
      ] as const) {
        const integration = await apigw.send(
          new CreateIntegrationCommand({
            ApiId: apiId,
            IntegrationType: 'AWS_PROXY',
            IntegrationUri: fnArn,
            PayloadFormatVersion: version,
          }),
        );
        await apigw.send(
          new CreateRouteCommand({
            ApiId: apiId,
            RouteKey: key,
            Target: `integrations/${integration.IntegrationId}`,
            AuthorizationType: 'JWT',
            AuthorizerId: authorizer.AuthorizerId,
            ...(scopes ? { AuthorizationScopes: [...scopes] } : {}),
          }),
        );
      }
      await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: '$default', AutoDeploy: true }));
      const req = (method: string, p: string, auth?: string) =>
        call(
          { apiId, path: p, hostStyle: true },
          { method, ...(auth ? { headers: { authorization: auth } } : {}) },
        );

      assert.equal((await req('GET', '/read')).status, 401);
      const ok = await req('GET', '/read', `Bearer ${token({ scope: 'items:read' })}`);
      assert.equal(ok.status, 201, ok.text);
      const jwt = (
        (ok.json().requestContext as Record<string, unknown>).authorizer as Record<string, unknown>
      ).jwt as {
        claims: Record<string, string>;
        scopes: string[];
      };
      assert.equal(jwt.claims.sub, 'user-1');
      assert.equal(jwt.claims.exp, String(now + 600));
      assert.deepEqual(jwt.scopes, ['items:read']);
      for (const bad of [
        token({ aud: 'someone-else' }),
        token({ exp: now - 10 }),
        token({ iss: 'https://elsewhere.example' }),
        token({}, other.privateKey),
        'not.a.jwt',
      ]) {
        const res = await req('GET', '/read', `Bearer ${bad}`);
        assert.equal(res.status, 401, bad);
        assert.deepEqual(res.json(), { message: 'Unauthorized' });
      }
      const forbidden = await req('POST', '/write', token({ scope: 'items:read' }));
      assert.equal(forbidden.status, 403);
      assert.deepEqual(forbidden.json(), { message: 'Forbidden' });
      const written = await req('POST', '/write', token({ scope: 'items:read items:write' }));
      assert.equal(written.status, 201, written.text);
      const v1Authorizer = (written.json().requestContext as Record<string, unknown>).authorizer as {
        claims: Record<string, string>;
      };
      assert.equal(v1Authorizer.claims.sub, 'user-1');
    } finally {
      idp.close();
    }
  });

  test('the AWS CLI: aws apigatewayv2 create-api --target', { skip: !findAwsCli() }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-'));
    try {
      const aws = awsCli(findAwsCli() as string, server.url, home);
      const created = (await aws(
        'apigatewayv2',
        'create-api',
        '--name',
        'x',
        '--protocol-type',
        'HTTP',
        '--target',
        fnArn,
      )) as { ApiId: string; ProtocolType: string };
      assert.equal(created.ProtocolType, 'HTTP');
      const got = (await aws('apigatewayv2', 'get-api', '--api-id', created.ApiId)) as { Name: string };
      assert.equal(got.Name, 'x');
      await allowApi(created.ApiId, 'cli');
      const res = await call({ apiId: created.ApiId, path: '/from-cli', hostStyle: true });
      assert.equal(res.status, 201);
      assert.equal(res.json().rawPath, '/from-cli');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
