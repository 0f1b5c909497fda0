import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Operation, RequestContext } from '../protocols/types.js';
import { lambdaAuthz } from '../services/lambda/authz.js';
import { AccessDeniedException } from '../services/lambda/errors.js';
import type { Service } from '../services/service.js';
import { AwsError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createAuthorizer } from './authorizer.js';
import { compilePolicy, type Principal, parsePolicyDocument } from './policy/index.js';
import { rootPrincipal } from './principal.js';

const ACCT = '123456789012';
const ctxOf = (principal: Principal): RequestContext => ({
  requestId: 'r',
  accountId: ACCT,
  region: 'us-east-1',
  accessKeyId: 'AKIA',
  endpoint: '',
  principal,
});
const lambda = {
  signingName: 'lambda',
  accessDenied: (m: string) => new AccessDeniedException(m),
} as unknown as Service;
const op = (name: string): Operation => {
  const o = {
    name,
    http: { method: 'GET', path: '/', status: 200 },
    input: { type: 'structure', members: {} },
    handler: () => ({}),
  } as unknown as Operation;
  return { ...o, authz: lambdaAuthz(o) };
};
const user: Principal = {
  type: 'user',
  arn: `arn:aws:iam::${ACCT}:user/reader`,
  accountId: ACCT,
  userName: 'reader',
  userId: 'AIDAREADER',
};
const root: Principal = rootPrincipal(ACCT);
const readOnly = compilePolicy(
  parsePolicyDocument(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: '*' }],
    }),
    { kind: 'identity' },
  ),
);

function authorizer(enforced: boolean, warnings: string[] = []) {
  const logger = { warn: (m: string) => warnings.push(m), info() {}, error() {} } as unknown as Logger;
  return createAuthorizer({
    enforced,
    logger,
    identityPolicies: { policiesOf: (p) => (p.type === 'user' ? [readOnly] : []) },
  });
}

test("a read-only user may list and get but not delete, with Lambda's AccessDenied wording", () => {
  const a = authorizer(true);
  const facts = { secure: false };
  a.check(lambda, op('ListFunctions'), {}, ctxOf(user), facts);
  a.check(lambda, op('GetFunction'), { FunctionName: 'f' }, ctxOf(user), facts);
  assert.throws(
    () => a.check(lambda, op('DeleteFunction'), { FunctionName: 'f', Qualifier: '1' }, ctxOf(user), facts),
    (e: unknown) =>
      e instanceof AwsError &&
      e.code === 'AccessDeniedException' &&
      e.status === 403 &&
      e.message ===
        `User: arn:aws:iam::${ACCT}:user/reader is not authorized to perform: lambda:DeleteFunction on resource: arn:aws:lambda:us-east-1:${ACCT}:function:f:1 because no identity-based policy allows the lambda:DeleteFunction action`,
  );
  assert.throws(
    () => a.check(lambda, op('Invoke'), { FunctionName: 'f' }, ctxOf(user), facts),
    /lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:f /,
  );
});

test('the root user is never evaluated; enforcement off only logs what it would deny, once', () => {
  authorizer(true).check(lambda, op('DeleteFunction'), { FunctionName: 'f' }, ctxOf(root), { secure: false });
  const warnings: string[] = [];
  const a = authorizer(false, warnings);
  for (let i = 0; i < 3; i++)
    a.check(lambda, op('DeleteFunction'), { FunctionName: 'f' }, ctxOf(user), { secure: false });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /^IAM would deny \(enforcement is off\): User: .* lambda:DeleteFunction/);
});
