/**
 * The evaluator against the rules and examples of the IAM User Guide ("Policy evaluation
 * logic", "IAM JSON policy elements: Condition operators", "Policy variables").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anonymousPrincipal, servicePrincipal } from '../principal.js';
import {
  compilePolicy,
  denialReason,
  evaluate,
  PolicyDocumentError,
  type Principal,
  parsePolicyDocument,
} from './index.js';

const ACCT = '123456789012';
const OTHER = '210987654321';
const alice: Principal = {
  type: 'user',
  arn: `arn:aws:iam::${ACCT}:user/alice`,
  accountId: ACCT,
  userName: 'alice',
  userId: 'AIDAEXAMPLE',
};
const session: Principal = {
  type: 'assumed-role',
  arn: `arn:aws:sts::${ACCT}:assumed-role/fn-role/fn`,
  roleArn: `arn:aws:iam::${ACCT}:role/fn-role`,
  accountId: ACCT,
  userId: 'AROAEXAMPLE:fn',
};
const stranger: Principal = {
  type: 'user',
  arn: `arn:aws:iam::${OTHER}:user/bob`,
  accountId: OTHER,
  userName: 'bob',
  userId: 'AIDABOB',
};
const root: Principal = { type: 'root', arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, userId: ACCT };
const s3: Principal = servicePrincipal('s3.amazonaws.com');
const fn = (name: string) => `arn:aws:lambda:us-east-1:${ACCT}:function:${name}`;

const identity = (...statements: object[]) =>
  compilePolicy(
    parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }), {
      kind: 'identity',
    }),
  );
const resourcePolicy = (...statements: object[]) =>
  compilePolicy(
    parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }), {
      kind: 'resource',
    }),
  );

const req = (principal: Principal, action: string, resource: string, context = {}) => ({
  principal,
  action,
  resource,
  resourceAccount: ACCT,
  context,
});

describe('policy evaluation', () => {
  test('nothing allows: implicit deny, with AWS wording', () => {
    const d = evaluate(req(alice, 'lambda:DeleteFunction', fn('f')), []);
    assert.equal(d.allowed, false);
    assert.equal(
      !d.allowed && denialReason(d, 'lambda:DeleteFunction'),
      'because no identity-based policy allows the lambda:DeleteFunction action',
    );
  });
  test('the root user of the account may do everything', () => {
    assert.equal(evaluate(req(root, 'lambda:DeleteFunction', fn('f')), []).allowed, true);
  });
  test('an explicit deny overrides any allow', () => {
    const p = identity(
      { Effect: 'Allow', Action: 'lambda:*', Resource: '*' },
      { Effect: 'Deny', Action: 'lambda:DeleteFunction', Resource: fn('prod-*') },
    );
    assert.equal(evaluate(req(alice, 'lambda:DeleteFunction', fn('dev-1')), [p]).allowed, true);
    const d = evaluate(req(alice, 'lambda:DeleteFunction', fn('prod-1')), [p]);
    assert.deepEqual(d, { allowed: false, reason: 'explicit-deny-identity' });
  });
  test('actions match case-insensitively with wildcards, resources case-sensitively', () => {
    const p = identity({ Effect: 'Allow', Action: 'Lambda:Get*', Resource: fn('My-*') });
    assert.equal(evaluate(req(alice, 'lambda:GetFunction', fn('My-fn')), [p]).allowed, true);
    assert.equal(evaluate(req(alice, 'lambda:GetFunction', fn('my-fn')), [p]).allowed, false);
    assert.equal(evaluate(req(alice, 'lambda:InvokeFunction', fn('My-fn')), [p]).allowed, false);
  });
  test('a function ARN does not cover its qualified ARNs; `:*` does', () => {
    const exact = identity({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn('f') });
    const all = identity({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `${fn('f')}:*` });
    assert.equal(evaluate(req(alice, 'lambda:InvokeFunction', `${fn('f')}:1`), [exact]).allowed, false);
    assert.equal(evaluate(req(alice, 'lambda:InvokeFunction', `${fn('f')}:1`), [all]).allowed, true);
  });
  test('`?` matches one character; a `*` in the region part matches any region', () => {
    const p = identity({
      Effect: 'Allow',
      Action: 'lambda:GetFunction',
      Resource: `arn:aws:lambda:*:${ACCT}:function:f?`,
    });
    assert.equal(evaluate(req(alice, 'lambda:GetFunction', fn('f1')), [p]).allowed, true);
    assert.equal(evaluate(req(alice, 'lambda:GetFunction', fn('f12')), [p]).allowed, false);
  });
  test('NotAction with Deny: everything but IAM is denied', () => {
    const p = identity(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotAction: 'iam:*', Resource: '*' },
    );
    assert.equal(evaluate(req(alice, 'iam:GetUser', '*'), [p]).allowed, true);
    assert.equal(evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), [p]).allowed, false);
  });
  test('NotResource: allowed everywhere except the named resource', () => {
    const p = identity({ Effect: 'Allow', Action: 'lambda:*', NotResource: fn('secret') });
    assert.equal(evaluate(req(alice, 'lambda:GetFunction', fn('other')), [p]).allowed, true);
    assert.equal(evaluate(req(alice, 'lambda:GetFunction', fn('secret')), [p]).allowed, false);
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM's policy variable syntax, not a template
  test('policy variables: ${aws:username} in the resource', () => {
    const p = identity({
      Effect: 'Allow',
      Action: 's3:*',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM's policy variable syntax
      Resource: 'arn:aws:s3:::bucket/home/${aws:username}/*',
    });
    assert.equal(evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::bucket/home/alice/x'), [p]).allowed, true);
    assert.equal(evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::bucket/home/bob/x'), [p]).allowed, false);
  });
  test('same account: a resource policy alone allows', () => {
    const rp = resourcePolicy({
      Effect: 'Allow',
      Principal: { AWS: alice.arn },
      Action: 'lambda:InvokeFunction',
      Resource: fn('f'),
    });
    assert.deepEqual(evaluate(req(alice, 'lambda:InvokeFunction', fn('f')), [], rp), {
      allowed: true,
      by: 'resource',
    });
  });
  test('across accounts: both the identity and the resource policy must allow', () => {
    const rp = resourcePolicy({
      Effect: 'Allow',
      Principal: { AWS: OTHER },
      Action: 'lambda:InvokeFunction',
      Resource: fn('f'),
    });
    const own = identity({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' });
    assert.deepEqual(evaluate(req(stranger, 'lambda:InvokeFunction', fn('f')), [], rp), {
      allowed: false,
      reason: 'no-identity-allow',
    });
    assert.deepEqual(evaluate(req(stranger, 'lambda:InvokeFunction', fn('f')), [own]), {
      allowed: false,
      reason: 'no-resource-allow',
    });
    assert.equal(evaluate(req(stranger, 'lambda:InvokeFunction', fn('f')), [own], rp).allowed, true);
  });
  test('a role session matches its role ARN and its session ARN as principal', () => {
    for (const arn of [session.roleArn, session.arn]) {
      const rp = resourcePolicy({
        Effect: 'Allow',
        Principal: { AWS: arn },
        Action: 'lambda:GetFunction',
        Resource: fn('f'),
      });
      assert.equal(evaluate(req(session, 'lambda:GetFunction', fn('f')), [], rp).allowed, true, arn);
    }
  });
  test('a resource policy deny beats an identity allow', () => {
    const rp = resourcePolicy({ Effect: 'Deny', Principal: '*', Action: 'lambda:*', Resource: fn('f') });
    const own = identity({ Effect: 'Allow', Action: '*', Resource: '*' });
    assert.deepEqual(evaluate(req(alice, 'lambda:GetFunction', fn('f')), [own], rp), {
      allowed: false,
      reason: 'explicit-deny-resource',
    });
  });
  test('a service principal needs the resource policy, with its SourceArn condition', () => {
    const rp = resourcePolicy({
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: fn('f'),
      Condition: {
        ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::my-bucket' },
        StringEquals: { 'AWS:SourceAccount': ACCT },
      },
    });
    const ok = { 'aws:SourceArn': 'arn:aws:s3:::my-bucket', 'aws:SourceAccount': ACCT };
    assert.equal(evaluate(req(s3, 'lambda:InvokeFunction', fn('f'), ok), [], rp).allowed, true);
    assert.equal(
      evaluate(
        req(s3, 'lambda:InvokeFunction', fn('f'), { ...ok, 'aws:SourceArn': 'arn:aws:s3:::other' }),
        [],
        rp,
      ).allowed,
      false,
    );
    assert.deepEqual(evaluate(req(s3, 'lambda:InvokeFunction', fn('f'), ok), []), {
      allowed: false,
      reason: 'no-resource-allow',
    });
  });

  test('an anonymous caller is let in only by a "*" principal (a function URL with AuthType NONE)', () => {
    const anon = anonymousPrincipal();
    const url = { 'lambda:FunctionUrlAuthType': 'NONE' };
    const open = resourcePolicy({
      Effect: 'Allow',
      Principal: '*',
      Action: 'lambda:InvokeFunctionUrl',
      Resource: fn('f'),
      Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } },
    });
    const accountOnly = resourcePolicy({
      Effect: 'Allow',
      Principal: { AWS: ACCT },
      Action: 'lambda:InvokeFunctionUrl',
      Resource: fn('f'),
    });
    assert.equal(evaluate(req(anon, 'lambda:InvokeFunctionUrl', fn('f'), url), [], open).allowed, true);
    assert.equal(evaluate(req(anon, 'lambda:InvokeFunctionUrl', fn('f'), {}), [], open).allowed, false);
    assert.equal(
      evaluate(req(anon, 'lambda:InvokeFunctionUrl', fn('f'), url), [], accountOnly).allowed,
      false,
    );
    assert.equal(evaluate(req(anon, 'lambda:InvokeFunction', fn('f'), url), [], open).allowed, false);
  });
});

/**
 * The IAM User Guide's "Permissions boundaries for IAM entities" and "Session policies": the
 * effective permissions are the intersection of the identity policies with the boundary and
 * with the session policies; an explicit deny in any of them denies; a resource policy that
 * names the principal's own ARN (user, role session) is not limited by them, one that names
 * the role is.
 */
describe('permissions boundaries and session policies', () => {
  // The guide's example: a boundary that allows S3, CloudWatch and EC2; an identity policy that
  // allows IAM user management. Nothing is allowed (the intersection is empty).
  const shirleyBoundary = identity({
    Effect: 'Allow',
    Action: ['s3:*', 'cloudwatch:*', 'ec2:*'],
    Resource: '*',
  });
  const createUser = identity({ Effect: 'Allow', Action: 'iam:CreateUser', Resource: '*' });
  const everything = identity({ Effect: 'Allow', Action: '*', Resource: '*' });
  const lambdaRead = identity({ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: '*' });
  const userArn = `arn:aws:iam::${ACCT}:user/alice`;

  test("identity ∩ boundary: the guide's example allows nothing, the overlap is allowed", () => {
    const d = evaluate(req(alice, 'iam:CreateUser', userArn), {
      policies: [createUser],
      boundary: [shirleyBoundary],
    });
    assert.deepEqual(d, { allowed: false, reason: 'no-boundary-allow' });
    assert.equal(
      !d.allowed && denialReason(d, 'iam:CreateUser'),
      'because no permissions boundary allows the iam:CreateUser action',
    );
    // The boundary alone grants nothing.
    assert.deepEqual(
      evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), { policies: [], boundary: [shirleyBoundary] }),
      {
        allowed: false,
        reason: 'no-identity-allow',
      },
    );
    assert.equal(
      evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), {
        policies: [everything],
        boundary: [shirleyBoundary],
      }).allowed,
      true,
    );
  });
  test('an explicit deny in the boundary or the session policy denies', () => {
    const denyDelete = identity(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'lambda:DeleteFunction', Resource: '*' },
    );
    assert.deepEqual(
      evaluate(req(alice, 'lambda:DeleteFunction', fn('f')), {
        policies: [everything],
        boundary: [denyDelete],
      }),
      {
        allowed: false,
        reason: 'explicit-deny-boundary',
      },
    );
    assert.deepEqual(
      evaluate(req(session, 'lambda:DeleteFunction', fn('f')), {
        policies: [everything],
        session: [denyDelete],
      }),
      {
        allowed: false,
        reason: 'explicit-deny-session',
      },
    );
  });
  test('identity ∩ session policy: a session can do no more than its role and its session policies allow', () => {
    const set = {
      policies: [lambdaRead],
      session: [identity({ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: fn('f') })],
    };
    assert.equal(evaluate(req(session, 'lambda:GetFunction', fn('f')), set).allowed, true);
    assert.deepEqual(evaluate(req(session, 'lambda:GetFunction', fn('g')), set), {
      allowed: false,
      reason: 'no-session-allow',
    });
    assert.deepEqual(evaluate(req(session, 'lambda:ListFunctions', '*'), set), {
      allowed: false,
      reason: 'no-session-allow',
    });
    // The session policy does not add what the role lacks.
    const wide = { policies: [lambdaRead], session: [everything] };
    assert.deepEqual(evaluate(req(session, 'lambda:DeleteFunction', fn('f')), wide), {
      allowed: false,
      reason: 'no-identity-allow',
    });
    // An empty session policy list (a PolicyArns whose policy is gone) allows nothing.
    assert.equal(
      evaluate(req(session, 'lambda:GetFunction', fn('f')), { policies: [lambdaRead], session: [] }).allowed,
      false,
    );
    // Boundary, session and identity together.
    assert.deepEqual(
      evaluate(req(session, 'lambda:GetFunction', fn('f')), {
        policies: [lambdaRead],
        boundary: [shirleyBoundary],
        session: [everything],
      }),
      { allowed: false, reason: 'no-boundary-allow' },
    );
  });
  test('same account: a resource policy naming the user or the role session is not limited; one naming the role is', () => {
    const grant = (arn: string) =>
      resourcePolicy({
        Effect: 'Allow',
        Principal: { AWS: arn },
        Action: 'lambda:GetFunction',
        Resource: fn('f'),
      });
    const bounded = { policies: [], boundary: [shirleyBoundary] };
    assert.deepEqual(evaluate(req(alice, 'lambda:GetFunction', fn('f')), bounded, grant(alice.arn)), {
      allowed: true,
      by: 'resource',
    });
    assert.deepEqual(evaluate(req(session, 'lambda:GetFunction', fn('f')), bounded, grant(session.arn)), {
      allowed: true,
      by: 'resource',
    });
    assert.deepEqual(
      evaluate(req(session, 'lambda:GetFunction', fn('f')), bounded, grant(session.roleArn as string)),
      {
        allowed: false,
        reason: 'no-boundary-allow',
      },
    );
    const withSessionPolicy = { policies: [], session: [shirleyBoundary] };
    assert.equal(
      evaluate(req(session, 'lambda:GetFunction', fn('f')), withSessionPolicy, grant(session.arn)).allowed,
      true,
    );
    assert.deepEqual(
      evaluate(
        req(session, 'lambda:GetFunction', fn('f')),
        withSessionPolicy,
        grant(session.roleArn as string),
      ),
      {
        allowed: false,
        reason: 'no-session-allow',
      },
    );
    // The account as principal is the role's grant too, limited likewise.
    assert.equal(evaluate(req(session, 'lambda:GetFunction', fn('f')), bounded, grant(ACCT)).allowed, false);
    // Without narrowing policies the role ARN's grant allows, as before.
    assert.equal(
      evaluate(req(session, 'lambda:GetFunction', fn('f')), [], grant(session.roleArn as string)).allowed,
      true,
    );
  });
  test('across accounts: the boundary limits the identity side, and the resource policy must allow too', () => {
    const rp = resourcePolicy({
      Effect: 'Allow',
      Principal: { AWS: stranger.arn },
      Action: 'lambda:GetFunction',
      Resource: fn('f'),
    });
    assert.deepEqual(
      evaluate(
        req(stranger, 'lambda:GetFunction', fn('f')),
        { policies: [everything], boundary: [shirleyBoundary] },
        rp,
      ),
      {
        allowed: false,
        reason: 'no-boundary-allow',
      },
    );
    assert.equal(
      evaluate(
        req(stranger, 'lambda:GetFunction', fn('f')),
        { policies: [everything], boundary: [lambdaRead] },
        rp,
      ).allowed,
      true,
    );
  });
});

describe('Lambda condition keys', () => {
  test("lambda:SourceFunctionArn: set for a function's execution-role session", () => {
    const fnSession: Principal = {
      ...session,
      session: {
        accessKeyId: 'ASIAEXAMPLE',
        issuedAt: new Date(),
        expiration: new Date(Date.now() + 3600_000),
        environment: true,
        sourceFunctionArn: fn('fn'),
      },
    };
    const p = identity({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: '*',
      Condition: { ArnEquals: { 'lambda:SourceFunctionArn': fn('fn') } },
    });
    assert.equal(evaluate(req(fnSession, 's3:GetObject', 'arn:aws:s3:::b/k'), [p]).allowed, true);
    // The same role's session held by anyone else (AssumeRole) does not carry the key.
    assert.equal(evaluate(req(session, 's3:GetObject', 'arn:aws:s3:::b/k'), [p]).allowed, false);
  });
  test("lambda:Layer with ForAllValues:StringLike: only the account's own layers (the Lambda guide's example)", () => {
    const p = identity({
      Effect: 'Allow',
      Action: ['lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration'],
      Resource: '*',
      Condition: { 'ForAllValues:StringLike': { 'lambda:Layer': [`arn:aws:lambda:*:${ACCT}:layer:*:*`] } },
    });
    const own = `arn:aws:lambda:us-east-1:${ACCT}:layer:deps:3`;
    const foreign = `arn:aws:lambda:us-east-1:${OTHER}:layer:deps:1`;
    const create = (layers: string[]) =>
      evaluate(req(alice, 'lambda:CreateFunction', fn('f'), { 'lambda:Layer': layers }), [p]).allowed;
    assert.equal(create([own]), true);
    assert.equal(create([own, foreign]), false);
    assert.equal(create([]), true);
  });
});

describe('condition operators', () => {
  const withCondition = (Condition: object) =>
    identity({ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: '*', Condition });
  const allowed = (Condition: object, context: Record<string, string | string[]>) =>
    evaluate(req(alice, 'lambda:GetFunction', fn('f'), context), [withCondition(Condition)]).allowed;

  test('String*, with several policy values meaning any', () => {
    assert.equal(
      allowed(
        { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } },
        { 'aws:RequestedRegion': 'us-east-1' },
      ),
      true,
    );
    assert.equal(
      allowed(
        { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
        { 'aws:RequestedRegion': 'us-east-1' },
      ),
      false,
    );
    assert.equal(allowed({ StringEqualsIgnoreCase: { 'aws:username': 'ALICE' } }, {}), true);
    assert.equal(allowed({ StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/a*' } }, {}), true);
    assert.equal(allowed({ StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/a*' } }, {}), false);
  });
  test('a key absent from the request: positive false, negated true, IfExists true, Null true', () => {
    assert.equal(allowed({ StringEquals: { 'aws:SourceArn': 'x' } }, {}), false);
    assert.equal(allowed({ StringNotEquals: { 'aws:SourceArn': 'x' } }, {}), true);
    assert.equal(allowed({ StringEqualsIfExists: { 'aws:SourceArn': 'x' } }, {}), true);
    assert.equal(
      allowed({ StringEqualsIfExists: { 'aws:SourceArn': 'x' } }, { 'aws:SourceArn': 'y' }),
      false,
    );
    assert.equal(allowed({ Null: { 'aws:SourceArn': 'true' } }, {}), true);
    assert.equal(allowed({ Null: { 'aws:SourceArn': 'false' } }, {}), false);
  });
  test('ForAllValues and ForAnyValue over multi-valued keys', () => {
    const cond = (op: string) => ({ [op]: { 'aws:TagKeys': ['env', 'team'] } });
    assert.equal(allowed(cond('ForAllValues:StringEquals'), { 'aws:TagKeys': ['env'] }), true);
    assert.equal(allowed(cond('ForAllValues:StringEquals'), { 'aws:TagKeys': ['env', 'cost'] }), false);
    assert.equal(allowed(cond('ForAllValues:StringEquals'), {}), true, 'absent key: vacuously true');
    assert.equal(allowed(cond('ForAnyValue:StringEquals'), { 'aws:TagKeys': ['cost', 'team'] }), true);
    assert.equal(allowed(cond('ForAnyValue:StringEquals'), {}), false);
  });
  test('Numeric, Date, Bool, IpAddress, Arn', () => {
    assert.equal(allowed({ NumericLessThanEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }), true);
    assert.equal(allowed({ NumericGreaterThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }), false);
    assert.equal(allowed({ NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': 'ten' }), false);
    const now = '2026-06-01T12:00:00Z';
    assert.equal(
      allowed({ DateLessThan: { 'aws:CurrentTime': '2026-12-31T00:00:00Z' } }, { 'aws:CurrentTime': now }),
      true,
    );
    assert.equal(
      allowed({ DateGreaterThan: { 'aws:CurrentTime': '2026-12-31T00:00:00Z' } }, { 'aws:CurrentTime': now }),
      false,
    );
    assert.equal(
      allowed({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'false' }),
      false,
    );
    assert.equal(
      allowed({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'false' }),
      true,
    );
    assert.equal(
      allowed({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.113.9' }),
      true,
    );
    assert.equal(
      allowed({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '198.51.100.1' }),
      false,
    );
    assert.equal(
      allowed({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '198.51.100.1' }),
      true,
    );
    assert.equal(
      allowed({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db8::1' }),
      true,
    );
    assert.equal(
      allowed(
        { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:queue-*' } },
        { 'aws:SourceArn': `arn:aws:sqs:us-east-1:${ACCT}:queue-1` },
      ),
      true,
    );
    assert.equal(
      allowed(
        { ArnNotEquals: { 'aws:SourceArn': `arn:aws:sqs:us-east-1:${ACCT}:q` } },
        { 'aws:SourceArn': `arn:aws:sqs:us-east-1:${ACCT}:q` },
      ),
      false,
    );
  });
  test('condition values may use policy variables', () => {
    assert.equal(
      allowed(
        {
          StringEquals: {
            'lambda:FunctionArn': `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:username}`,
          },
        },
        { 'lambda:FunctionArn': fn('alice') },
      ),
      true,
    );
  });
});

describe('policy documents', () => {
  const bad = (doc: unknown, kind: 'identity' | 'resource' | 'trust' = 'identity') =>
    assert.throws(
      () => parsePolicyDocument(typeof doc === 'string' ? doc : JSON.stringify(doc), { kind }),
      PolicyDocumentError,
    );
  test('refuses what IAM refuses', () => {
    bad('{not json');
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] });
    bad({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }],
    });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:Get*' }] });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'nope', Resource: '*' }] });
    bad({ Version: '2020-01-01', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    bad({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualz: { a: 'b' } } }],
    });
    bad(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'lambda.amazonaws.com' },
            Resource: '*',
          },
        ],
      },
      'trust',
    );
  });
  test('reads the trust policy Lambda roles use', () => {
    const doc = parsePolicyDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      }),
      { kind: 'trust' },
    );
    const lambda = servicePrincipal('lambda.amazonaws.com');
    const trust = compilePolicy(doc);
    const assume = {
      principal: lambda,
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${ACCT}:role/r`,
      resourceAccount: ACCT,
    };
    assert.equal(evaluate(assume, [], trust).allowed, true);
    assert.equal(
      evaluate({ ...assume, principal: { ...lambda, arn: 'ec2.amazonaws.com' } }, [], trust).allowed,
      false,
    );
  });
});
