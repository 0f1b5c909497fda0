/**
 * IAM enforced, the parts that narrow or condition a principal's permissions: iam:PassRole at
 * CreateFunction/UpdateFunctionConfiguration, permissions boundaries (CreateUser's field and
 * Put/DeleteUserPermissionsBoundary, Put/DeleteRolePermissionsBoundary), session policies
 * (AssumeRole `Policy` and `PolicyArns`), and function logs written with the execution role's
 * permissions. Real clients (@aws-sdk/client-iam, client-sts, client-lambda,
 * client-cloudwatch-logs) against a listening server with enforcement on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  ListRolesCommand,
  ListUsersCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  type LambdaClient,
  ListFunctionsCommand,
  RemovePermissionCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { deployNode } from './support/functions.js';
import { type ClientCredentials, removeDataDir, startServer, type TestServer } from './support/server.js';
import { updated } from './support/wait.js';
import { zipOf } from './support/zips.js';

const ACCOUNT = '000000000000';
const AWS_POLICY = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ACCOUNT_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
  ],
});
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;

const linux = process.platform === 'linux' && process.getuid?.() === 0;

describe('IAM enforced: PassRole, boundaries, session policies, logs', {
  skip: linux ? false : 'the Linux sandbox needs root on Linux',
}, () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let iam: IAMClient;
  let plainRole: string;
  let otherRole: string;

  async function userWith(
    name: string,
    setUp: (iam: IAMClient) => Promise<unknown>,
  ): Promise<ClientCredentials> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await setUp(iam);
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return {
      accessKeyId: AccessKey?.AccessKeyId as string,
      secretAccessKey: AccessKey?.SecretAccessKey as string,
    };
  }
  const createInput = async (name: string, role: string) => ({
    FunctionName: name,
    Runtime: 'nodejs20.x' as const,
    Handler: 'index.handler',
    Role: role,
    Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler = async () => 1;' }) },
  });

  before(async () => {
    server = await startServer({ iamEnforcement: 'on' });
    lambda = server.lambda();
    iam = server.iam();
    const plain = await iam.send(
      new CreateRoleCommand({ RoleName: 'plain', AssumeRolePolicyDocument: LAMBDA_TRUST }),
    );
    plainRole = plain.Role?.Arn as string;
    const other = await iam.send(
      new CreateRoleCommand({ RoleName: 'other', AssumeRolePolicyDocument: LAMBDA_TRUST }),
    );
    otherRole = other.Role?.Arn as string;
    await deployNode(lambda, 'bystander', 'exports.handler = async () => "still here";', { Role: plainRole });
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('CreateFunction needs iam:PassRole on the role, passed to lambda.amazonaws.com', async () => {
    const lambdaOnly = doc({ Effect: 'Allow', Action: 'lambda:*', Resource: '*' });
    const noPass = server.lambda(
      await userWith('no-pass', (c) =>
        c.send(
          new PutUserPolicyCommand({ UserName: 'no-pass', PolicyName: 'l', PolicyDocument: lambdaOnly }),
        ),
      ),
    );
    await assert.rejects(noPass.send(new CreateFunctionCommand(await createInput('refused', plainRole))), {
      name: 'AccessDeniedException',
      message: `User: ${userArn('no-pass')} is not authorized to perform: iam:PassRole on resource: ${plainRole} because no identity-based policy allows the iam:PassRole action`,
    });
    const refused = await noPass
      .send(new CreateFunctionCommand(await createInput('refused', plainRole)))
      .catch((e) => e);
    assert.equal(refused.$metadata?.httpStatusCode, 403);
    // PassRole for another service does not let the role go to Lambda.
    const toEc2 = server.lambda(
      await userWith('pass-to-ec2', (c) =>
        c.send(
          new PutUserPolicyCommand({
            UserName: 'pass-to-ec2',
            PolicyName: 'p',
            PolicyDocument: doc(
              { Effect: 'Allow', Action: 'lambda:*', Resource: '*' },
              {
                Effect: 'Allow',
                Action: 'iam:PassRole',
                Resource: '*',
                Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
              },
            ),
          }),
        ),
      ),
    );
    await assert.rejects(toEc2.send(new CreateFunctionCommand(await createInput('refused', plainRole))), {
      name: 'AccessDeniedException',
      message: /iam:PassRole on resource: .*role\/plain because no identity-based policy allows/,
    });
    // AWSLambda_FullAccess allows PassRole to Lambda (its own condition): creating works.
    const full = server.lambda(
      await userWith('full', (c) =>
        c.send(
          new AttachUserPolicyCommand({ UserName: 'full', PolicyArn: AWS_POLICY('AWSLambda_FullAccess') }),
        ),
      ),
    );
    await deployNode(full, 'by-full', 'exports.handler = async () => 1;', { Role: plainRole });
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'refused' })), {
      name: 'ResourceNotFoundException',
    });
  });

  test('UpdateFunctionConfiguration with a Role needs iam:PassRole on the new role; the root user passes', async () => {
    const onePass = server.lambda(
      await userWith('one-pass', (c) =>
        c.send(
          new PutUserPolicyCommand({
            UserName: 'one-pass',
            PolicyName: 'p',
            PolicyDocument: doc(
              { Effect: 'Allow', Action: 'lambda:*', Resource: '*' },
              { Effect: 'Allow', Action: 'iam:PassRole', Resource: plainRole },
            ),
          }),
        ),
      ),
    );
    await assert.rejects(
      onePass.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'bystander', Role: otherRole })),
      {
        name: 'AccessDeniedException',
        message: `User: ${userArn('one-pass')} is not authorized to perform: iam:PassRole on resource: ${otherRole} because no identity-based policy allows the iam:PassRole action`,
      },
    );
    // Other changes need no PassRole; the allowed role may be passed.
    await onePass.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'bystander', Description: 'x' }),
    );
    await updated(lambda, 'bystander');
    await onePass.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'bystander', Role: plainRole }),
    );
    await updated(lambda, 'bystander');
    // The root keys pass any role.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'bystander', Role: otherRole }));
    await updated(lambda, 'bystander');
  });

  test('a permissions boundary limits a user: CreateUser field, PutUserPermissionsBoundary, DeleteUserPermissionsBoundary', async () => {
    const bounded = await userWith('bounded', async (c) => {
      await c.send(
        new AttachUserPolicyCommand({ UserName: 'bounded', PolicyArn: AWS_POLICY('AdministratorAccess') }),
      );
      await c.send(
        new PutUserPermissionsBoundaryCommand({
          UserName: 'bounded',
          PermissionsBoundary: AWS_POLICY('AWSLambda_ReadOnlyAccess'),
        }),
      );
    });
    const got = await iam.send(new GetUserCommand({ UserName: 'bounded' }));
    assert.deepEqual(got.User?.PermissionsBoundary, {
      PermissionsBoundaryType: 'Policy',
      PermissionsBoundaryArn: AWS_POLICY('AWSLambda_ReadOnlyAccess'),
    });
    const asLambda = server.lambda(bounded);
    const asIam = server.iam(bounded);
    // Administrator ∩ Lambda read-only: lists and reads functions, nothing else.
    await asLambda.send(new ListFunctionsCommand({}));
    await assert.rejects(asLambda.send(new DeleteFunctionCommand({ FunctionName: 'bystander' })), {
      name: 'AccessDeniedException',
      message: `User: ${userArn('bounded')} is not authorized to perform: lambda:DeleteFunction on resource: ${fnArn('bystander')} because no permissions boundary allows the lambda:DeleteFunction action`,
    });
    await assert.rejects(asIam.send(new ListUsersCommand({})), {
      name: 'AccessDenied',
      message: `User: ${userArn('bounded')} is not authorized to perform: iam:ListUsers on resource: * because no permissions boundary allows the iam:ListUsers action`,
    });
    // Removing the boundary takes effect at once (the policy cache follows IAM writes).
    await iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: 'bounded' }));
    assert.equal(
      (await iam.send(new GetUserCommand({ UserName: 'bounded' }))).User?.PermissionsBoundary,
      undefined,
    );
    await asIam.send(new ListUsersCommand({}));

    // The boundary given at CreateUser works the same way.
    await iam.send(
      new CreateUserCommand({
        UserName: 'born-bounded',
        PermissionsBoundary: AWS_POLICY('AWSLambda_ReadOnlyAccess'),
      }),
    );
    await iam.send(
      new AttachUserPolicyCommand({ UserName: 'born-bounded', PolicyArn: AWS_POLICY('AdministratorAccess') }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'born-bounded' }));
    const keys = {
      accessKeyId: AccessKey?.AccessKeyId as string,
      secretAccessKey: AccessKey?.SecretAccessKey as string,
    };
    await server.lambda(keys).send(new GetFunctionCommand({ FunctionName: 'bystander' }));
    await assert.rejects(server.iam(keys).send(new ListUsersCommand({})), { name: 'AccessDenied' });
    // A boundary must be a policy the account can attach.
    await assert.rejects(
      iam.send(
        new PutUserPermissionsBoundaryCommand({
          UserName: 'born-bounded',
          PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/missing`,
        }),
      ),
      { name: 'NoSuchEntityException' },
    );
  });

  test('session policies and a role boundary narrow a role session', async () => {
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: ACCOUNT_TRUST }),
    );
    await iam.send(
      new AttachRolePolicyCommand({ RoleName: 'admin', PolicyArn: AWS_POLICY('AdministratorAccess') }),
    );
    const sts = server.sts();
    const assume = async (extra: object) => {
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: Role?.Arn as string, RoleSessionName: 'narrow', ...extra }),
      );
      const c = out.Credentials;
      return {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      };
    };
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/admin/narrow`;

    // Policy: only GetFunction on the bystander.
    const inline = server.lambda(
      await assume({
        Policy: doc({ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: fnArn('bystander') }),
      }),
    );
    await inline.send(new GetFunctionCommand({ FunctionName: 'bystander' }));
    await assert.rejects(inline.send(new ListFunctionsCommand({})), {
      name: 'AccessDeniedException',
      message: `User: ${session} is not authorized to perform: lambda:ListFunctions on resource: * because no session policy allows the lambda:ListFunctions action`,
    });

    // PolicyArns: a managed session policy.
    const managed = server.lambda(
      await assume({ PolicyArns: [{ arn: AWS_POLICY('AWSLambda_ReadOnlyAccess') }] }),
    );
    await managed.send(new ListFunctionsCommand({}));
    await assert.rejects(managed.send(new DeleteFunctionCommand({ FunctionName: 'bystander' })), {
      name: 'AccessDeniedException',
      message: /because no session policy allows the lambda:DeleteFunction action$/,
    });

    // A session without session policies has the role's permissions, until the role gets a boundary.
    const plainSession = await assume({});
    await server.iam(plainSession).send(new ListRolesCommand({}));
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'lambda-list-only',
        PolicyDocument: doc({ Effect: 'Allow', Action: 'lambda:List*', Resource: '*' }),
      }),
    );
    await iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: 'admin', PermissionsBoundary: Policy?.Arn }),
    );
    assert.equal(
      (await iam.send(new GetRoleCommand({ RoleName: 'admin' }))).Role?.PermissionsBoundary
        ?.PermissionsBoundaryArn,
      Policy?.Arn,
    );
    await assert.rejects(server.iam(plainSession).send(new ListRolesCommand({})), {
      name: 'AccessDenied',
      message: `User: ${session} is not authorized to perform: iam:ListRoles on resource: * because no permissions boundary allows the iam:ListRoles action`,
    });
    await server.lambda(plainSession).send(new ListFunctionsCommand({}));
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'admin' }));
    await server.iam(plainSession).send(new ListRolesCommand({}));
  });

  test('lambda:Principal limits AddPermission and RemovePermission to the principals a policy names', async () => {
    const onlyS3 = server.lambda(
      await userWith('s3-grants', (c) =>
        c.send(
          new PutUserPolicyCommand({
            UserName: 's3-grants',
            PolicyName: 'p',
            PolicyDocument: doc({
              Effect: 'Allow',
              Action: ['lambda:AddPermission', 'lambda:RemovePermission'],
              Resource: fnArn('bystander'),
              Condition: { StringEquals: { 'lambda:Principal': 's3.amazonaws.com' } },
            }),
          }),
        ),
      ),
    );
    const add = (sid: string, principal: string) =>
      new AddPermissionCommand({
        FunctionName: 'bystander',
        StatementId: sid,
        Action: 'lambda:InvokeFunction',
        Principal: principal,
      });
    await onlyS3.send(add('from-s3', 's3.amazonaws.com'));
    await assert.rejects(onlyS3.send(add('from-sns', 'sns.amazonaws.com')), {
      name: 'AccessDeniedException',
      message: `User: ${userArn('s3-grants')} is not authorized to perform: lambda:AddPermission on resource: ${fnArn('bystander')} because no identity-based policy allows the lambda:AddPermission action`,
    });
    // The root keys add one for SNS; the user may remove the S3 statement only.
    await lambda.send(add('from-sns', 'sns.amazonaws.com'));
    await assert.rejects(
      onlyS3.send(new RemovePermissionCommand({ FunctionName: 'bystander', StatementId: 'from-sns' })),
      { name: 'AccessDeniedException', message: /lambda:RemovePermission on resource/ },
    );
    await onlyS3.send(new RemovePermissionCommand({ FunctionName: 'bystander', StatementId: 'from-s3' }));
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'bystander', StatementId: 'from-sns' }));
  });

  test('a role without logs permissions gets no stored logs, and the tail and health say why', async () => {
    const { Role: quiet } = await iam.send(
      new CreateRoleCommand({ RoleName: 'no-logs', AssumeRolePolicyDocument: LAMBDA_TRUST }),
    );
    const { Role: loud } = await iam.send(
      new CreateRoleCommand({ RoleName: 'with-logs', AssumeRolePolicyDocument: LAMBDA_TRUST }),
    );
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'with-logs',
        PolicyArn: AWS_POLICY('service-role/AWSLambdaBasicExecutionRole'),
      }),
    );
    const code = `exports.handler = async () => { console.log('HELLO FROM ' + process.env.AWS_LAMBDA_FUNCTION_NAME); return 1; };`;
    await deployNode(lambda, 'quiet', code, { Role: quiet?.Arn as string });
    await deployNode(lambda, 'loud', code, { Role: loud?.Arn as string });

    const tailOf = async (name: string) => {
      const res = await lambda.send(
        new InvokeCommand({ FunctionName: name, LogType: 'Tail', Payload: Buffer.from('{}') }),
      );
      assert.equal(res.FunctionError, undefined);
      return Buffer.from(res.LogResult ?? '', 'base64').toString();
    };
    const quietTail = await tailOf('quiet');
    assert.match(quietTail, /HELLO FROM quiet/, 'the tail still shows the output');
    const warning = quietTail.split('\n').filter((l) => l.startsWith('Lambent: '));
    assert.equal(warning.length, 1, quietTail);
    assert.equal(
      warning[0],
      `Lambent: this function's logs are not stored: its execution role may not write them (User: arn:aws:sts::${ACCOUNT}:assumed-role/no-logs/quiet is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/quiet:* because no identity-based policy allows the logs:CreateLogStream action)`,
    );
    // A warm second invocation says it again, once.
    assert.equal((await tailOf('quiet')).split('\n').filter((l) => l.startsWith('Lambent: ')).length, 1);
    const loudTail = await tailOf('loud');
    assert.doesNotMatch(loudTail, /^Lambent: /m);

    // The role with AWSLambdaBasicExecutionRole has its logs; once they are there, the other's
    // (flushed on the same timer) would be too: there are none.
    const logs = server.logs();
    const events = async (name: string) => {
      try {
        const out = await logs.send(
          new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}`, filterPattern: '"HELLO FROM"' }),
        );
        return out.events ?? [];
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') return [];
        throw err;
      }
    };
    for (const deadline = Date.now() + 20_000; (await events('loud')).length === 0; ) {
      assert.ok(Date.now() < deadline, 'the logs of the role with logs permissions are stored');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await events('quiet'), []);

    const health = (await (await fetch(`${server.url}/_lambent/health`)).json()) as {
      parts: { functionLogs: { withoutPermission: { functionArn: string; role: string; reason: string }[] } };
    };
    const listed = health.parts.functionLogs.withoutPermission;
    assert.deepEqual(
      listed.map((f) => [f.functionArn, f.role]),
      [[fnArn('quiet'), quiet?.Arn]],
    );
    assert.match(listed[0]?.reason ?? '', /logs:CreateLogStream/);
  });
});
