import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootPrincipal } from '../../iam/principal.js';
import type { RequestContext } from '../../protocols/types.js';
import { openDatabase } from '../../storage/db.js';
import { createApiGatewayService } from './index.js';

const ctx: RequestContext = {
  requestId: 'r',
  accountId: '000000000000',
  region: 'eu-west-1',
  accessKeyId: 'test',
  principal: rootPrincipal('000000000000'),
  endpoint: 'http://localhost',
};

test('each operation is apigateway:<verb> on the path it names', () => {
  const db = openDatabase(':memory:');
  try {
    const { service } = createApiGatewayService({ db });
    const decide = (method: string, rawPath: string, input: Record<string, unknown>) => {
      const match = service.route({ method, rawPath, query: new URLSearchParams(), headers: {} });
      assert.ok(match, `${method} ${rawPath}`);
      const authz = match.op.authz;
      return [authz?.action, authz?.resources?.(input, ctx)];
    };
    assert.deepEqual(decide('POST', '/restapis', { name: 'x' }), [
      'apigateway:POST',
      ['arn:aws:apigateway:eu-west-1::/restapis'],
    ]);
    assert.deepEqual(
      decide('PUT', '/restapis/a1/resources/r1/methods/GET/integration', {
        restApiId: 'a1',
        resourceId: 'r1',
        httpMethod: 'GET',
      }),
      ['apigateway:PUT', ['arn:aws:apigateway:eu-west-1::/restapis/a1/resources/r1/methods/GET/integration']],
    );
    assert.deepEqual(decide('PATCH', '/restapis/a1/stages/prod', { restApiId: 'a1', stageName: 'prod' }), [
      'apigateway:PATCH',
      ['arn:aws:apigateway:eu-west-1::/restapis/a1/stages/prod'],
    ]);
    assert.deepEqual(decide('DELETE', '/restapis/a1', { restApiId: 'a1' }), [
      'apigateway:DELETE',
      ['arn:aws:apigateway:eu-west-1::/restapis/a1'],
    ]);
  } finally {
    db.close();
  }
});
