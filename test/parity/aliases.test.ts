/**
 * Parity: aliases (CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases), reads and
 * policies through an alias, against `TestLambdaAlias::*`,
 * `TestLambdaRevisions::test_function_revisions_version_and_alias` and
 * `TestLambdaPermissions::test_lambda_permission_fn_versioning` of
 * test_lambda_api.snapshot.json; invoking through an alias against
 * `TestLambdaAliases::*` of test_lambda.snapshot.json (real sandboxes run the functions).
 */
import { describe } from 'node:test';
import {
  AddPermissionCommand,
  type AddPermissionCommandInput,
  type AliasConfiguration,
  CreateAliasCommand,
  type CreateAliasCommandInput,
  DeleteAliasCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  InvokeCommand,
  type InvokeCommandInput,
  ListAliasesCommand,
  type ListAliasesCommandInput,
  PublishVersionCommand,
  type PublishVersionCommandInput,
  UpdateAliasCommand,
  type UpdateAliasCommandInput,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { zipOf } from '../support/zips.js';
import {
  createFixture,
  createRaw,
  parityCase,
  parityServer,
  ROLE,
  rawInput,
  uniqueName,
  waitActive,
  waitUpdated,
} from './harness.js';
import { ACCOUNT_ID, call, parsePolicyStrings, REGION, type View } from './recorded.js';

const ps = parityServer();
const ARN_PREFIX = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:`;
const BUCKET_ARN = 'arn:aws:s3:::test-bucket';
const INVOKE = 'lambda:InvokeFunction';

const send = {
  createAlias: (input: CreateAliasCommandInput) => call(ps.lambda.send(new CreateAliasCommand(input))),
  getAlias: (name: string, alias: string) =>
    call(ps.lambda.send(new GetAliasCommand({ FunctionName: name, Name: alias }))),
  updateAlias: (input: UpdateAliasCommandInput) => call(ps.lambda.send(new UpdateAliasCommand(input))),
  deleteAlias: (name: string, alias: string) =>
    call(ps.lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: alias }))),
  listAliases: (input: ListAliasesCommandInput) => call(ps.lambda.send(new ListAliasesCommand(input))),
  publish: (input: PublishVersionCommandInput) => call(ps.lambda.send(new PublishVersionCommand(input))),
  getFunction: (name: string, qualifier?: string) =>
    call(ps.lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier }))),
  addPermission: async (input: AddPermissionCommandInput) =>
    parsePolicyStrings(await call(ps.lambda.send(new AddPermissionCommand(input)))),
  getPolicy: async (name: string, qualifier?: string) =>
    parsePolicyStrings(
      await call(ps.lambda.send(new GetPolicyCommand({ FunctionName: name, Qualifier: qualifier }))),
    ),
  setEnvironment: (name: string, testenv: string) =>
    call(
      ps.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          Environment: { Variables: { testenv } },
        }),
      ),
    ),
};

/** boto3's paginator `build_full_result()` with PageSize 1: every page's Aliases, no ResponseMetadata. */
async function listAllAliases(name: string): Promise<View> {
  const all: AliasConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await ps.lambda.send(
      new ListAliasesCommand({ FunctionName: name, MaxItems: 1, Marker: marker }),
    );
    all.push(...(page.Aliases ?? []));
    marker = page.NextMarker;
  } while (marker);
  return { Aliases: JSON.parse(JSON.stringify(all)) };
}

/** The functions of TestLambdaAlias: index.py echo, python3.12, `testenv=staging`. */
const aliasFunction = async (name: string, extra: Parameters<typeof rawInput>[2] = {}) =>
  createRaw(
    ps.lambda,
    await rawInput(name, 'python3.12', { Environment: { Variables: { testenv: 'staging' } }, ...extra }),
  );

const revisionOf = (view: View): string =>
  String((view.Configuration as { RevisionId?: string } | undefined)?.RevisionId ?? view.RevisionId);

describe('parity: aliases', { concurrency: true }, () => {
  parityCase('TestLambdaAlias::test_alias_lifecycle', {}, async (rec) => {
    const name = uniqueName('alias-fn');
    rec.bind('<function-name:1>', name);
    rec.match('create_response', await aliasFunction(name));
    rec.match('publish_v1', await send.publish({ FunctionName: name }));
    await send.setEnvironment(name, 'prod');
    await waitUpdated(ps.lambda, name);
    rec.match('publish_v2', await send.publish({ FunctionName: name }));

    const created = await send.createAlias({
      FunctionName: name,
      Name: 'aliasname1_1',
      FunctionVersion: '1',
      Description: 'custom-alias',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.2 } },
    });
    rec.match('create_alias_1_1', created);
    rec.match('get_alias_1_1', await send.getAlias(name, 'aliasname1_1'));
    rec.match('get_function_alias_1_1', await send.getFunction(name, 'aliasname1_1'));
    rec.match('get_function_byarn_alias_1_1', await send.getFunction(String(created.AliasArn)));
    rec.match('get_function_alias_notfound_exc', await send.getFunction(name, 'aliasdoesnotexist'));
    rec.match(
      'get_function_alias_byarn_notfound_exc',
      await send.getFunction(String(created.AliasArn).replace('aliasname1_1', 'aliasdoesnotexist')),
    );
    rec.match(
      'create_alias_1_2',
      await send.createAlias({
        FunctionName: name,
        Name: 'aliasname1_2',
        FunctionVersion: '1',
        Description: 'custom-alias',
      }),
    );
    rec.match('get_alias_1_2', await send.getAlias(name, 'aliasname1_2'));
    rec.match(
      'create_alias_1_3',
      await send.createAlias({ FunctionName: name, Name: 'aliasname1_3', FunctionVersion: '1' }),
    );
    rec.match('get_alias_1_3', await send.getAlias(name, 'aliasname1_3'));
    rec.match(
      'create_alias_2',
      await send.createAlias({
        FunctionName: name,
        Name: 'aliasname2',
        FunctionVersion: '2',
        Description: 'custom-alias',
      }),
    );
    rec.match('get_alias_2', await send.getAlias(name, 'aliasname2'));
    rec.match('list_aliases_for_fnname', await listAllAliases(name));
    rec.match(
      'update_alias_1_1',
      await send.updateAlias({
        FunctionName: name,
        Name: 'aliasname1_1',
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    rec.match('get_alias_1_1_after_update', await send.getAlias(name, 'aliasname1_1'));
    rec.match('list_aliases_for_fnname_after_update', await send.listAliases({ FunctionName: name }));
    rec.match('update_alias_1_2', await send.updateAlias({ FunctionName: name, Name: 'aliasname1_2' }));
    rec.match('get_alias_1_2_after_update', await send.getAlias(name, 'aliasname1_2'));
    rec.match('list_aliases_for_fnname_after_update_2', await send.listAliases({ FunctionName: name }));
    rec.match(
      'list_aliases_for_version',
      await send.listAliases({ FunctionName: name, FunctionVersion: '1' }),
    );
    rec.match('delete_alias_response', await send.deleteAlias(name, 'aliasname1_1'));
    rec.match('list_aliases_for_fnname_afterdelete', await send.listAliases({ FunctionName: name }));
  });

  parityCase('TestLambdaAlias::test_notfound_and_invalid_routingconfigs', {}, async (rec) => {
    const name = uniqueName('alias-fn');
    rec.bind('<function-name:1>', name);
    rec.match('create_response', await aliasFunction(name, { Publish: true }));
    rec.match('publish_v1', await send.publish({ FunctionName: name }));
    await send.setEnvironment(name, 'prod');
    await waitUpdated(ps.lambda, name);
    rec.match('publish_v2', await send.publish({ FunctionName: name }));

    const custom = (FunctionVersion: string, weights: Record<string, number>) =>
      send.createAlias({
        FunctionName: name,
        Name: 'custom',
        FunctionVersion,
        RoutingConfig: { AdditionalVersionWeights: weights },
      });
    rec.match('routing_config_exc_toomany', await custom('1', { '1': 0.8, '2': 0.2 }));
    rec.match('routing_config_exc_toohigh', await custom('1', { '2': 2 }));
    rec.match('routing_config_exc_subzero', await custom('1', { '2': -1 }));
    rec.match('routing_config_exc_sameversion', await custom('1', { '1': 0.5 }));
    rec.match('target_version_doesnotexist', await custom('10', { '2': 0.5 }));
    rec.match('routing_config_exc_version_doesnotexist', await custom('1', { '10': 0.5 }));
    rec.match('target_version_exc_version_latest', await custom('$LATEST', { '1': 0.5 }));
    rec.match('routing_config_exc_version_latest', await custom('1', { $LATEST: 0.5 }));
    rec.match(
      'create-alias-latest',
      await send.createAlias({ FunctionName: name, Name: 'custom-latest', FunctionVersion: '$LATEST' }),
    );
    rec.match(
      'routing_config_exc_fn_doesnotexist',
      await send.createAlias({
        FunctionName: `${name}-unknown`,
        Name: 'custom',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
      }),
    );
    rec.match(
      'create_alias_empty_routingconfig',
      await send.createAlias({
        FunctionName: name,
        Name: 'custom-empty-routingconfig',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    rec.match('create_alias_response', await custom('1', { '2': 0.5 }));
    rec.match('routing_config_exc_already_exist', await custom('1', { '2': 0.5 }));
    rec.match('alias_does_not_exist_esc', await send.getAlias(name, 'non-existent'));
  });

  parityCase('TestLambdaAlias::test_alias_naming', {}, async (rec) => {
    const name = uniqueName('alias-fn');
    rec.bind('<function-name:1>', name);
    rec.match('create_response', await aliasFunction(name));
    rec.match('publish_v1', await send.publish({ FunctionName: name }));
    rec.match(
      'create_alias_date',
      await send.createAlias({
        FunctionName: name,
        Name: '2024-01-02',
        FunctionVersion: '1',
        Description: 'custom-alias',
      }),
    );
    rec.match('get_alias_date', await send.getAlias(name, '2024-01-02'));
    const invoked = await call(ps.lambda.send(new InvokeCommand({ FunctionName: `${name}:2024-01-02` })));
    rec.check('Invoke through the alias succeeds', invoked.StatusCode === 200, JSON.stringify(invoked));
    rec.match(
      'create_alias_number_exception',
      await send.createAlias({
        FunctionName: name,
        Name: '2024',
        FunctionVersion: '1',
        Description: 'custom-alias',
      }),
    );
  });

  parityCase('TestLambdaAlias::test_non_existent_alias_deletion', {}, async (rec) => {
    const name = uniqueName('alias-fn');
    rec.bind('<function-name:1>', name);
    rec.match('create_response', await aliasFunction(name));
    rec.match('delete_alias_response', await send.deleteAlias(name, 'non-existent'));
  });

  parityCase('TestLambdaAlias::test_non_existent_alias_update', {}, async (rec) => {
    const name = uniqueName('alias-fn');
    rec.bind('<function-name:1>', name);
    rec.match('create_response', await aliasFunction(name));
    rec.match(
      'update_alias_response',
      await send.updateAlias({ FunctionName: name, Name: 'non-existent', Description: 'update' }),
    );
  });

  parityCase('TestLambdaRevisions::test_function_revisions_version_and_alias', {}, async (rec) => {
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    rec.match('create_function_response_rev1', await createFixture(ps.lambda, { name }));
    const rev2 = await send.getFunction(name);
    rec.match('get_function_active_rev2', rev2);
    rec.match(
      'publish_version_revision_exception',
      await send.publish({ FunctionName: name, RevisionId: 'wrong' }),
    );
    const published = await send.publish({ FunctionName: name, RevisionId: revisionOf(rev2) });
    rec.match('publish_version_response_rev_v1', published);
    const version = String(published.Version);
    await waitActive(ps.lambda, name, version);
    rec.match('get_function_published_version_rev_v2', await send.getFunction(name, version));
    rec.match('get_function_latest_rev3', await send.getFunction(name));
    const alias = await send.createAlias({
      FunctionName: name,
      Name: 'revision_alias',
      FunctionVersion: version,
    });
    rec.match('create_alias_response_rev_a1', alias);
    rec.match('get_function_latest_rev4', await send.getFunction(name));
    rec.match('get_function_published_version_rev_v3', await send.getFunction(name, version));
    rec.match(
      'update_alias_revision_exception',
      await send.updateAlias({ FunctionName: name, Name: 'revision_alias', RevisionId: 'wrong' }),
    );
    rec.match(
      'update_alias_response_rev_a2',
      await send.updateAlias({
        FunctionName: name,
        Name: 'revision_alias',
        Description: 'something changed',
        RevisionId: String(alias.RevisionId),
      }),
    );
  });

  parityCase('TestLambdaPermissions::test_lambda_permission_fn_versioning', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    rec.bind('<function-name:1>', name).bind('<resource:1>', 'test-bucket');
    await createFixture(ps.lambda, { name });
    const s3 = { Action: INVOKE, StatementId: 's3', Principal: 's3.amazonaws.com', SourceArn: BUCKET_ARN };
    rec.match('add_permission', await send.addPermission({ ...s3, FunctionName: name }));
    rec.match('get_policy', await send.getPolicy(name));
    const published = await send.publish({ FunctionName: name });
    rec.match('publish_version_result', published);
    const version = String(published.Version);
    await waitActive(ps.lambda, name, version);
    rec.match('get_function_result_after_publishing', await send.getFunction(name));
    rec.match('get_policy_after_publishing_latest', await send.getPolicy(name));
    rec.match('get_policy_after_publishing_new_version', await send.getPolicy(name, version));
    const onVersion = await send.addPermission({
      ...s3,
      FunctionName: `${name}:${version}`,
      Qualifier: version,
    });
    rec.check('AddPermission on the version succeeds', !('Error' in onVersion), JSON.stringify(onVersion));
    rec.match('get_policy_version', await send.getPolicy(name, version));
    const alias = 'permission-alias';
    const created = await send.createAlias({ FunctionName: name, Name: alias, FunctionVersion: version });
    rec.match('create_alias_response', created);
    rec.match('get_alias', await send.getAlias(name, alias));
    rec.match(
      'add_permission_alias_revision_exception',
      await send.addPermission({ ...s3, FunctionName: name, Qualifier: alias, RevisionId: 'wrong' }),
    );
    const onAlias = await send.addPermission({
      ...s3,
      FunctionName: `${name}:${alias}`,
      Qualifier: alias,
      RevisionId: String(created.RevisionId),
    });
    rec.check('AddPermission on the alias succeeds', !('Error' in onAlias), JSON.stringify(onAlias));
    rec.match('get_policy_alias', await send.getPolicy(name, alias));
    const policy = await send.getPolicy(name);
    rec.match('get_policy_after_adding_to_new_version', policy);
    const second = await send.addPermission({
      ...s3,
      StatementId: 's3_2',
      FunctionName: name,
      RevisionId: String(policy.RevisionId),
    });
    rec.check('AddPermission(s3_2, RevisionId) succeeds', !('Error' in second), JSON.stringify(second));
    rec.match('get_policy_after_adding_2', await send.getPolicy(name));
  });
});

// ---------------------------------------------------------------------------------------------
// test_lambda.snapshot.json: invoking through aliases.

const INVOKE_MODULE = { module: 'test_lambda' } as const;

/** LocalStack's TEST_LAMBDA_VERSION handler (`%s` filled in per version). */
const versionZip = (versionId: string) =>
  zipOf({
    'handler.py': [
      'def handler(event, context):',
      '    result = {',
      `        "version_id": "${versionId}",`,
      '        "invoked_arn": context.invoked_function_arn,',
      '        "version_from_ctx": context.function_version,',
      '    }',
      '    print(result)',
      '    return result',
      '',
    ].join('\n'),
  });

/** boto3's Invoke view as the recordings keep it: the payload parsed. */
async function invoke(input: InvokeCommandInput): Promise<View> {
  const view = await call(ps.lambda.send(new InvokeCommand({ Payload: Buffer.from('{}'), ...input })));
  if (view.Payload instanceof Uint8Array)
    view.Payload = JSON.parse(Buffer.from(view.Payload).toString('utf8'));
  return view;
}

/** The recordings replaced CodeSha256 by a fixed word (a key_value transformer). */
const withRecordedSha = (view: View): View =>
  'CodeSha256' in view ? { ...view, CodeSha256: 'code-sha256' } : view;

describe('parity: invoking aliases', { concurrency: true }, () => {
  parityCase('TestLambdaAliases::test_lambda_alias_moving', INVOKE_MODULE, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    rec.match(
      'create_response',
      withRecordedSha(
        await createRaw(lambda, {
          FunctionName: name,
          Handler: 'handler.handler',
          Code: { ZipFile: await versionZip('version1') },
          PackageType: 'Zip',
          Role: ROLE,
          Runtime: 'python3.12',
          Description: 'No version :(',
        }),
      ),
    );
    const first = await send.publish({ FunctionName: name, Description: 'First version description :)' });
    await waitUpdated(lambda, name, String(first.Version));
    const alias = await send.createAlias({
      FunctionName: name,
      FunctionVersion: String(first.Version),
      Name: 'alias1',
    });
    rec.match('create_alias_response', alias);
    rec.match('invocation_result_qualifier_v1', await invoke({ FunctionName: name, Qualifier: 'alias1' }));
    rec.match('invocation_result_qualifier_v1_arn', await invoke({ FunctionName: String(alias.AliasArn) }));
    const updated = await call(
      lambda.send(
        new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await versionZip('version2') }),
      ),
    );
    rec.match('update_lambda_response', withRecordedSha(updated));
    await waitUpdated(lambda, name);
    rec.match(
      'invocation_result_qualifier_v1_after_update',
      await invoke({ FunctionName: name, Qualifier: 'alias1' }),
    );
    const second = await send.publish({ FunctionName: name, Description: 'Second version description :)' });
    rec.match('second_publish_response', withRecordedSha(second));
    await waitUpdated(lambda, name, String(second.Version));
    rec.match(
      'invocation_result_qualifier_v1_after_publish',
      await invoke({ FunctionName: name, Qualifier: 'alias1' }),
    );
    rec.match(
      'update_alias_response',
      await send.updateAlias({ FunctionName: name, Name: 'alias1', FunctionVersion: String(second.Version) }),
    );
    rec.match('invocation_result_qualifier_v2', await invoke({ FunctionName: name, Qualifier: 'alias1' }));
    rec.match(
      'invocation_exc_not_existent',
      await invoke({ FunctionName: name, Qualifier: 'non-existent-alias' }),
    );
  });

  parityCase('TestLambdaAliases::test_alias_routingconfig', INVOKE_MODULE, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('fn');
    const created = await createRaw(lambda, {
      FunctionName: name,
      Handler: 'handler.handler',
      Code: { ZipFile: await versionZip('version1') },
      PackageType: 'Zip',
      Role: ROLE,
      Runtime: 'python3.12',
      Description: 'First version :)',
      Publish: true,
    });
    await waitUpdated(lambda, name);
    await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await versionZip('version2') }),
    );
    await waitUpdated(lambda, name);
    const second = await send.publish({ FunctionName: name, Description: 'Second version description :)' });
    await waitUpdated(lambda, name, String(second.Version));
    const alias = await send.createAlias({
      FunctionName: name,
      FunctionVersion: String(created.Version),
      Name: 'alias1',
      RoutingConfig: { AdditionalVersionWeights: { [String(second.Version)]: 0.5 } },
    });
    // The recording's name transformer took `<name>:alias1` as one resource, which the
    // placeholder pattern (no ':') cannot match; the ARN is checked here instead.
    rec.check(
      'AliasArn is the alias ARN',
      alias.AliasArn === `${ARN_PREFIX}${name}:alias1`,
      String(alias.AliasArn),
    );
    rec.match('create_alias_response', {
      ...alias,
      AliasArn: 'arn:<partition>:lambda:<region>:111111111111:function:<resource:1>',
    });
    // As recorded, until both versions ran (at weight 0.5, 40 tries miss one with p = 2^-39).
    const hit = new Set<string>();
    for (let i = 0; i < 40 && hit.size < 2; i++) {
      const result = await invoke({ FunctionName: name, Qualifier: 'alias1' });
      hit.add(String((result.Payload as { version_from_ctx?: string }).version_from_ctx));
    }
    rec.check('both versions of the alias ran', hit.size === 2, [...hit].join(', '));
  });
});
