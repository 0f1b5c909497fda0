/**
 * Parity of HTTP APIs' HTTP_PROXY integrations with `test_apigateway_http` (recorded from AWS).
 * Those recordings were made through REST APIs; what they show that holds for HTTP APIs'
 * HTTP_PROXY is replayed here: the backend's status code and body pass through unchanged
 * (`test_http_integration_invoke_status_code_passthrough[HTTP_PROXY]`), and the backend is
 * called with the integration's method whatever the client's, body included
 * (`test_http_integration_method[HTTP_PROXY]`). REST-only parts (`[HTTP]` non-proxy
 * integrations, request parameter mappings, the `x-amzn-remapped-*` headers) are not replayed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type ApiGatewayV2Client,
  CreateApiCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { conformanceDir } from '../support/conformance.js';
import { removeDataDir, startServer, type TestServer } from '../support/server.js';

type Recorded = Record<string, { 'recorded-content': Record<string, unknown> }>;
const recordings = JSON.parse(
  fs.readFileSync(path.join(conformanceDir(), 'aws-recorded', 'test_apigateway_http.snapshot.json'), 'utf8'),
) as Recorded;
const recorded = (name: string) => {
  const entry = recordings[`tests/aws/services/apigateway/test_apigateway_http.py::${name}`];
  if (!entry) throw new Error(`no recording for ${name}`);
  return entry['recorded-content'];
};

describe('HTTP API HTTP_PROXY integrations (recorded: test_apigateway_http)', () => {
  let server: TestServer;
  let backend: http.Server;
  let backendUrl: string;
  let apigw: ApiGatewayV2Client;
  const seen: Array<{ method: string; body: string }> = [];

  before(async () => {
    // The backend answers the status it is asked for, with the recording's body shape.
    backend = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', body: Buffer.concat(chunks).toString('utf8') });
        const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: '', status_code: status }));
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/`;
    server = await startServer();
    apigw = server.apigatewayv2();
  });

  after(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
    backend?.close();
  });

  async function call(apiId: string, method: string, query: string, body?: string) {
    const res = await fetch(`${server.url}/_aws/execute-api/${apiId}/${query}`, {
      method,
      ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  test('status codes pass through (status_code_passthrough[HTTP_PROXY])', async () => {
    const rec = recorded('test_http_integration_invoke_status_code_passthrough[HTTP_PROXY]');
    const api = await apigw.send(
      new CreateApiCommand({ Name: 'passthrough', ProtocolType: 'HTTP', Target: backendUrl }),
    );
    const apiId = api.ApiId as string;
    const matching = await call(apiId, 'GET', '?status=200');
    assert.deepEqual({ body: matching.body, status_code: matching.status }, rec['matching-response']);
    const nonMatching = await call(apiId, 'GET', '?status=400');
    assert.deepEqual(
      { body: nonMatching.body, status_code: nonMatching.status },
      rec['non-matching-response'],
    );
  });

  test("the integration's method is used, whatever the client's (integration_method[HTTP_PROXY])", async () => {
    const rec = recorded('test_http_integration_method[HTTP_PROXY]');
    const api = await apigw.send(new CreateApiCommand({ Name: 'method', ProtocolType: 'HTTP' }));
    const apiId = api.ApiId as string;
    const integration = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'HTTP_PROXY',
        IntegrationMethod: 'POST',
        IntegrationUri: backendUrl,
        PayloadFormatVersion: '1.0',
      }),
    );
    await apigw.send(
      new CreateRouteCommand({
        ApiId: apiId,
        RouteKey: 'ANY /',
        Target: `integrations/${integration.IntegrationId}`,
      }),
    );
    await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: '$default', AutoDeploy: true }));
    for (const [client, key] of [
      ['POST', 'http-invocation-lambda-url-post'],
      ['PUT', 'http-invocation-lambda-url-put'],
      ['GET', 'http-invocation-lambda-url-get'],
    ] as const) {
      seen.length = 0;
      const res = await call(
        apiId,
        client,
        '',
        client === 'GET' ? undefined : JSON.stringify({ message: 'hello world' }),
      );
      assert.equal(res.status, 200);
      const expected = rec[key] as { method: string; data: unknown };
      assert.equal(seen[0]?.method, expected.method);
      if (client !== 'GET') assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), expected.data);
    }
  });
});
