/**
 * IAM and STS with the real AWS CLI v2 (awsQuery, XML answers, the CLI's own decoding of
 * URL-encoded policy documents): create a user and its access key, then call
 * `sts get-caller-identity` and `sts assume-role` with the new keys, and use the role
 * session's credentials. Skipped when no AWS CLI is installed (.ci/run installs Debian's).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { awsCliTool, findAwsCli } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const run = promisify(execFile);
const cli = findAwsCli();
const ACCOUNT = '000000000000';

interface Keys {
  id: string;
  secret: string;
  token?: string;
}

describe('IAM and STS with the AWS CLI', { skip: awsCliTool().skip }, () => {
  let server: TestServer;
  let home: string;

  /** Runs `aws <args>` as the given keys (root's by default) and parses its JSON output. */
  async function aws(keys: Keys | undefined, ...args: string[]): Promise<Record<string, unknown>> {
    const env: Record<string, string> = {
      PATH: '/usr/bin:/bin',
      HOME: home,
      AWS_ACCESS_KEY_ID: keys?.id ?? 'test',
      AWS_SECRET_ACCESS_KEY: keys?.secret ?? 'test',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_PAGER: '',
      ...(keys?.token ? { AWS_SESSION_TOKEN: keys.token } : {}),
    };
    const { stdout } = await run(cli as string, ['--endpoint-url', server.url, '--output', 'json', ...args], {
      env,
    });
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  }

  async function awsFails(keys: Keys | undefined, ...args: string[]): Promise<string> {
    try {
      await aws(keys, ...args);
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
    throw new Error(`aws ${args.join(' ')} succeeded`);
  }

  before(async () => {
    server = await startServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-home-'));
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('create-user, create-access-key, then get-caller-identity and assume-role with the new keys', async () => {
    const user = (await aws(undefined, 'iam', 'create-user', '--user-name', 'cli-user')).User as Record<
      string,
      string
    >;
    assert.equal(user.Arn, `arn:aws:iam::${ACCOUNT}:user/cli-user`);
    const key = (await aws(undefined, 'iam', 'create-access-key', '--user-name', 'cli-user'))
      .AccessKey as Record<string, string>;
    assert.match(key.AccessKeyId ?? '', /^AKIA/);
    const keys: Keys = { id: key.AccessKeyId as string, secret: key.SecretAccessKey as string };

    const me = await aws(keys, 'sts', 'get-caller-identity');
    assert.deepEqual(me, { UserId: user.UserId, Account: ACCOUNT, Arn: user.Arn });

    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: user.Arn }, Action: 'sts:AssumeRole' }],
    });
    await aws(
      undefined,
      'iam',
      'create-role',
      '--role-name',
      'cli-role',
      '--assume-role-policy-document',
      trust,
    );
    // The CLI decodes the URL-encoded document AWS sends back into JSON.
    const role = (await aws(undefined, 'iam', 'get-role', '--role-name', 'cli-role')).Role as Record<
      string,
      unknown
    >;
    assert.deepEqual(role.AssumeRolePolicyDocument, JSON.parse(trust));

    const assumed = await aws(
      keys,
      'sts',
      'assume-role',
      '--role-arn',
      `arn:aws:iam::${ACCOUNT}:role/cli-role`,
      '--role-session-name',
      'cli-session',
    );
    const creds = assumed.Credentials as Record<string, string>;
    const session: Keys = {
      id: creds.AccessKeyId as string,
      secret: creds.SecretAccessKey as string,
      token: creds.SessionToken as string,
    };
    const asRole = await aws(session, 'sts', 'get-caller-identity');
    assert.equal(asRole.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/cli-role/cli-session`);

    await aws(
      undefined,
      'iam',
      'update-access-key',
      '--user-name',
      'cli-user',
      '--access-key-id',
      keys.id,
      '--status',
      'Inactive',
    );
    const refused = await awsFails(keys, 'sts', 'get-caller-identity');
    assert.match(
      refused,
      /An error occurred \(InvalidClientTokenId\) when calling the GetCallerIdentity operation: The security token included in the request is invalid\./,
    );
    const missing = await awsFails(undefined, 'iam', 'get-user', '--user-name', 'nobody');
    assert.match(
      missing,
      /An error occurred \(NoSuchEntity\) when calling the GetUser operation: The user with name nobody cannot be found\./,
    );
  });

  test('AWS managed policies as the CLI lists them', async () => {
    const listed = await aws(undefined, 'iam', 'list-policies', '--scope', 'AWS');
    const names = (listed.Policies as { PolicyName: string }[]).map((p) => p.PolicyName);
    assert.ok(names.includes('AWSLambdaBasicExecutionRole'));
    assert.ok(names.includes('AWSLambda_FullAccess'));
    const version = await aws(
      undefined,
      'iam',
      'get-policy-version',
      '--policy-arn',
      'arn:aws:iam::aws:policy/AdministratorAccess',
      '--version-id',
      'v1',
    );
    assert.deepEqual((version.PolicyVersion as { Document: unknown }).Document, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
  });
});
