/**
 * IAM enforced (a server that is not the local-development case): functions act as their
 * execution role and can do only what it allows, users are limited to their policies, and
 * CreateFunction checks that Lambda may assume the role. Real clients throughout: the JS SDK
 * built into the Node runtime and boto3 (Debian's python3-boto3) inside functions, the
 * JS SDK outside.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  type LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { zipOf } from './support/zips.js';

const ACCOUNT = '000000000000';
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

/** A role Lambda may assume whose only permission is lambda:GetFunction on `self`. */
async function selfReaderRole(iam: IAMClient, roleName: string, self: string): Promise<string> {
  const { Role } = await iam.send(
    new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'read-self',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: fnArn(self) }],
      }),
    }),
  );
  return Role?.Arn as string;
}

const NODE_PROBE = `
const { LambdaClient, GetFunctionCommand, DeleteFunctionCommand } = require('@aws-sdk/client-lambda');
exports.handler = async () => {
  const lambda = new LambdaClient({});
  const out = { key: process.env.AWS_ACCESS_KEY_ID, token: Boolean(process.env.AWS_SESSION_TOKEN) };
  const attempt = async (k, cmd) => {
    try { await lambda.send(cmd); out[k] = 'ok'; } catch (e) { out[k] = e.name + ': ' + e.message; }
  };
  await attempt('self', new GetFunctionCommand({ FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME }));
  await attempt('other', new GetFunctionCommand({ FunctionName: 'bystander' }));
  await attempt('delete', new DeleteFunctionCommand({ FunctionName: 'bystander' }));
  return out;
};`;

const PYTHON_PROBE = `
import os, boto3, botocore
def handler(event, context):
    client = boto3.client('lambda', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
    out = {'key': os.environ['AWS_ACCESS_KEY_ID']}
    for k, call in (('self', lambda: client.get_function(FunctionName=context.function_name)),
                    ('other', lambda: client.get_function(FunctionName='bystander')),
                    ('delete', lambda: client.delete_function(FunctionName='bystander'))):
        try:
            call(); out[k] = 'ok'
        except botocore.exceptions.ClientError as e:
            out[k] = e.response['Error']['Code'] + ': ' + e.response['Error']['Message']
    return out
`;

const linux = process.platform === 'linux' && process.getuid?.() === 0;

describe('IAM enforced', { skip: linux ? false : 'the Linux sandbox needs root on Linux' }, () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let iam: IAMClient;
  before(async () => {
    server = await startServer({ iamEnforcement: 'on' });
    lambda = server.lambda();
    iam = server.iam();
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: 'plain', AssumeRolePolicyDocument: LAMBDA_TRUST }),
    );
    await deployNode(lambda, 'bystander', 'exports.handler = async () => "still here";', {
      Role: Role?.Arn as string,
    });
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('CreateFunction refuses a role that does not exist or does not trust Lambda', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ec2-only',
        AssumeRolePolicyDocument: LAMBDA_TRUST.replace('lambda.amazonaws.com', 'ec2.amazonaws.com'),
      }),
    );
    for (const role of [
      `arn:aws:iam::${ACCOUNT}:role/no-such-role`,
      `arn:aws:iam::${ACCOUNT}:role/ec2-only`,
    ]) {
      await assert.rejects(
        lambda.send(
          new CreateFunctionCommand({
            FunctionName: 'refused',
            Runtime: 'nodejs20.x',
            Handler: 'index.handler',
            Role: role,
            Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler = async () => 1;' }) },
          }),
        ),
        {
          name: 'InvalidParameterValueException',
          message: 'The role defined for the function cannot be assumed by Lambda.',
        },
      );
    }
  });

  for (const [runtime, handler, file, code] of [
    ['nodejs20.x', 'index.handler', 'index.js', NODE_PROBE],
    ['python3.11', 'app.handler', 'app.py', PYTHON_PROBE],
  ] as const) {
    test(`a ${runtime} function acts as its role: it reads itself, not another function, and cannot delete one`, async () => {
      const name = `reader-${runtime.replace('.', '-')}`;
      const roleName = `${name}-role`;
      const role = await selfReaderRole(iam, roleName, name);
      await deployNode(lambda, name, '', {
        Runtime: runtime,
        Handler: handler,
        Role: role,
        Code: { ZipFile: await zipOf({ [file]: code }) },
        Timeout: 30,
      });
      const res = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
      assert.equal(res.FunctionError, undefined, Buffer.from(res.Payload ?? []).toString());
      const out = JSON.parse(Buffer.from(res.Payload ?? []).toString()) as Record<string, string | boolean>;
      assert.match(
        String(out.key),
        /^ASIA[A-Z2-7]{16}$/,
        'temporary credentials of the role, not the account keys',
      );
      assert.notEqual(out.key, 'test');
      assert.equal(out.self, 'ok');
      const caller = `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${name}`;
      assert.equal(
        out.other,
        `AccessDeniedException: User: ${caller} is not authorized to perform: lambda:GetFunction on resource: ${fnArn('bystander')} because no identity-based policy allows the lambda:GetFunction action`,
      );
      assert.match(
        String(out.delete),
        /^AccessDeniedException: User: .* lambda:DeleteFunction on resource: .*function:bystander because no identity-based policy allows/,
      );
      // The bystander is untouched.
      assert.equal(
        (await lambda.send(new GetFunctionCommand({ FunctionName: 'bystander' }))).Configuration
          ?.FunctionName,
        'bystander',
      );
    });
  }

  test('a user with AWSLambda_ReadOnlyAccess lists and reads but cannot delete; a user with no policy can do nothing', async () => {
    const keysOf = async (userName: string) => {
      await iam.send(new CreateUserCommand({ UserName: userName }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      return {
        accessKeyId: AccessKey?.AccessKeyId as string,
        secretAccessKey: AccessKey?.SecretAccessKey as string,
      };
    };
    const reader = await keysOf('reader');
    await iam.send(
      new AttachUserPolicyCommand({
        UserName: 'reader',
        PolicyArn: 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess',
      }),
    );
    const asReader = server.lambda(reader);
    const listed = await asReader.send(new ListFunctionsCommand({}));
    assert.ok(listed.Functions?.some((f) => f.FunctionName === 'bystander'));
    await asReader.send(new GetFunctionCommand({ FunctionName: 'bystander' }));
    await assert.rejects(asReader.send(new DeleteFunctionCommand({ FunctionName: 'bystander' })), {
      name: 'AccessDeniedException',
      message: `User: arn:aws:iam::${ACCOUNT}:user/reader is not authorized to perform: lambda:DeleteFunction on resource: ${fnArn('bystander')} because no identity-based policy allows the lambda:DeleteFunction action`,
    });
    const nobody = server.lambda(await keysOf('nobody'));
    await assert.rejects(nobody.send(new ListFunctionsCommand({})), {
      name: 'AccessDeniedException',
      message: `User: arn:aws:iam::${ACCOUNT}:user/nobody is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`,
    });
    // The root keys still may do everything.
    await lambda.send(new GetFunctionCommand({ FunctionName: 'bystander' }));
  });
});
