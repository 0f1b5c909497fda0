/**
 * IAM users and access keys with the real IAM and STS clients: the lifecycle of a user and its
 * keys, the new keys authenticating at the gateway (GetCallerIdentity as the user, for IAM
 * and for Lambda), inactive and deleted keys refused in each protocol's words, inline and
 * attached user policies, AWS's errors, and everything surviving a restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { exited, startCli } from './support/cli.js';
import { awsError } from './support/errors.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const ACCOUNT = '000000000000';
const READ_LOGS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['logs:Get*', 'logs:Describe*'], Resource: '*' }],
});

describe('IAM users and access keys', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('a user with two keys: created, listed, authenticating as the user, inactive and deleted keys refused', async () => {
    const iam = server.iam();
    const created = await iam.send(
      new CreateUserCommand({ UserName: 'alice', Path: '/team/', Tags: [{ Key: 'k', Value: 'v' }] }),
    );
    assert.equal(created.User?.UserName, 'alice');
    assert.equal(created.User?.Path, '/team/');
    assert.equal(created.User?.Arn, `arn:aws:iam::${ACCOUNT}:user/team/alice`);
    assert.match(created.User?.UserId ?? '', /^AIDA[A-Z2-7]{17}$/);
    assert.ok(created.User?.CreateDate instanceof Date);
    assert.deepEqual(created.User?.Tags, [{ Key: 'k', Value: 'v' }]);

    const dup = await awsError(iam.send(new CreateUserCommand({ UserName: 'ALICE' })));
    assert.deepEqual(dup, {
      name: 'EntityAlreadyExistsException',
      message: 'User with name ALICE already exists.',
      status: 409,
    });

    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
    assert.match(k1?.AccessKeyId ?? '', /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k1?.SecretAccessKey?.length, 40);
    assert.equal(k1?.Status, 'Active');
    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
    const third = await awsError(iam.send(new CreateAccessKeyCommand({ UserName: 'alice' })));
    assert.deepEqual(third, {
      name: 'LimitExceededException',
      message: 'Cannot exceed quota for AccessKeysPerUser: 2',
      status: 409,
    });
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    assert.deepEqual(
      listed.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status, k.UserName]).sort(),
      [
        [k1?.AccessKeyId, 'Active', 'alice'],
        [k2?.AccessKeyId, 'Active', 'alice'],
      ].sort(),
    );

    const asAlice = {
      accessKeyId: k1?.AccessKeyId as string,
      secretAccessKey: k1?.SecretAccessKey as string,
    };
    const me = await server.sts(asAlice).send(new GetCallerIdentityCommand({}));
    assert.deepEqual(
      { Account: me.Account, Arn: me.Arn, UserId: me.UserId },
      { Account: ACCOUNT, Arn: created.User?.Arn, UserId: created.User?.UserId },
    );
    // GetUser without a name is the caller; ListAccessKeys without one, the caller's keys.
    const self = await server.iam(asAlice).send(new GetUserCommand({}));
    assert.equal(self.User?.Arn, created.User?.Arn);
    const own = await server.iam(asAlice).send(new ListAccessKeysCommand({}));
    assert.equal(own.AccessKeyMetadata?.length, 2);
    // The same keys sign any service's requests.
    await server.lambda(asAlice).send(new ListFunctionsCommand({}));

    // A session token with a long-term key is refused, as AWS does.
    const stray = await awsError(
      server.sts({ ...asAlice, sessionToken: 'left-over' }).send(new GetCallerIdentityCommand({})),
    );
    assert.equal(stray.name, 'InvalidClientTokenId');
    // A wrong secret for a user's key is a signature mismatch, as for any key.
    const wrong = await awsError(
      server
        .sts({ accessKeyId: asAlice.accessKeyId, secretAccessKey: 'x'.repeat(40) })
        .send(new GetCallerIdentityCommand({})),
    );
    assert.equal(wrong.name, 'SignatureDoesNotMatch');

    await iam.send(
      new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: k1?.AccessKeyId, Status: 'Inactive' }),
    );
    const inactive = await awsError(server.sts(asAlice).send(new GetCallerIdentityCommand({})));
    assert.deepEqual(inactive, {
      name: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
    // Lambda (rest-json) names the same refusal its own way.
    const inLambda = await awsError(server.lambda(asAlice).send(new ListFunctionsCommand({})));
    assert.equal(inLambda.name, 'UnrecognizedClientException');
    assert.equal(inLambda.message, 'The security token included in the request is invalid.');

    await iam.send(
      new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: k1?.AccessKeyId, Status: 'Active' }),
    );
    await server.sts(asAlice).send(new GetCallerIdentityCommand({}));

    const noKey = await awsError(
      iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA' })),
    );
    assert.deepEqual(noKey, {
      name: 'NoSuchEntityException',
      message: 'The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.',
      status: 404,
    });
    const conflict = await awsError(iam.send(new DeleteUserCommand({ UserName: 'alice' })));
    assert.deepEqual(conflict, {
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must delete access keys first.',
      status: 409,
    });
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: k1?.AccessKeyId }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: k2?.AccessKeyId }));
    const deleted = await awsError(server.sts(asAlice).send(new GetCallerIdentityCommand({})));
    assert.equal(deleted.name, 'InvalidClientTokenId');
    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    const gone = await awsError(iam.send(new GetUserCommand({ UserName: 'alice' })));
    assert.deepEqual(gone, {
      name: 'NoSuchEntityException',
      message: 'The user with name alice cannot be found.',
      status: 404,
    });
  });

  test('GetUser as root, ListUsers with paths and paging', async () => {
    const iam = server.iam();
    const root = await iam.send(new GetUserCommand({}));
    assert.equal(root.User?.Arn, `arn:aws:iam::${ACCOUNT}:root`);
    assert.equal(root.User?.UserId, ACCOUNT);
    for (const name of ['u1', 'u2', 'u3']) {
      await iam.send(new CreateUserCommand({ UserName: name, Path: name === 'u3' ? '/other/' : '/' }));
    }
    const first = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
    assert.equal(first.IsTruncated, true);
    assert.deepEqual(
      first.Users?.map((u) => u.UserName),
      ['u1', 'u2'],
    );
    const rest = await iam.send(new ListUsersCommand({ MaxItems: 2, Marker: first.Marker }));
    assert.equal(rest.IsTruncated, false);
    assert.deepEqual(
      rest.Users?.map((u) => u.UserName),
      ['u3'],
    );
    const other = await iam.send(new ListUsersCommand({ PathPrefix: '/other/' }));
    assert.deepEqual(
      other.Users?.map((u) => u.UserName),
      ['u3'],
    );
  });

  test('inline and attached user policies; DeleteUser refuses while they exist', async () => {
    const iam = server.iam();
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'read-logs', PolicyDocument: READ_LOGS }),
    );
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'bob', PolicyName: 'read-logs' }));
    // Documents come back URL-encoded, as AWS sends them.
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ''), READ_LOGS);
    assert.match(got.PolicyDocument ?? '', /^%7B%22Version%22%3A%222012-10-17%22/);
    assert.deepEqual((await iam.send(new ListUserPoliciesCommand({ UserName: 'bob' }))).PolicyNames, [
      'read-logs',
    ]);

    const arn = 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess';
    await iam.send(new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: arn }));
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'bob' }));
    assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AWSLambda_ReadOnlyAccess', PolicyArn: arn }]);

    const missing = await awsError(
      iam.send(
        new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/nope` }),
      ),
    );
    assert.deepEqual(missing, {
      name: 'NoSuchEntityException',
      message: `Policy arn:aws:iam::${ACCOUNT}:policy/nope does not exist or is not attachable.`,
      status: 404,
    });
    const withPolicies = await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    assert.equal(withPolicies.name, 'DeleteConflictException');
    await iam.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: arn }));
    const notAttached = await awsError(
      iam.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: arn })),
    );
    assert.deepEqual(notAttached, {
      name: 'NoSuchEntityException',
      message: `Policy ${arn} was not found.`,
      status: 404,
    });
    assert.equal(
      (await awsError(iam.send(new DeleteUserCommand({ UserName: 'bob' })))).message,
      'Cannot delete entity, must delete policies first.',
    );
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'read-logs' }));
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));
  });

  test('bad input gets AWS validation and policy errors', async () => {
    const iam = server.iam();
    const badName = await awsError(iam.send(new CreateUserCommand({ UserName: 'no spaces' })));
    assert.deepEqual(badName, {
      name: 'ValidationError',
      message:
        "1 validation error detected: Value 'no spaces' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      status: 400,
    });
    await iam.send(new CreateUserCommand({ UserName: 'carol' }));
    const notJson = await awsError(
      iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'p', PolicyDocument: '{not json' })),
    );
    assert.deepEqual(notJson, {
      name: 'MalformedPolicyDocumentException',
      message: 'This policy contains invalid Json',
      status: 400,
    });
    const principal = await awsError(
      iam.send(
        new PutUserPolicyCommand({
          UserName: 'carol',
          PolicyName: 'p',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }],
          }),
        }),
      ),
    );
    assert.equal(principal.message, 'Policy document should not specify a principal.');
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: Array.from({ length: 200 }, (_, i) => `s3:Action${i}`), Resource: '*' },
      ],
    });
    const tooBig = await awsError(
      iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'p', PolicyDocument: big })),
    );
    assert.deepEqual(tooBig, {
      name: 'LimitExceededException',
      message: 'Maximum policy size of 2048 bytes exceeded for user carol',
      status: 409,
    });
  });

  test('users, keys and policies survive a restart, and the keys still authenticate', async () => {
    const iam = server.iam();
    await iam.send(new CreateUserCommand({ UserName: 'dave' }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'dave', PolicyName: 'logs', PolicyDocument: READ_LOGS }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'dave' }))).AccessKey;
    server = await server.restart();
    const asDave = {
      accessKeyId: key?.AccessKeyId as string,
      secretAccessKey: key?.SecretAccessKey as string,
    };
    const me = await server.sts(asDave).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:iam::${ACCOUNT}:user/dave`);
    const doc = await server.iam().send(new GetUserPolicyCommand({ UserName: 'dave', PolicyName: 'logs' }));
    assert.equal(decodeURIComponent(doc.PolicyDocument ?? ''), READ_LOGS);
  });
});

describe('IAM state across kill -9', () => {
  test('a user, its key, a role and a session the client was told about survive kill -9 of lambent up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-iam-kill-'));
    const clients = (
      url: string,
      creds = { accessKeyId: 'test', secretAccessKey: 'test' } as Record<string, string>,
    ) => ({
      iam: new IAMClient({ endpoint: url, region: 'us-east-1', credentials: creds as never, maxAttempts: 1 }),
      sts: new STSClient({ endpoint: url, region: 'us-east-1', credentials: creds as never, maxAttempts: 1 }),
    });
    let cli = await startCli(['--port', '0', '--data-dir', dir]);
    try {
      const root = clients(cli.url);
      const user = (await root.iam.send(new CreateUserCommand({ UserName: 'survivor' }))).User;
      const key = (await root.iam.send(new CreateAccessKeyCommand({ UserName: 'survivor' }))).AccessKey;
      await root.iam.send(
        new CreateRoleCommand({
          RoleName: 'kept',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: user?.Arn }, Action: 'sts:AssumeRole' }],
          }),
        }),
      );
      const asUser = {
        accessKeyId: key?.AccessKeyId as string,
        secretAccessKey: key?.SecretAccessKey as string,
      };
      const session = (
        await clients(cli.url, asUser).sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/kept`, RoleSessionName: 'k9' }),
        )
      ).Credentials;
      // No graceful shutdown: the process dies between two instructions.
      cli.child.kill('SIGKILL');
      assert.equal((await exited(cli.child)).signal, 'SIGKILL');

      cli = await startCli(['--port', '0', '--data-dir', dir]);
      const me = await clients(cli.url, asUser).sts.send(new GetCallerIdentityCommand({}));
      assert.equal(me.Arn, user?.Arn);
      const asRole = await clients(cli.url, {
        accessKeyId: session?.AccessKeyId as string,
        secretAccessKey: session?.SecretAccessKey as string,
        sessionToken: session?.SessionToken as string,
      }).sts.send(new GetCallerIdentityCommand({}));
      assert.equal(asRole.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/kept/k9`);
    } finally {
      cli.child.kill('SIGTERM');
      await exited(cli.child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
