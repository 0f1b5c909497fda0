/**
 * REST API methods whose Lambda proxy integration streams its response
 * (`responseTransferMode: STREAM`, the InvokeWithResponseStream URI), driven by
 * @aws-sdk/client-api-gateway and plain `fetch` against a real server and sandboxes: the first
 * chunk reaches the client before the handler finishes (the handler waits for a signal the test
 * gives only once it holds that chunk), the prelude's status, headers, `multiValueHeaders` and
 * cookies become the head, a failure before the first byte is API Gateway's 502, and a function
 * that never starts within the integration's timeout is its 504.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  GetIntegrationCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, type LambdaClient, TagResourceCommand } from '@aws-sdk/client-lambda';
import { deployNode } from './support/functions.js';
import { readGated } from './support/gated-stream.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const streamUri = (name: string) =>
  `arn:aws:apigateway:${REGION}:lambda:path/2021-11-15/functions/${fnArn(name)}/response-streaming-invocations`;

const GATED = `const { LambdaClient, ListTagsCommand } = require('@aws-sdk/client-lambda');
const client = new LambdaClient({});
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  if (event.path === '/fail') throw new Error('before any byte');
  const token = event.queryStringParameters.token;
  const out = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 203,
    headers: { 'content-type': 'text/plain', 'x-one': 'a' },
    multiValueHeaders: { 'x-many': ['1', '2'] },
    cookies: ['a=1; Path=/'],
  });
  out.write('first');
  for (;;) {
    const { Tags } = await client.send(new ListTagsCommand({ Resource: context.invokedFunctionArn }));
    if (Tags && Tags.go === token) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  out.end(' then the rest');
});`;

const SLOW_START = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  await new Promise((r) => setTimeout(r, 3000));
  responseStream.end('late');
});`;

describe('API Gateway REST API: streamed Lambda proxy responses', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let apigw: APIGatewayClient;
  let base = '';
  let gatedIntegration: { restApiId: string; resourceId: string };

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    apigw = server.apigateway();
    await deployNode(lambda, 'rest-stream', GATED, { Timeout: 30 });
    await deployNode(lambda, 'rest-stream-slow', SLOW_START, { Timeout: 30 });
    const api = await apigw.send(new CreateRestApiCommand({ name: 'rest-streaming' }));
    const restApiId = api.id as string;
    const route = async (pathPart: string, fn: string, timeoutInMillis?: number) => {
      const r = await apigw.send(
        new CreateResourceCommand({ restApiId, parentId: api.rootResourceId, pathPart }),
      );
      await apigw.send(
        new PutMethodCommand({ restApiId, resourceId: r.id, httpMethod: 'GET', authorizationType: 'NONE' }),
      );
      await apigw.send(
        new PutIntegrationCommand({
          restApiId,
          resourceId: r.id,
          httpMethod: 'GET',
          type: 'AWS_PROXY',
          integrationHttpMethod: 'POST',
          uri: streamUri(fn),
          responseTransferMode: 'STREAM',
          ...(timeoutInMillis !== undefined ? { timeoutInMillis } : {}),
        }),
      );
      return r.id as string;
    };
    gatedIntegration = { restApiId, resourceId: await route('gated', 'rest-stream', 120_000) };
    await route('fail', 'rest-stream');
    await route('slow', 'rest-stream-slow', 100);
    for (const fn of ['rest-stream', 'rest-stream-slow']) {
      await lambda.send(
        new AddPermissionCommand({
          FunctionName: fn,
          StatementId: 'apigw',
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${restApiId}/*`,
        }),
      );
    }
    await apigw.send(new CreateDeploymentCommand({ restApiId, stageName: 'prod' }));
    base = `${server.url}/_aws/execute-api/${restApiId}/prod`;
  });

  after(async () => {
    apigw?.destroy();
    lambda?.destroy();
    if (server) {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });

  test('the integration keeps its transfer mode and a timeout past the buffered 29 s', async () => {
    const got = await apigw.send(new GetIntegrationCommand({ ...gatedIntegration, httpMethod: 'GET' }));
    assert.equal(got.responseTransferMode, 'STREAM');
    assert.equal(got.timeoutInMillis, 120_000);
    assert.equal(got.uri, streamUri('rest-stream'));
  });

  test('the first chunk reaches the client before the handler ends; the prelude is the head', {
    timeout: 90_000,
  }, async () => {
    const token = `t${Date.now()}`;
    const res = await fetch(`${base}/gated?token=${token}`);
    assert.equal(res.status, 203);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(res.headers.get('x-one'), 'a');
    assert.equal(res.headers.get('x-many'), '1, 2');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/']);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(res.headers.get('x-amz-apigw-id'));

    // Only once the first chunk is here may the handler finish.
    const text = await readGated(res, 'first', () =>
      lambda.send(new TagResourceCommand({ Resource: fnArn('rest-stream'), Tags: { go: token } })),
    );
    assert.equal(text, 'first then the rest');
  });

  test("a failure before the first byte is API Gateway's 502; a stream that does not begin in time, 504", {
    timeout: 60_000,
  }, async () => {
    const failed = await fetch(`${base}/fail`);
    assert.equal(failed.status, 502);
    assert.deepEqual(await failed.json(), { message: 'Internal server error' });

    const slow = await fetch(`${base}/slow`);
    assert.equal(slow.status, 504);
    assert.deepEqual(await slow.json(), { message: 'Endpoint request timed out' });
  });
});
