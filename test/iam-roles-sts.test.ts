/**
 * Roles and STS with the real clients: a role with a trust policy, AssumeRole by a trusted
 * user and refused for an untrusted one, the session's credentials working at the gateway
 * (GetCallerIdentity shows the assumed-role ARN), a missing or wrong session token refused,
 * an expired session refused with ExpiredToken (lifetimes scaled down by
 * iam.sessionDurationScale, so 900 s last 2 s), duration limits, GetSessionToken, role
 * inline/attached policies and DeleteConflict, and sessions surviving a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { awsError } from './support/errors.js';
import { type ClientCredentials, removeDataDir, startServer, type TestServer } from './support/server.js';

const ACCOUNT = '000000000000';

const trust = (aws: string | string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: aws }, Action: 'sts:AssumeRole' }],
  });
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** Polls until `check` resolves true; each try is a real request (no fixed sleeps). */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('IAM roles and STS sessions', () => {
  let server: TestServer;
  let alice: ClientCredentials;
  let aliceArn: string;

  before(async () => {
    // 900 s sessions last 2 s here: long enough to use, short enough to watch expire.
    server = await startServer({ iam: { sessionDurationScale: 0.002 } });
    const iam = server.iam();
    aliceArn = (await iam.send(new CreateUserCommand({ UserName: 'alice' }))).User?.Arn as string;
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
    alice = { accessKeyId: key?.AccessKeyId as string, secretAccessKey: key?.SecretAccessKey as string };
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('a role is created, read and listed with its trust policy URL-encoded', async () => {
    const iam = server.iam();
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'deployer',
        AssumeRolePolicyDocument: trust(aliceArn),
        Description: 'deploys things',
        MaxSessionDuration: 7200,
        Tags: [{ Key: 'team', Value: 'a' }],
      }),
    );
    assert.equal(created.Role?.Arn, `arn:aws:iam::${ACCOUNT}:role/deployer`);
    assert.match(created.Role?.RoleId ?? '', /^AROA[A-Z2-7]{17}$/);
    assert.equal(decodeURIComponent(created.Role?.AssumeRolePolicyDocument ?? ''), trust(aliceArn));
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'deployer' }))).Role;
    assert.equal(got?.Description, 'deploys things');
    assert.equal(got?.MaxSessionDuration, 7200);
    assert.deepEqual(got?.Tags, [{ Key: 'team', Value: 'a' }]);
    const listed = await iam.send(new ListRolesCommand({}));
    assert.ok(listed.Roles?.some((r) => r.RoleName === 'deployer' && r.MaxSessionDuration === 7200));

    assert.deepEqual(await awsError(iam.send(new GetRoleCommand({ RoleName: 'nope' }))), {
      name: 'NoSuchEntityException',
      message: 'The role with name nope cannot be found.',
      status: 404,
    });
    assert.deepEqual(
      await awsError(
        iam.send(new CreateRoleCommand({ RoleName: 'Deployer', AssumeRolePolicyDocument: LAMBDA_TRUST })),
      ),
      {
        name: 'EntityAlreadyExistsException',
        message: 'Role with name Deployer already exists.',
        status: 409,
      },
    );
    const noPrincipal = await awsError(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'bad',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }],
          }),
        }),
      ),
    );
    assert.deepEqual(noPrincipal, {
      name: 'MalformedPolicyDocumentException',
      message: 'Missing required field Principal',
      status: 400,
    });
  });

  test('AssumeRole by a trusted user: session credentials authenticate as the assumed role', async () => {
    await server
      .iam()
      .send(new CreateRoleCommand({ RoleName: 'worker', AssumeRolePolicyDocument: trust(aliceArn) }));
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/worker`;
    const out = await server
      .sts(alice)
      .send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'job-1', DurationSeconds: 3600 }));
    const c = out.Credentials;
    assert.match(c?.AccessKeyId ?? '', /^ASIA[A-Z2-7]{16}$/);
    assert.equal(c?.SecretAccessKey?.length, 40);
    assert.ok((c?.SessionToken?.length ?? 0) > 100);
    assert.ok(c?.Expiration instanceof Date && c.Expiration.getTime() > Date.now());
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/worker/job-1`);
    const roleId = (await server.iam().send(new GetRoleCommand({ RoleName: 'worker' }))).Role?.RoleId;
    assert.equal(out.AssumedRoleUser?.AssumedRoleId, `${roleId}:job-1`);

    const session = {
      accessKeyId: c?.AccessKeyId as string,
      secretAccessKey: c?.SecretAccessKey as string,
      sessionToken: c?.SessionToken as string,
    };
    const me = await server.sts(session).send(new GetCallerIdentityCommand({}));
    assert.deepEqual(
      { Account: me.Account, Arn: me.Arn, UserId: me.UserId },
      { Account: ACCOUNT, Arn: out.AssumedRoleUser?.Arn, UserId: `${roleId}:job-1` },
    );
    await server.lambda(session).send(new ListFunctionsCommand({}));

    const { sessionToken: _t, ...withoutToken } = session;
    assert.deepEqual(await awsError(server.sts(withoutToken).send(new GetCallerIdentityCommand({}))), {
      name: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
    const otherToken = await awsError(
      server
        .sts({ ...session, sessionToken: `${session.sessionToken}x` })
        .send(new GetCallerIdentityCommand({})),
    );
    assert.equal(otherToken.name, 'InvalidClientTokenId');
    // A session cannot get a session token; chaining roles is limited to an hour.
    assert.deepEqual(await awsError(server.sts(session).send(new GetSessionTokenCommand({}))), {
      name: 'AccessDenied',
      message: 'Cannot call GetSessionToken with session credentials',
      status: 403,
    });
  });

  test('AssumeRole refused: untrusted caller, unknown role, durations past the limits', async () => {
    const iam = server.iam();
    await iam.send(
      new CreateRoleCommand({ RoleName: 'lambda-only', AssumeRolePolicyDocument: LAMBDA_TRUST }),
    );
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/lambda-only`;
    assert.deepEqual(
      await awsError(
        server.sts(alice).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's1' })),
      ),
      {
        name: 'AccessDenied',
        message: `User: ${aliceArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        status: 403,
      },
    );
    const unknown = `arn:aws:iam::${ACCOUNT}:role/unknown`;
    const noRole = await awsError(
      server.sts(alice).send(new AssumeRoleCommand({ RoleArn: unknown, RoleSessionName: 'ss' })),
    );
    assert.equal(
      noRole.message,
      `User: ${aliceArn} is not authorized to perform: sts:AssumeRole on resource: ${unknown}`,
    );

    // The account root in the trust policy trusts the account's principals; an explicit Deny wins.
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'lambda-only', PolicyDocument: trust(ACCOUNT) }),
    );
    await server.sts(alice).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'ok' }));
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'lambda-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' },
            { Effect: 'Deny', Principal: { AWS: aliceArn }, Action: 'sts:*' },
          ],
        }),
      }),
    );
    assert.equal(
      (
        await awsError(
          server.sts(alice).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'no' })),
        )
      ).name,
      'AccessDenied',
    );
    await server.sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'root-ok' }));

    const tooLong = await awsError(
      server
        .sts()
        .send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'x1', DurationSeconds: 7200 })),
    );
    assert.deepEqual(tooLong, {
      name: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      status: 400,
    });
    const tooShort = await awsError(
      server
        .sts()
        .send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'x1', DurationSeconds: 60 })),
    );
    assert.deepEqual(tooShort, {
      name: 'ValidationError',
      message:
        "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      status: 400,
    });
    const badName = await awsError(
      server.sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'has space' })),
    );
    assert.equal(badName.name, 'ValidationError');
    assert.match(
      badName.message,
      /at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
  });

  test('an expired session is refused with ExpiredToken in each protocol', async () => {
    await server
      .iam()
      .send(new CreateRoleCommand({ RoleName: 'short', AssumeRolePolicyDocument: trust(aliceArn) }));
    const out = await server.sts(alice).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/short`,
        RoleSessionName: 'brief',
        DurationSeconds: 900,
      }),
    );
    const session = {
      accessKeyId: out.Credentials?.AccessKeyId as string,
      secretAccessKey: out.Credentials?.SecretAccessKey as string,
      sessionToken: out.Credentials?.SessionToken as string,
    };
    await server.sts(session).send(new GetCallerIdentityCommand({}));
    let expired: { name: string; message: string; status?: number } | undefined;
    await until(async () => {
      try {
        await server.sts(session).send(new GetCallerIdentityCommand({}));
        return false;
      } catch (err) {
        expired = await awsError(Promise.reject(err));
        return true;
      }
    });
    assert.deepEqual(expired, {
      name: 'ExpiredToken',
      message: 'The security token included in the request is expired',
      status: 403,
    });
    assert.ok(
      Date.now() >= (out.Credentials?.Expiration?.getTime() ?? 0),
      'refused only after its Expiration',
    );
    const inLambda = await awsError(server.lambda(session).send(new ListFunctionsCommand({})));
    assert.deepEqual(inLambda, {
      name: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
      status: 403,
    });
  });

  test('GetSessionToken: a user session keeps the user as its principal', async () => {
    const out = await server.sts(alice).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const session = {
      accessKeyId: out.Credentials?.AccessKeyId as string,
      secretAccessKey: out.Credentials?.SecretAccessKey as string,
      sessionToken: out.Credentials?.SessionToken as string,
    };
    assert.match(session.accessKeyId, /^ASIA/);
    const me = await server.sts(session).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, aliceArn);
    const root = await server.sts().send(new GetCallerIdentityCommand({}));
    assert.deepEqual(
      { Arn: root.Arn, UserId: root.UserId, Account: root.Account },
      { Arn: `arn:aws:iam::${ACCOUNT}:root`, UserId: ACCOUNT, Account: ACCOUNT },
    );
  });

  test('role inline and attached policies; DeleteRole refuses while they exist', async () => {
    const iam = server.iam();
    await iam.send(new CreateRoleCommand({ RoleName: 'fn-role', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: '*' }],
    });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'fn-role', PolicyName: 'self', PolicyDocument: doc }),
    );
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'fn-role', PolicyName: 'self' }));
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ''), doc);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'fn-role' }))).PolicyNames, [
      'self',
    ]);
    assert.deepEqual(
      await awsError(iam.send(new GetRolePolicyCommand({ RoleName: 'fn-role', PolicyName: 'other' }))),
      {
        name: 'NoSuchEntityException',
        message: 'The role policy with name other cannot be found.',
        status: 404,
      },
    );
    const basic = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'fn-role', PolicyArn: basic }));
    assert.deepEqual(
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'fn-role' }))).AttachedPolicies,
      [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: basic }],
    );
    assert.deepEqual(await awsError(iam.send(new DeleteRoleCommand({ RoleName: 'fn-role' }))), {
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must detach all policies first.',
      status: 409,
    });
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'fn-role', PolicyArn: basic }));
    assert.equal(
      (await awsError(iam.send(new DeleteRoleCommand({ RoleName: 'fn-role' })))).message,
      'Cannot delete entity, must delete policies first.',
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'fn-role', PolicyName: 'self' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'fn-role' }));
  });

  test('a session, its role and trust policy survive a restart', async () => {
    await server
      .iam()
      .send(new CreateRoleCommand({ RoleName: 'durable', AssumeRolePolicyDocument: trust(aliceArn) }));
    const out = await server.sts(alice).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/durable`,
        RoleSessionName: 'kept',
        // 3600 s scaled: 8 s, room for a restart on a busy machine.
        DurationSeconds: 3600,
      }),
    );
    server = await server.restart();
    const me = await server
      .sts({
        accessKeyId: out.Credentials?.AccessKeyId as string,
        secretAccessKey: out.Credentials?.SecretAccessKey as string,
        sessionToken: out.Credentials?.SessionToken as string,
      })
      .send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/durable/kept`);
    const role = (await server.iam().send(new GetRoleCommand({ RoleName: 'durable' }))).Role;
    assert.equal(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''), trust(aliceArn));
  });
});
