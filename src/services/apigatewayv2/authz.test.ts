import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { rootPrincipal } from '../../iam/principal.js';
import type { RequestContext } from '../../protocols/types.js';
import { openDatabase } from '../../storage/db.js';
import { createApiGatewayV2Service } from './index.js';

test("IAM: each operation declares API Gateway's method action on the /apis resource path", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apigwv2-authz-'));
  const db = openDatabase(path.join(dir, 'db.sqlite'));
  try {
    const { service } = createApiGatewayV2Service({ db });
    const ctx = {
      requestId: 'r',
      accountId: '000000000000',
      region: 'eu-west-1',
      accessKeyId: 'test',
      principal: rootPrincipal('000000000000'),
      endpoint: 'http://127.0.0.1:4566',
    } satisfies RequestContext;
    const cases: Array<[string, string, Record<string, unknown>, string, string]> = [
      ['POST', '/v2/apis', {}, 'apigateway:POST', 'arn:aws:apigateway:eu-west-1::/apis'],
      ['GET', '/v2/apis/abc', { apiId: 'abc' }, 'apigateway:GET', 'arn:aws:apigateway:eu-west-1::/apis/abc'],
      [
        'PATCH',
        '/v2/apis/abc/routes/r1',
        { apiId: 'abc', routeId: 'r1' },
        'apigateway:PATCH',
        'arn:aws:apigateway:eu-west-1::/apis/abc/routes/r1',
      ],
      [
        'DELETE',
        '/v2/apis/abc/stages/dev',
        { apiId: 'abc', stageName: 'dev' },
        'apigateway:DELETE',
        'arn:aws:apigateway:eu-west-1::/apis/abc/stages/dev',
      ],
    ];
    for (const [method, rawPath, input, action, arn] of cases) {
      const match = service.route({ method, rawPath, query: new URLSearchParams(), headers: {} });
      assert.ok(match, `${method} ${rawPath}`);
      assert.equal(match.op.authz?.action, action);
      assert.deepEqual(match.op.authz?.resources?.(input, ctx), [arn]);
    }
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
