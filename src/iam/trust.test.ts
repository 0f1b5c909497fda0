import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodePolicyDocument } from './policy-document.js';
import type { Principal } from './principal.js';
import { assumedRoleArn, rootPrincipal, userPrincipal } from './principal.js';
import { createTrustPolicies } from './trust.js';

const trust = createTrustPolicies({ getRole: () => undefined });

const ACCT = '111122223333';
const alice = userPrincipal({
  accountId: ACCT,
  userName: 'alice',
  userId: 'AIDAEXAMPLE',
  arn: `arn:aws:iam::${ACCT}:user/alice`,
});
const session: Principal = {
  type: 'assumed-role',
  accountId: ACCT,
  arn: assumedRoleArn(ACCT, 'ops', 's1'),
  userId: 'AROAEXAMPLE:s1',
  roleName: 'ops',
  roleArn: `arn:aws:iam::${ACCT}:role/ops`,
  sessionName: 's1',
};
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (principal: unknown, action: unknown = 'sts:AssumeRole') => ({
  Effect: 'Allow',
  Principal: principal,
  Action: action,
});

describe('trust policies through the evaluator', () => {
  const cases: [string, string, Principal, boolean][] = [
    ['the user by ARN', doc(allow({ AWS: alice.arn })), alice, true],
    ['another user', doc(allow({ AWS: `arn:aws:iam::${ACCT}:user/bob` })), alice, false],
    ['the account id', doc(allow({ AWS: ACCT })), alice, true],
    ['the account root ARN', doc(allow({ AWS: `arn:aws:iam::${ACCT}:root` })), session, true],
    ['another account', doc(allow({ AWS: '444455556666' })), alice, false],
    ['Principal "*"', doc(allow('*')), rootPrincipal(ACCT), true],
    ['AWS "*" in a list', doc(allow({ AWS: ['x', '*'] })), alice, true],
    ['a service principal only', doc(allow({ Service: 'lambda.amazonaws.com' })), alice, false],
    ['the role ARN trusts its sessions', doc(allow({ AWS: session.roleArn })), session, true],
    ['sts:* and *', doc(allow({ AWS: ACCT }, ['sts:*'])), alice, true],
    ['action case-insensitive', doc(allow({ AWS: ACCT }, 'STS:assumerole')), alice, true],
    ['another action', doc(allow({ AWS: ACCT }, 'sts:AssumeRoleWithSAML')), alice, false],
    [
      'Deny wins',
      doc(allow('*'), { Effect: 'Deny', Principal: { AWS: alice.arn }, Action: 'sts:AssumeRole' }),
      alice,
      false,
    ],
    [
      'a condition the request does not meet',
      doc({ ...allow('*'), Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }),
      alice,
      false,
    ],
    ['a single statement object', JSON.stringify({ Statement: allow({ AWS: ACCT }) }), alice, true],
    ['not JSON', '{', alice, false],
  ];
  for (const [name, policy, caller, expected] of cases) {
    test(name, () => assert.equal(trust.check(policy, caller, 'sts:AssumeRole'), expected));
  }
});

test('policy documents are URL-encoded as IAM sends them', () => {
  assert.equal(
    encodePolicyDocument('{"Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}'),
    '%7B%22Action%22%3A%20%22s3%3A%2A%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab/%2A%22%7D',
  );
});
