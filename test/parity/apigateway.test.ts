/**
 * Parity of REST APIs against the recordings of real AWS in test_apigateway_lambda,
 * test_apigateway_common and test_apigateway_http (test/conformance/aws-recorded/):
 *
 * - `test_lambda_aws_proxy_integration`: the proxy event for each recorded request path and
 *   query (trailing, double and leading slashes, encoded paths, form-encoded and repeated query
 *   parameters, a JSON POST, a literal resource beside `{proxy+}`);
 * - `test_aws_proxy_response_payload_format_validation`: which proxy answers are accepted and
 *   what the client then receives;
 * - `test_lambda_aws_proxy_integration_non_post_method`: an AWS_PROXY integration whose
 *   integration method is not POST;
 * - `test_put_integration_aws_proxy_uri`: PutIntegration's uri checks;
 * - `TestDeployments::*` and `TestStages::*`: deployment and stage shapes, deleting a deployment
 *   a stage uses;
 * - `TestApigatewayRouting::test_routing_not_found`.
 *
 * The recordings keep AWS's answers but not the requests LocalStack's tests sent: the requests
 * here are reconstructed from what the answers show (the event's path and query, the error
 * named), and each says so where it guesses.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentsCommand,
  GetResourcesCommand,
  GetStageCommand,
  GetStagesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { conformanceDir } from '../support/conformance.js';
import { deployNode } from '../support/functions.js';
import { removeDataDir, startServer, type TestServer } from '../support/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
type Json = Record<string, unknown>;

function recorded(module: string, testName: string): Json {
  const file = path.join(conformanceDir(), 'aws-recorded', `${module}.snapshot.json`);
  const all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { 'recorded-content': Json }>;
  const entry = all[`tests/aws/services/apigateway/${module}.py::${testName}`];
  if (!entry) throw new Error(`no recording for ${testName}`);
  return entry['recorded-content'];
}

/** Placeholders (`<api-id>`, `<uuid:1>`, `datetime`) stand for any value; the account is normalised. */
function assertMatches(actual: unknown, expected: unknown, at = '$'): void {
  if (
    typeof expected === 'string' &&
    (/^<.+>$/.test(expected) || expected === 'datetime' || expected === 'date')
  ) {
    assert.notEqual(actual, undefined, `${at}: missing (recorded ${expected})`);
    return;
  }
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(
      actual && typeof actual === 'object',
      `${at}: expected an object, got ${JSON.stringify(actual)}`,
    );
    const want = Object.keys(expected).filter((k) => k !== 'ResponseMetadata');
    const got = Object.keys(actual as Json).filter((k) => k !== '$metadata');
    assert.deepEqual(got.sort(), want.sort(), `${at}: keys`);
    for (const k of want) assertMatches((actual as Json)[k], (expected as Json)[k], `${at}.${k}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${at}: expected a list`);
    assert.equal(actual.length, expected.length, `${at}: length`);
    for (const [i, e] of expected.entries()) assertMatches(actual[i], e, `${at}[${i}]`);
    return;
  }
  const norm = (v: unknown) => (typeof v === 'string' ? v.replaceAll('111111111111', ACCOUNT) : v);
  assert.deepEqual(norm(actual), norm(expected), at);
}

function request(
  url: string,
  host: string,
  rawPath: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: rawPath,
        method: opts.method ?? 'GET',
        headers: { Host: host, ...opts.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const ECHO = `
exports.handler = async (event) => {
  if (event.path === '/respond') return JSON.parse(event.body);
  return { statusCode: 200, body: JSON.stringify(event) };
};
`;

describe('REST API parity with recorded AWS answers', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let apigw: APIGatewayClient;
  let apiId = '';
  let rootId = '';
  let host = '';
  const uri = (fn: string) =>
    `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}/invocations`;

  const method = async (resourceId: string, httpMethod: string, integrationHttpMethod = 'POST') => {
    await apigw.send(
      new PutMethodCommand({ restApiId: apiId, resourceId, httpMethod, authorizationType: 'NONE' }),
    );
    await apigw.send(
      new PutIntegrationCommand({
        restApiId: apiId,
        resourceId,
        httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod,
        uri: uri('parity-echo'),
      }),
    );
  };

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    apigw = server.apigateway();
    await deployNode(lambda, 'parity-echo', ECHO);
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'parity-echo',
        StatementId: 'apigw',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:*`,
      }),
    );
    const api = await apigw.send(new CreateRestApiCommand({ name: 'parity' }));
    apiId = api.id as string;
    rootId = api.rootResourceId as string;
    host = `${apiId}.execute-api.localhost`;
    const proxy = await apigw.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: '{proxy+}' }),
    );
    await method(proxy.id as string, 'ANY');
    const hardcoded = await apigw.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'hardcoded' }),
    );
    await method(hardcoded.id as string, 'GET');
    const getProxy = await apigw.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'get-proxy' }),
    );
    await method(getProxy.id as string, 'GET', 'GET');
    await apigw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'stage' }));
  });

  after(async () => {
    apigw?.destroy();
    lambda?.destroy();
    if (server) {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });

  test('test_lambda_aws_proxy_integration: the proxy event of each recorded request', async () => {
    const rec = recorded('test_apigateway_lambda', 'test_lambda_aws_proxy_integration');
    const headers = {
      'tEsT-HEADeR': 'aValUE',
      Authorization: 'random-value',
      'User-Agent': 'python-requests/testing',
    };
    // Requests reconstructed from the recorded `requestContext.path` and query parameters.
    const cases: Array<
      [string, string, { method?: string; headers?: Record<string, string>; body?: string }?]
    > = [
      ['invocation-payload-without-trailing-slash', '/stage/proxy-value'],
      ['invocation-payload-with-trailing-slash', '/stage/proxy-value/'],
      ['invocation-payload-with-double-slash', '/stage/proxy-value//double-slash'],
      ['invocation-payload-with-prepended-slash', '/stage//proxy-value'],
      ['invocation-payload-without-trailing-slash-and-query-params', '/stage/proxy-value?urlparam=test'],
      ['invocation-payload-with-trailing-slash-and-query-params', '/stage/proxy-value/?urlparam=test'],
      [
        'invocation-payload-with-path-encoded-email',
        '/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com',
      ],
      [
        'invocation-payload-with-params-encoding',
        '/stage/proxy-value/api?dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/',
      ],
      [
        'invocation-payload-with-params-encoding-multi',
        '/stage/proxy-value?category=electronics&category=books&price=10&price=20&price=30',
        {
          method: 'POST',
          headers: {
            Authorization: 'Bearer token123;API key456',
            'Content-Type': 'application/json;charset=utf-8',
          },
          body: JSON.stringify({ message: 'hello world' }),
        },
      ],
      ['invocation-hardcoded', '/stage//hardcoded'],
    ];
    for (const [name, rawPath, opts] of cases) {
      const expected = rec[name] as Json;
      const useHeaders: Record<string, string> = { ...(opts?.headers ?? headers) };
      useHeaders['User-Agent'] ??= 'python-requests/testing';
      const res = await request(server.url, host, rawPath, { ...opts, headers: useHeaders });
      assert.equal(res.status, 200, `${name}: ${res.text}`);
      const event = JSON.parse(res.text) as Json;
      // The recording shows the body parsed (LocalStack's test decoded it).
      if (typeof event.body === 'string') event.body = JSON.parse(event.body);
      // CloudFront's headers (Via, X-Amz-Cf-Id, CloudFront-*) come from the edge in front of an EDGE API.
      const edge = (h: string) => h.startsWith('CloudFront-') || h === 'Via' || h === 'X-Amz-Cf-Id';
      const recordedHeaders = Object.keys(expected.headers as Json).filter((h) => !edge(h));
      const ours = Object.keys(event.headers as Json).filter(
        (h) => h !== 'accept' && h !== 'Accept-Encoding' && h !== 'Accept',
      );
      assert.deepEqual(
        ours.sort(),
        recordedHeaders.filter((h) => h !== 'Accept' && h !== 'Accept-Encoding').sort(),
        `${name}: header names`,
      );
      for (const key of ['headers', 'multiValueHeaders']) {
        delete event[key];
        delete expected[key];
      }
      assertMatches(event, expected, name);
    }
  });

  test('test_aws_proxy_response_payload_format_validation: accepted and refused proxy answers', async () => {
    const rec = recorded('test_apigateway_lambda', 'test_aws_proxy_response_payload_format_validation');
    // The answers LocalStack's test had its function return, reconstructed from the case names.
    const answers: Record<string, unknown> = {
      'invoke-api-no-body': { statusCode: 200 },
      'invoke-api-with-headers': {
        statusCode: 200,
        headers: { 'test-header': 'value', 'header-bool': true },
      },
      'invoke-api-with-headers-null': { statusCode: 200, headers: null },
      'invoke-api-wrong-format': { statusCode: 200, wrongValue: 'value' },
      'invoke-api-empty-response': {},
      'invoke-api-b64-encoded-true': { statusCode: 200, body: 'dGVzdC1kYXRh', isBase64Encoded: true },
      'invoke-api-b64-encoded-false': { statusCode: 200, body: 'dGVzdC1kYXRh', isBase64Encoded: false },
      'invoke-api-multi-headers-valid': {
        statusCode: 200,
        multiValueHeaders: { 'test-multi': ['value1', 'value2'] },
      },
      'invoke-api-multi-headers-overwrite': {
        statusCode: 200,
        headers: { 'test-multi': 'value-solo' },
        multiValueHeaders: { 'test-multi': ['value-multi'] },
      },
      'invoke-api-multi-headers-overwrite-casing': {
        statusCode: 200,
        headers: { 'tesT-Multi': 'value-solo' },
        multiValueHeaders: { 'test-multi': ['value-multi'] },
      },
      'invoke-api-multi-headers-invalid': {
        statusCode: 200,
        multiValueHeaders: { 'test-multi': 'value-multi' },
      },
      'invoke-api-invalid-status-code': { statusCode: 'hello' },
      'invoke-api-status-code-str': { statusCode: '200' },
      'invoke-api-just-string': 'this is a string',
      'invoke-api-only-headers': { headers: { 'test-header': 'value' } },
    };
    assert.deepEqual(Object.keys(answers).sort(), Object.keys(rec).sort());
    for (const [name, answer] of Object.entries(answers)) {
      const res = await request(server.url, host, '/stage/respond', {
        method: 'POST',
        body: JSON.stringify(answer),
      });
      const expected = rec[name] as { content: unknown; headers?: Record<string, string> };
      if (typeof expected.content === 'object') {
        assert.equal(res.status, 502, name);
        assert.deepEqual(JSON.parse(res.text), expected.content, name);
        continue;
      }
      assert.equal(res.text, expected.content, name);
      for (const [header, value] of Object.entries(expected.headers ?? {})) {
        if (value.startsWith('<') || ['Via', 'X-Cache', 'Connection', 'Date'].includes(header)) continue;
        assert.equal(res.headers[header.toLowerCase()], value, `${name}: ${header}`);
      }
    }
  });

  test('test_lambda_aws_proxy_integration_non_post_method: a GET integration method fails with 500', async () => {
    const rec = recorded('test_apigateway_lambda', 'test_lambda_aws_proxy_integration_non_post_method');
    const res = await request(server.url, host, '/stage/get-proxy');
    assert.equal(res.status, 500);
    assert.deepEqual(JSON.parse(res.text), rec['invocation-payload-with-get-proxy-method']);
  });

  test('test_routing_not_found: unknown path and method', async () => {
    const rec = recorded('test_apigateway_common', 'TestApigatewayRouting::test_routing_not_found');
    const notFound = rec['not-found'] as { content: unknown; errorType: string };
    for (const [method, rawPath] of [
      ['GET', '/stage/'],
      ['POST', '/stage/hardcoded'],
      ['GET', '/no-such-stage/hardcoded'],
    ] as const) {
      const res = await request(server.url, host, rawPath, { method });
      assert.equal(res.status, 403);
      assert.deepEqual(JSON.parse(res.text), notFound.content);
      assert.equal(res.headers['x-amzn-errortype'], notFound.errorType);
    }
  });

  test('test_put_integration_aws_proxy_uri: uri checks', async () => {
    const rec = recorded('test_apigateway_lambda', 'test_put_integration_aws_proxy_uri');
    const resource = await apigw.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'uris' }),
    );
    await apigw.send(
      new PutMethodCommand({
        restApiId: apiId,
        resourceId: resource.id,
        httpMethod: 'GET',
        authorizationType: 'NONE',
      }),
    );
    const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:parity-echo`;
    // uris reconstructed from the recorded messages.
    const cases: Array<[string, string]> = [
      ['put-integration-lambda-uri', `arn:aws:apigateway:${REGION}:lambda:${fn}`],
      ['put-integration-wrong-arn', fn],
      ['put-integration-wrong-type', `arn:aws:apigateway:${REGION}:firehose:${fn}`],
      ['put-integration-wrong-firehose', `arn:aws:apigateway:${REGION}:firehose:path/PutRecord`],
      [
        'put-integration-bad-lambda-arn',
        `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fn}`,
      ],
    ];
    for (const [name, badUri] of cases) {
      const expected = rec[name] as {
        Error: { Code: string; Message: string };
        ResponseMetadata: { HTTPStatusCode: number };
      };
      await assert.rejects(
        apigw.send(
          new PutIntegrationCommand({
            restApiId: apiId,
            resourceId: resource.id,
            httpMethod: 'GET',
            type: 'AWS_PROXY',
            integrationHttpMethod: 'POST',
            uri: badUri,
          }),
        ),
        (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.name, expected.Error.Code, name);
          assert.equal(err.message, expected.Error.Message, name);
          assert.equal(err.$metadata?.httpStatusCode, expected.ResponseMetadata.HTTPStatusCode, name);
          return true;
        },
      );
    }
  });

  test('TestDeployments: shapes, and a deployment in use cannot be deleted', async () => {
    const rec = recorded('test_apigateway_common', 'TestDeployments::test_create_update_deployments');
    const api = await apigw.send(new CreateRestApiCommand({ name: 'deployments' }));
    const restApiId = api.id as string;
    const resources = await apigw.send(new GetResourcesCommand({ restApiId }));
    const root = resources.items?.[0]?.id as string;
    await apigw.send(
      new PutMethodCommand({ restApiId, resourceId: root, httpMethod: 'GET', authorizationType: 'NONE' }),
    );
    await apigw.send(
      new PutIntegrationCommand({
        restApiId,
        resourceId: root,
        httpMethod: 'GET',
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: uri('parity-echo'),
      }),
    );
    const d1 = await apigw.send(new CreateDeploymentCommand({ restApiId }));
    assertMatches(
      await apigw.send(new GetDeploymentCommand({ restApiId, deploymentId: d1.id })),
      rec['get-deployment-1'],
    );
    await apigw.send(new CreateStageCommand({ restApiId, stageName: 's1', deploymentId: d1.id }));
    assertMatches(await apigw.send(new GetStagesCommand({ restApiId })), rec['get-stages']);
    const inUse = rec['delete-deployment-error'] as { Error: { Code: string; Message: string } };
    await assert.rejects(
      apigw.send(new DeleteDeploymentCommand({ restApiId, deploymentId: d1.id })),
      (err: Error) => {
        assert.equal(err.name, inUse.Error.Code);
        assert.equal(err.message, inUse.Error.Message);
        return true;
      },
    );
    const d2 = await apigw.send(new CreateDeploymentCommand({ restApiId }));
    await apigw.send(
      new UpdateStageCommand({
        restApiId,
        stageName: 's1',
        patchOperations: [{ op: 'replace', path: '/deploymentId', value: d2.id }],
      }),
    );
    assertMatches(await apigw.send(new GetStagesCommand({ restApiId })), rec['get-stages-after-update']);
    const deleted = await apigw.send(new DeleteDeploymentCommand({ restApiId, deploymentId: d1.id }));
    assert.equal(
      deleted.$metadata.httpStatusCode,
      (rec['delete-deployment-1'] as { ResponseMetadata: { HTTPStatusCode: number } }).ResponseMetadata
        .HTTPStatusCode,
    );
    const left = await apigw.send(new GetDeploymentsCommand({ restApiId }));
    assert.deepEqual(
      left.items?.map((d) => d.id),
      [d2.id],
    );
  });

  test('TestStages::test_create_update_stages: created stage shape and invalid patch paths', async () => {
    const rec = recorded('test_apigateway_common', 'TestStages::test_create_update_stages');
    const deployments = await apigw.send(new GetDeploymentsCommand({ restApiId: apiId }));
    const created = await apigw.send(
      new CreateStageCommand({
        restApiId: apiId,
        stageName: 's1',
        deploymentId: deployments.items?.[0]?.id,
        description: 'my stage',
        documentationVersion: 'v123',
      }),
    );
    assertMatches(created, rec['create-stage']);
    for (const [name, patchPath] of [
      ['error-update-doc-version', '/documentation_version'],
      ['error-update-tags', '/tags/tag1'],
    ] as const) {
      const expected = rec[name] as { Error: { Code: string; Message: string } };
      await assert.rejects(
        apigw.send(
          new UpdateStageCommand({
            restApiId: apiId,
            stageName: 's1',
            patchOperations: [{ op: 'replace', path: patchPath, value: 'x' }],
          }),
        ),
        (err: Error) => {
          assert.equal(err.name, expected.Error.Code);
          assert.equal(err.message, expected.Error.Message);
          return true;
        },
      );
    }
  });

  test('TestStages: method settings and variables through UpdateStage (recorded shapes)', async () => {
    const rec = recorded('test_apigateway_common', 'TestStages::test_create_update_stages');
    const replace = (path: string, value: string) => ({ op: 'replace' as const, path, value });
    // Patches reconstructed from the recorded stage after the update.
    const updated = await apigw.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: 's1',
        patchOperations: [
          replace('/description', 'stage new'),
          replace('/*/*/caching/enabled', 'true'),
          replace('/*/*/throttling/burstLimit', '123'),
          replace('/~1test/GET/throttling/burstLimit', '124'),
          replace('/tracingEnabled', 'true'),
          replace('/variables/var1', 'test'),
          replace('/variables/var2', 'test2'),
        ],
      }),
    );
    assertMatches(updated, rec['update-stage']);
    assertMatches(
      await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: 's1' })),
      rec['get-stage'],
    );
    const override = await apigw.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: 's1',
        patchOperations: [replace('/*/*/throttling/burstLimit', '100')],
      }),
    );
    assertMatches(override, rec['update-stage-override']);
  });

  test('TestStages::test_update_stage_remove_wildcard', async () => {
    const rec = recorded('test_apigateway_common', 'TestStages::test_update_stage_remove_wildcard');
    const api = await apigw.send(new CreateRestApiCommand({ name: 'wildcard' }));
    const restApiId = api.id as string;
    const resourceId = api.rootResourceId as string;
    await apigw.send(
      new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' }),
    );
    await apigw.send(
      new PutIntegrationCommand({
        restApiId,
        resourceId,
        httpMethod: 'GET',
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: uri('parity-echo'),
      }),
    );
    const deployment = await apigw.send(new CreateDeploymentCommand({ restApiId }));
    const created = await apigw.send(
      new CreateStageCommand({
        restApiId,
        stageName: 's1',
        deploymentId: deployment.id,
        description: 'my stage',
        documentationVersion: 'v123',
      }),
    );
    assertMatches(created, rec['create-stage']);
    assertMatches(await apigw.send(new GetStageCommand({ restApiId, stageName: 's1' })), rec['get-stage']);
    const error = rec['delete-error'] as { Error: { Code: string; Message: string } };
    await assert.rejects(
      apigw.send(
        new UpdateStageCommand({
          restApiId,
          stageName: 's1',
          patchOperations: [{ op: 'remove', path: '/*/*' }],
        }),
      ),
      (err: Error) => {
        assert.equal(err.name, error.Error.Code);
        assert.equal(err.message, error.Error.Message);
        return true;
      },
    );
    const updated = await apigw.send(
      new UpdateStageCommand({
        restApiId,
        stageName: 's1',
        patchOperations: [{ op: 'replace', path: '/*/*/caching/enabled', value: 'true' }],
      }),
    );
    assertMatches(updated, rec['update-stage']);
    const reset = await apigw.send(
      new UpdateStageCommand({
        restApiId,
        stageName: 's1',
        patchOperations: [{ op: 'remove', path: '/*/*' }],
      }),
    );
    assertMatches(reset, rec['update-stage-reset']);
    assertMatches(
      await apigw.send(new GetStageCommand({ restApiId, stageName: 's1' })),
      rec['get-stage-after-reset'],
    );
  });
});
