import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogPermission } from './log-permission.js';
import { compilePolicy, parsePolicyDocument } from './policy/index.js';
import type { Principal } from './principal.js';

const ACCT = '123456789012';
const session: Principal = {
  type: 'assumed-role',
  accountId: ACCT,
  arn: `arn:aws:sts::${ACCT}:assumed-role/fn-role/f`,
  roleArn: `arn:aws:iam::${ACCT}:role/fn-role`,
  userId: 'AROAEXAMPLE:f',
  roleName: 'fn-role',
  sessionName: 'f',
};
const target = (stream: string) => ({
  accountId: ACCT,
  region: 'us-east-1',
  functionArn: `arn:aws:lambda:us-east-1:${ACCT}:function:f`,
  logGroup: '/aws/lambda/f',
  logStream: stream,
});
const policy = (resource: string) =>
  compilePolicy(
    parsePolicyDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: resource },
        ],
      }),
      { kind: 'identity' },
    ),
  );

function setUp(enforced: boolean, policies: ReturnType<typeof policy>[]) {
  const warnings: string[] = [];
  const current = { policies };
  const access = createLogPermission({
    enforced,
    identityPolicies: { policiesOf: () => current.policies },
    logger: { info() {}, warn: (m) => warnings.push(m), error() {} },
  });
  return { access, warnings, current };
}

test("a role with the console's policy (log-group:<group>:*) or AWSLambdaBasicExecutionRole's (*) may write", () => {
  for (const resource of [`arn:aws:logs:us-east-1:${ACCT}:log-group:/aws/lambda/f:*`, 'arn:aws:logs:*:*:*']) {
    const { access, warnings } = setUp(true, [policy(resource)]);
    assert.equal(access.check(session, target('2026/12/02/[$LATEST]abc')), undefined, resource);
    assert.deepEqual(access.withoutPermission(), []);
    assert.deepEqual(warnings, []);
  }
});

test("enforced: refused with AWS's message, listed, said once per function however many environments", () => {
  const { access, warnings, current } = setUp(true, [
    policy(`arn:aws:logs:us-east-1:${ACCT}:log-group:/aws/lambda/other:*`),
  ]);
  const reason = access.check(session, target('s1'));
  assert.equal(
    reason,
    `User: ${session.arn} is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:${ACCT}:log-group:/aws/lambda/f:* because no identity-based policy allows the logs:CreateLogStream action`,
  );
  assert.ok(access.check(session, target('s2')));
  assert.equal(warnings.length, 1);
  assert.deepEqual(
    access.withoutPermission().map((f) => [f.functionArn, f.role]),
    [[target('s1').functionArn, session.roleArn]],
  );
  // The role gets the permission: the next environment may write, and the list forgets it.
  current.policies = [policy('*')];
  assert.equal(access.check(session, target('s3')), undefined);
  assert.deepEqual(access.withoutPermission(), []);
});

test('not enforced: logs are kept, the denial is logged once as "IAM would deny", nothing is listed', () => {
  const { access, warnings } = setUp(false, []);
  assert.equal(access.check(session, target('s1')), undefined);
  assert.equal(access.check(session, target('s2')), undefined);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /^IAM would deny \(enforcement is off\): .*logs:CreateLogStream/);
  assert.deepEqual(access.withoutPermission(), []);
});
