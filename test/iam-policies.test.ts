/**
 * Managed policies with the real IAM client: the AWS managed policies Lambda users attach,
 * listed and read with AWS's documents; customer managed policies with versions (five at
 * most, a default that cannot be deleted), attachment counts, ListEntitiesForPolicy,
 * GetAccountAuthorizationDetails, and AWS's errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  PutRolePolicyCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam';
import { awsError } from './support/errors.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const ACCOUNT = '000000000000';
const MANAGED = [
  'AWSLambdaBasicExecutionRole',
  'AWSLambdaSQSQueueExecutionRole',
  'AWSLambdaKinesisExecutionRole',
  'AWSLambdaDynamoDBExecutionRole',
  'AmazonS3ReadOnlyAccess',
  'AmazonS3FullAccess',
  'AmazonDynamoDBFullAccess',
  'AdministratorAccess',
  'AWSLambda_ReadOnlyAccess',
  'AWSLambda_FullAccess',
];

const docOf = (actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

describe('IAM managed policies', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('the AWS managed policies are listed, with service-role paths and AWS documents', async () => {
    const iam = server.iam();
    const listed = await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }));
    assert.deepEqual(listed.Policies?.map((p) => p.PolicyName).sort(), [...MANAGED].sort());
    const basic = listed.Policies?.find((p) => p.PolicyName === 'AWSLambdaBasicExecutionRole');
    assert.equal(basic?.Arn, 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    assert.equal(basic?.Path, '/service-role/');
    assert.equal(basic?.DefaultVersionId, 'v1');
    assert.equal(basic?.IsAttachable, true);
    assert.deepEqual(basic?.CreateDate, new Date('2015-04-09T15:03:43Z'));
    assert.equal(
      listed.Policies?.find((p) => p.PolicyName === 'AdministratorAccess')?.Arn,
      'arn:aws:iam::aws:policy/AdministratorAccess',
    );

    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: basic?.Arn, VersionId: 'v1' }));
    assert.deepEqual(JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? '')), {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ],
    });
    const sqs = await iam.send(
      new GetPolicyCommand({
        PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole',
      }),
    );
    const sqsDoc = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: sqs.Policy?.Arn, VersionId: sqs.Policy?.DefaultVersionId }),
    );
    assert.deepEqual(
      JSON.parse(decodeURIComponent(sqsDoc.PolicyVersion?.Document ?? '')).Statement[0].Action,
      [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
    );
    // AWS's own policies cannot be changed.
    const change = await awsError(
      iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: sqs.Policy?.Arn, PolicyDocument: docOf(['s3:*']) }),
      ),
    );
    assert.equal(change.name, 'AccessDenied');
  });

  test('a customer managed policy: versions, default, limits, attachments and deletion', async () => {
    const iam = server.iam();
    const created = (
      await iam.send(
        new CreatePolicyCommand({
          PolicyName: 'readers',
          Path: '/app/',
          PolicyDocument: docOf(['s3:GetObject']),
          Description: 'read objects',
        }),
      )
    ).Policy;
    const arn = `arn:aws:iam::${ACCOUNT}:policy/app/readers`;
    assert.equal(created?.Arn, arn);
    assert.match(created?.PolicyId ?? '', /^ANPA[A-Z2-7]{17}$/);
    assert.equal(created?.DefaultVersionId, 'v1');
    assert.equal(created?.AttachmentCount, 0);
    assert.equal(
      (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.Description,
      'read objects',
    );
    assert.deepEqual(
      await awsError(
        iam.send(new CreatePolicyCommand({ PolicyName: 'Readers', PolicyDocument: docOf(['s3:*']) })),
      ),
      {
        name: 'EntityAlreadyExistsException',
        message: 'A policy called Readers already exists. Duplicate names are not allowed.',
        status: 409,
      },
    );

    const v2 = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: docOf(['s3:GetObject', 's3:ListBucket']),
        SetAsDefault: true,
      }),
    );
    assert.deepEqual([v2.PolicyVersion?.VersionId, v2.PolicyVersion?.IsDefaultVersion], ['v2', true]);
    for (let i = 0; i < 3; i++) {
      await iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: docOf([`s3:Get${i}`]) }),
      );
    }
    assert.deepEqual(
      await awsError(
        iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: docOf(['s3:*']) })),
      ),
      {
        name: 'LimitExceededException',
        message:
          'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
        status: 409,
      },
    );
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    assert.deepEqual(
      versions.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion]),
      [
        ['v5', false],
        ['v4', false],
        ['v3', false],
        ['v2', true],
        ['v1', false],
      ],
    );
    assert.deepEqual(
      await awsError(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }))),
      {
        name: 'DeleteConflictException',
        message: 'Cannot delete the default version of a policy.',
        status: 409,
      },
    );
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId, 'v5');
    assert.deepEqual(
      await awsError(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v9' }))),
      {
        name: 'NoSuchEntityException',
        message: `Policy ${arn} version v9 does not exist or is not attachable.`,
        status: 404,
      },
    );

    await iam.send(new CreateUserCommand({ UserName: 'reader' }));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'reader-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: 'reader', PolicyArn: arn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'reader-role', PolicyArn: arn }));
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'reader-role',
        PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'reader-role',
        PolicyName: 'inline',
        PolicyDocument: docOf(['sqs:*']),
      }),
    );
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount, 2);
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    assert.deepEqual(
      entities.PolicyUsers?.map((u) => u.UserName),
      ['reader'],
    );
    assert.deepEqual(
      entities.PolicyRoles?.map((r) => r.RoleName),
      ['reader-role'],
    );
    assert.deepEqual(entities.PolicyGroups, []);
    const attachedOnly = await iam.send(new ListPoliciesCommand({ OnlyAttached: true }));
    assert.deepEqual(attachedOnly.Policies?.map((p) => p.PolicyName).sort(), [
      'AWSLambdaBasicExecutionRole',
      'readers',
    ]);
    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local' }));
    assert.deepEqual(
      local.Policies?.map((p) => p.PolicyName),
      ['readers'],
    );

    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({}));
    const role = details.RoleDetailList?.find((r) => r.RoleName === 'reader-role');
    assert.deepEqual(role?.AttachedManagedPolicies?.map((p) => p.PolicyName).sort(), [
      'AWSLambdaBasicExecutionRole',
      'readers',
    ]);
    assert.equal(decodeURIComponent(role?.RolePolicyList?.[0]?.PolicyDocument ?? ''), docOf(['sqs:*']));
    assert.deepEqual(details.UserDetailList?.find((u) => u.UserName === 'reader')?.AttachedManagedPolicies, [
      { PolicyName: 'readers', PolicyArn: arn },
    ]);
    const readers = details.Policies?.find((p) => p.Arn === arn);
    assert.equal(readers?.PolicyVersionList?.length, 5);
    assert.ok(details.Policies?.some((p) => p.PolicyName === 'AWSLambdaBasicExecutionRole'));
    assert.ok(
      !details.Policies?.some((p) => p.PolicyName === 'AdministratorAccess'),
      'unused AWS policies are not listed',
    );

    assert.deepEqual(await awsError(iam.send(new DeletePolicyCommand({ PolicyArn: arn }))), {
      name: 'DeleteConflictException',
      message: 'Cannot delete a policy attached to entities.',
      status: 409,
    });
    await iam.send(new DetachUserPolicyCommand({ UserName: 'reader', PolicyArn: arn }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'reader-role', PolicyArn: arn }));
    for (const v of ['v1', 'v2', 'v3', 'v4']) {
      await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    }
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    assert.deepEqual(await awsError(iam.send(new GetPolicyCommand({ PolicyArn: arn }))), {
      name: 'NoSuchEntityException',
      message: `Policy ${arn} was not found.`,
      status: 404,
    });
  });

  test('policy documents are checked: JSON, Resource, size quota', async () => {
    const iam = server.iam();
    const noResource = await awsError(
      iam.send(
        new CreatePolicyCommand({
          PolicyName: 'p1',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*' }],
          }),
        }),
      ),
    );
    assert.deepEqual(noResource, {
      name: 'MalformedPolicyDocumentException',
      message: 'Policy statement must contain resources.',
      status: 400,
    });
    const huge = docOf(Array.from({ length: 500 }, (_, i) => `s3:SomeAction${i}`));
    assert.deepEqual(
      await awsError(iam.send(new CreatePolicyCommand({ PolicyName: 'p2', PolicyDocument: huge }))),
      {
        name: 'LimitExceededException',
        message: 'Cannot exceed quota for PolicySize: 6144',
        status: 409,
      },
    );
    const badArn = await awsError(
      iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:s3:::not-a-policy-arn' })),
    );
    assert.deepEqual(badArn, {
      name: 'InvalidInputException',
      message: 'ARN arn:aws:s3:::not-a-policy-arn is not valid.',
      status: 400,
    });
  });
});
