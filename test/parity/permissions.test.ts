/**
 * Parity: resource policies (AddPermission, RemovePermission, GetPolicy) against
 * `TestLambdaPermissions::*` and `TestLambdaRevisions::test_function_revisions_permissions` of
 * test_lambda_api.snapshot.json.
 */
import { describe } from 'node:test';
import {
  AddPermissionCommand,
  type AddPermissionCommandInput,
  GetFunctionCommand,
  GetPolicyCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  type RemovePermissionCommandInput,
} from '@aws-sdk/client-lambda';
import { createFixture, parityCase, parityServer, uniqueName } from './harness.js';
import { ACCOUNT_ID, call, parsePolicyStrings, type View } from './recorded.js';

const ps = parityServer();
const BUCKET_ARN = 'arn:aws:s3:::test-bucket';

const addPermission = async (input: AddPermissionCommandInput): Promise<View> =>
  parsePolicyStrings(await call(ps.lambda.send(new AddPermissionCommand(input))));
const removePermission = (input: RemovePermissionCommandInput) =>
  call(ps.lambda.send(new RemovePermissionCommand(input)));
const getPolicy = async (name: string, qualifier?: string): Promise<View> =>
  parsePolicyStrings(
    await call(ps.lambda.send(new GetPolicyCommand({ FunctionName: name, Qualifier: qualifier }))),
  );

const INVOKE = 'lambda:InvokeFunction';
/** A 2022 recording that AWS's later behaviour replaced (the same test was recorded again in 2025). */
const SUPERSEDED = {
  todo:
    'recorded in 2022, when a policy took the RevisionId PublishVersion gave the function; the 2025 ' +
    'recording of this test (test_lambda_permission_fn_versioning, replayed in aliases.test.ts) shows ' +
    'the policy keeping its own, as Lambent does',
};

describe('parity: permissions', { concurrency: true }, () => {
  parityCase('TestLambdaPermissions::test_add_lambda_permission_aws', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    rec.bind('<function-name:1>', name).bind('<resource:3>', 'test-bucket');
    rec.match('create_lambda', await createFixture(ps.lambda, { name }));
    rec.match(
      'add_permission',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 's3',
        Principal: 's3.amazonaws.com',
        SourceArn: BUCKET_ARN,
      }),
    );
    rec.match('get_policy', await getPolicy(name));
  });

  parityCase('TestLambdaPermissions::test_remove_multi_permissions', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    rec.bind('<resource:1>', name).bind('<resource:2>', 'test-bucket');
    await createFixture(ps.lambda, { name });
    rec.match(
      'add_permission_1',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 's3',
        Principal: 's3.amazonaws.com',
      }),
    );
    rec.match(
      'add_permission_2',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 'sqs',
        Principal: 'sqs.amazonaws.com',
        SourceArn: BUCKET_ARN,
      }),
    );
    rec.match('policy_after_2_add', await getPolicy(name));
    rec.match(
      'remove_permission_exception_nonexisting_sid',
      await removePermission({ FunctionName: name, StatementId: 'non-existent' }),
    );
    const removed = await removePermission({ FunctionName: name, StatementId: 'sqs' });
    rec.check('RemovePermission(sqs) succeeds', !('Error' in removed), JSON.stringify(removed));
    rec.match('policy_after_removal', await getPolicy(name));
    const attempt = await getPolicy(name);
    rec.match('policy_after_removal_attempt', attempt);
    const last = await removePermission({
      FunctionName: name,
      StatementId: 's3',
      RevisionId: attempt.RevisionId as string,
    });
    rec.check('RemovePermission(s3, RevisionId) succeeds', !('Error' in last), JSON.stringify(last));
    rec.match('get_policy_exception_removed_all', await getPolicy(name));
  });

  parityCase('TestLambdaPermissions::test_create_multiple_lambda_permissions', {}, async (rec) => {
    const name = uniqueName('test-function');
    rec.bind('<resource:1>', name);
    await createFixture(ps.lambda, { name });
    rec.match(
      'add_permission_response_1',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 'logs',
        Principal: 'logs.amazonaws.com',
      }),
    );
    rec.match(
      'add_permission_response_2',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 'kinesis',
        Principal: 'kinesis.amazonaws.com',
      }),
    );
    rec.match('policy_after_2_add', await getPolicy(name));
  });

  parityCase('TestLambdaPermissions::test_permission_exceptions', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    rec.bind('<function-name>', name);
    await createFixture(ps.lambda, { name });
    const s3 = { Action: INVOKE, StatementId: 's3', Principal: 's3.amazonaws.com', SourceArn: BUCKET_ARN };
    rec.match(
      'add_permission_invalid_statement_id',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 'example.com',
        Principal: 's3.amazonaws.com',
      }),
    );
    rec.match(
      'add_permission_fn_qualifier_mismatch',
      await addPermission({ ...s3, FunctionName: `${name}:alias-not-42`, Qualifier: '42' }),
    );
    rec.match(
      'add_permission_fn_qualifier_latest',
      await addPermission({ ...s3, FunctionName: `${name}:$LATEST`, Qualifier: '$LATEST' }),
    );
    rec.match(
      'add_permission_principal_invalid',
      await addPermission({
        FunctionName: name,
        Action: INVOKE,
        StatementId: 'lambda',
        Principal: 'invalid.nonaws.com',
        SourceAccount: ACCOUNT_ID,
      }),
    );
    rec.match('get_policy_fn_doesnotexist', await getPolicy('doesnotexist'));
    rec.match('get_policy_fn_version_doesnotexist', await getPolicy(name, '77'));
    rec.match('add_permission_fn_doesnotexist', await addPermission({ ...s3, FunctionName: 'doesnotexist' }));
    rec.match(
      'remove_permission_policy_doesnotexist',
      await removePermission({ FunctionName: name, StatementId: 's3' }),
    );
    rec.match(
      'add_permission_fn_alias_doesnotexist',
      await addPermission({ ...s3, FunctionName: `${name}:alias-doesnotexist` }),
    );
    rec.match(
      'add_permission_fn_version_doesnotexist',
      await addPermission({ ...s3, FunctionName: name, Qualifier: '42' }),
    );
    rec.match(
      'add_permission_fn_qualifier_invalid',
      await addPermission({ ...s3, FunctionName: name, Qualifier: 'invalid-qualifier-with-?-char' }),
    );
    rec.match(
      'add_permission_fn_qualifier_valid_doesnotexist',
      await addPermission({ ...s3, FunctionName: name, Qualifier: 'valid-with-$-but-doesnotexist' }),
    );
    const added = await addPermission({ ...s3, FunctionName: name });
    rec.check('AddPermission(s3) succeeds', !('Error' in added), JSON.stringify(added));
    rec.match('add_permission_conflicting_statement_id', await addPermission({ ...s3, FunctionName: name }));
    rec.match(
      'remove_permission_fn_doesnotexist',
      await removePermission({ FunctionName: 'doesnotexist', StatementId: 's3' }),
    );
    rec.match(
      'remove_permission_fn_alias_doesnotexist',
      await removePermission({ FunctionName: name, StatementId: 's3', Qualifier: 'alias-doesnotexist' }),
    );
  });

  // The calls between the snapshots are inferred (publish, then a permission on the version).
  parityCase('TestLambdaPermissions::test_lambda_permission_versioning', SUPERSEDED, async (rec) => {
    const name = uniqueName('lambda_func');
    rec.bind('<resource:1>', name).bind('<resource:2>', 'test-bucket');
    await createFixture(ps.lambda, { name });
    const s3 = { Action: INVOKE, StatementId: 's3', Principal: 's3.amazonaws.com', SourceArn: BUCKET_ARN };
    rec.match('add_permission', await addPermission({ ...s3, FunctionName: name }));
    rec.match('get_policy', await getPolicy(name));
    const published = await ps.lambda.send(new PublishVersionCommand({ FunctionName: name }));
    const version = published.Version as string;
    rec.match('get_policy_after_publishing_latest', await getPolicy(name));
    rec.match('get_policy_after_publishing_new_version', await getPolicy(name, version));
    const onVersion = await addPermission({
      ...s3,
      FunctionName: `${name}:${version}`,
      Qualifier: version,
    });
    rec.check('AddPermission on the version succeeds', !('Error' in onVersion), JSON.stringify(onVersion));
    const policy = await getPolicy(name);
    rec.match('get_policy_after_adding_to_new_version', policy);
    const second = await addPermission({
      ...s3,
      StatementId: 's3_2',
      FunctionName: name,
      RevisionId: policy.RevisionId as string,
    });
    rec.check('AddPermission(s3_2, RevisionId) succeeds', !('Error' in second), JSON.stringify(second));
    rec.match('get_policy_after_adding_2', await getPolicy(name));
  });

  // This one recording kept its HTTP headers (Date and request id are compared by format).
  parityCase('TestLambdaRevisions::test_function_revisions_permissions', {}, async (rec) => {
    const name = uniqueName('fn');
    await createFixture(ps.lambda, { name });
    const fn = await ps.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const permission = {
      FunctionName: name,
      StatementId: 's3',
      Action: INVOKE,
      Principal: 's3.amazonaws.com',
    };
    rec.match(
      'add_permission_revision_exception',
      await addPermission({ ...permission, RevisionId: 'wrong' }),
    );
    const added = await addPermission({ ...permission, RevisionId: fn.Configuration?.RevisionId });
    rec.check(
      'AddPermission with the current RevisionId succeeds',
      !('Error' in added),
      JSON.stringify(added),
    );
  });
});
