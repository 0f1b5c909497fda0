/**
 * Parity: event invoke configs against `TestLambdaEventInvokeConfig::*` and the
 * `get_function_event_invoke_config` cases of `TestLambdaFunction` (test_lambda_api.snapshot.json).
 * The calls replay the recorded test's, in its order.
 */
import { describe } from 'node:test';
import {
  CreateAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  type DeleteFunctionEventInvokeConfigCommandInput,
  GetFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  type GetFunctionEventInvokeConfigCommandInput,
  ListFunctionEventInvokeConfigsCommand,
  type ListFunctionEventInvokeConfigsCommandInput,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
  UpdateFunctionEventInvokeConfigCommand,
  type UpdateFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import { createFixture, parityCase, parityServer, uniqueName } from './harness.js';
import { ACCOUNT_ID, call, type View } from './recorded.js';

const ps = parityServer();

/** The recordings show a timestamp as `datetime`; the SDK parses it into a Date. */
function datetimes(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? value : 'datetime';
  if (Array.isArray(value)) return value.map(datetimes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, datetimes(v)]));
  }
  return value;
}
const viewOf = (p: Promise<object>) => call(p.then((out) => datetimes(out) as Record<string, unknown>));

const put = (input: PutFunctionEventInvokeConfigCommandInput) =>
  viewOf(ps.lambda.send(new PutFunctionEventInvokeConfigCommand(input)));
const update = (input: UpdateFunctionEventInvokeConfigCommandInput) =>
  viewOf(ps.lambda.send(new UpdateFunctionEventInvokeConfigCommand(input)));
const get = (input: GetFunctionEventInvokeConfigCommandInput) =>
  viewOf(ps.lambda.send(new GetFunctionEventInvokeConfigCommand(input)));
const remove = (input: DeleteFunctionEventInvokeConfigCommandInput) =>
  viewOf(ps.lambda.send(new DeleteFunctionEventInvokeConfigCommand(input)));
const list = (input: ListFunctionEventInvokeConfigsCommandInput) =>
  viewOf(ps.lambda.send(new ListFunctionEventInvokeConfigsCommand(input)));
const deleteFunction = (name: string) =>
  ps.lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);

/** The recording sorts the listed configs by FunctionArn. */
function sorted(view: View): View {
  const configs = view.FunctionEventInvokeConfigs as Array<{ FunctionArn: string }> | undefined;
  if (!configs) return view;
  return {
    ...view,
    FunctionEventInvokeConfigs: [...configs].sort((a, b) => a.FunctionArn.localeCompare(b.FunctionArn)),
  };
}

describe('parity: event invoke configs', () => {
  parityCase('TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_lifecycle', {}, async (rec) => {
    const name = uniqueName('fn-eventinvoke');
    rec.bind('<function-name:1>', name);
    try {
      await createFixture(ps.lambda, { name });
      rec.match('put_invokeconfig_retries_0', await put({ FunctionName: name, MaximumRetryAttempts: 0 }));
      rec.match(
        'put_invokeconfig_eventage_60',
        await put({ FunctionName: name, MaximumEventAgeInSeconds: 60 }),
      );
      rec.match(
        'update_invokeconfig_eventage_nochange',
        await update({ FunctionName: name, MaximumEventAgeInSeconds: 60 }),
      );
      rec.match('update_invokeconfig_retries', await update({ FunctionName: name, MaximumRetryAttempts: 1 }));
      rec.match('get_invokeconfig', await get({ FunctionName: name }));
      rec.match('get_invokeconfig_latest', await get({ FunctionName: name, Qualifier: '$LATEST' }));
      rec.match('list_single_invokeconfig', await list({ FunctionName: name }));
      const published = await call(ps.lambda.send(new PublishVersionCommand({ FunctionName: name })));
      rec.match('publish_version_result', published);
      const version = String(published.Version);
      rec.match('get_invokeconfig_postpublish', await get({ FunctionName: name, Qualifier: version }));
      rec.match(
        'put_published_invokeconfig',
        await put({ FunctionName: name, Qualifier: version, MaximumEventAgeInSeconds: 120 }),
      );
      rec.match('get_published_invokeconfig', await get({ FunctionName: name, Qualifier: version }));

      const single = await list({ FunctionName: name, MaxItems: 1 });
      const all = await list({ FunctionName: name });
      const arns = (v: View) =>
        ((v.FunctionEventInvokeConfigs as Array<{ FunctionArn: string }> | undefined) ?? []).map(
          (c) => c.FunctionArn,
        );
      rec.check('MaxItems 1 lists one', arns(single).length === 1, JSON.stringify(single));
      rec.check('unpaged lists two', arns(all).length === 2, JSON.stringify(all));
      const rest = await list({ FunctionName: name, Marker: String(single.NextMarker), MaxItems: 1 });
      rec.check(
        'the second page holds the other config',
        arns(rest).length === 1 &&
          new Set([...arns(single), ...arns(rest)]).size === 2 &&
          [...arns(single), ...arns(rest)].every((a) => arns(all).includes(a)),
        JSON.stringify(rest),
      );
      await remove({ FunctionName: name });
      rec.match('list_paging_nolimit_postdelete', await list({ FunctionName: name }));
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase('TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_exceptions', {}, async (rec) => {
    const name = uniqueName('fn-eventinvoke');
    const name2 = uniqueName('fn-eventinvoke-2');
    rec.bind('<function-name:1>', name).bind('<resource:5>', name2);
    try {
      await createFixture(ps.lambda, { name });
      const fnArn = String(
        (await ps.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration?.FunctionArn,
      );
      await createFixture(ps.lambda, { name: name2 });
      const fnArn2 = String(
        (await ps.lambda.send(new GetFunctionCommand({ FunctionName: name2 }))).Configuration?.FunctionArn,
      );
      const versionResult = await call(ps.lambda.send(new PublishVersionCommand({ FunctionName: name })));
      rec.match('fn_version_result', versionResult);
      const version = String(versionResult.Version);
      const aliasResult = await call(
        ps.lambda.send(
          new CreateAliasCommand({ FunctionName: name, Name: 'eventinvokealias', FunctionVersion: version }),
        ),
      );
      rec.match('fn_alias_result', aliasResult);
      const alias = String(aliasResult.Name);
      const aliasArn = String(aliasResult.AliasArn);
      const fakeArn = `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:doesnotexist`;

      rec.match(
        'put_functionname_name_notfound',
        await put({ FunctionName: 'doesnotexist', MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_functionname_arn_notfound',
        await put({ FunctionName: fakeArn, MaximumRetryAttempts: 1 }),
      );
      rec.match('put_functionname_nootherargs', await put({ FunctionName: 'doesnotexist' }));
      rec.match(
        'put_destination_lambda_doesntexist',
        await put({ FunctionName: name, DestinationConfig: { OnSuccess: { Destination: fakeArn } } }),
      );
      rec.match(
        'put_destination_recursive',
        await put({ FunctionName: name, DestinationConfig: { OnSuccess: { Destination: fnArn } } }),
      );
      rec.match(
        'put_destination_other_lambda',
        await put({ FunctionName: name, DestinationConfig: { OnSuccess: { Destination: fnArn2 } } }),
      );
      rec.match(
        'put_destination_invalid_service_arn',
        await put({
          FunctionName: name,
          DestinationConfig: { OnSuccess: { Destination: fnArn.replace(':lambda:', ':iam:') } },
        }),
      );
      rec.match(
        'put_destination_success_no_destination_arn',
        await put({ FunctionName: name, DestinationConfig: { OnSuccess: {} } }),
      );
      rec.match(
        'put_destination_failure_no_destination_arn',
        await put({ FunctionName: name, DestinationConfig: { OnFailure: {} } }),
      );
      rec.match(
        'put_destination_invalid_arn_pattern',
        await put({
          FunctionName: name,
          DestinationConfig: { OnFailure: { Destination: fnArn.replace(':lambda:', ':_-/!lambda:') } },
        }),
      );
      rec.match('put_destination_latest', await put({ FunctionName: name, MaximumRetryAttempts: 1 }));
      rec.match(
        'put_destination_latest_explicit_qualifier',
        await put({ FunctionName: name, Qualifier: '$LATEST', MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_destination_version',
        await put({ FunctionName: name, Qualifier: version, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_alias_functionname_qualifier',
        await put({ FunctionName: name, Qualifier: alias, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_alias_doesnotexist',
        await put({ FunctionName: name, Qualifier: `${alias}doesnotexist`, MaximumRetryAttempts: 1 }),
      );
      rec.match('put_alias_qualifiedarn', await put({ FunctionName: aliasArn, MaximumRetryAttempts: 1 }));
      rec.match(
        'put_alias_qualifiedarn_qualifier',
        await put({ FunctionName: aliasArn, Qualifier: alias, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_alias_qualifiedarn_qualifierconflict',
        await put({ FunctionName: aliasArn, Qualifier: `${alias}doesnotexist`, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_alias_shorthand',
        await put({ FunctionName: `${name}:${alias}`, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_alias_shorthand_qualifier',
        await put({ FunctionName: `${name}:${alias}`, Qualifier: alias, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_alias_shorthand_qualifierconflict',
        await put({
          FunctionName: `${name}:${alias}`,
          Qualifier: `${alias}doesnotexist`,
          MaximumRetryAttempts: 1,
        }),
      );
      rec.match(
        'put_version_shorthand',
        await put({ FunctionName: `${name}:${version}`, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_shorthand_qualifier_match',
        await put({ FunctionName: `${name}:$LATEST`, Qualifier: '$LATEST', MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_shorthand_qualifier_mismatch_1',
        await put({ FunctionName: `${name}:${version}`, Qualifier: '$LATEST', MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_shorthand_qualifier_mismatch_2',
        await put({ FunctionName: `${name}:$LATEST`, Qualifier: version, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_shorthand_qualifier_mismatch_3',
        await put({ FunctionName: `${name}:${version}`, Qualifier: alias, MaximumRetryAttempts: 1 }),
      );
      rec.match(
        'put_maxevent_maxvalue_result',
        await put({ FunctionName: name, MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 }),
      );
      rec.match(
        'put_pre_overwrite',
        await put({ FunctionName: name, MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 }),
      );
      rec.match('put_post_overwrite', await put({ FunctionName: name, MaximumRetryAttempts: 0 }));
      rec.match(
        'second_overwrite_existing_response',
        await put({ FunctionName: name, MaximumRetryAttempts: 0 }),
      );
      const postOverwrite = await get({ FunctionName: name });
      rec.match('get_post_overwrite', postOverwrite);
      rec.check(
        'Put drops what it leaves out',
        postOverwrite.MaximumRetryAttempts === 0 && !('MaximumEventAgeInSeconds' in postOverwrite),
        JSON.stringify(postOverwrite),
      );
      rec.match(
        'pre_update_response',
        await put({ FunctionName: name, MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 }),
      );
      rec.match('update_response', await update({ FunctionName: name, MaximumRetryAttempts: 0 }));
      rec.match('update_response_existing', await update({ FunctionName: name, MaximumRetryAttempts: 0 }));
      const postUpdate = await get({ FunctionName: name });
      rec.check(
        'Update keeps what it leaves out',
        postUpdate.MaximumRetryAttempts === 0 && postUpdate.MaximumEventAgeInSeconds === 60,
        JSON.stringify(postUpdate),
      );
      rec.match('list_configs', sorted(await list({ FunctionName: name })));
      const paged = await list({ FunctionName: name, MaxItems: 2 });
      rec.check(
        'MaxItems 2 of 3 pages',
        (paged.FunctionEventInvokeConfigs as unknown[]).length === 2 && Boolean(paged.NextMarker),
        JSON.stringify(paged),
      );
      rec.match('delete_latest', await remove({ FunctionName: name, Qualifier: '$LATEST' }));
      rec.match('delete_version', await remove({ FunctionName: name, Qualifier: version }));
      rec.match('delete_alias', await remove({ FunctionName: name, Qualifier: alias }));
      rec.match('list_configs_postdelete', await list({ FunctionName: name }));
      rec.match('delete_function_not_found', await remove({ FunctionName: name }));
      rec.match('delete_function_doesnotexist', await remove({ FunctionName: 'doesnotexist' }));
      rec.match('list_function_doesnotexist', await list({ FunctionName: 'doesnotexist' }));
      rec.match('get_function_doesnotexist', await get({ FunctionName: 'doesnotexist' }));
      rec.match('get_qualifier_doesnotexist', await get({ FunctionName: name, Qualifier: 'doesnotexist' }));
      rec.match(
        'update_eventinvokeconfig_function_doesnotexist',
        await update({ FunctionName: 'doesnotexist', MaximumRetryAttempts: 0 }),
      );
      rec.match('get_eventinvokeconfig_doesnotexist', await get({ FunctionName: aliasArn }));
      rec.match(
        'update_eventinvokeconfig_config_doesnotexist_with_qualifier',
        await update({ FunctionName: aliasArn, MaximumRetryAttempts: 0 }),
      );
      rec.match(
        'update_eventinvokeconfig_config_doesnotexist_without_qualifier',
        await update({ FunctionName: fnArn, MaximumRetryAttempts: 0 }),
      );
    } finally {
      await deleteFunction(name);
      await deleteFunction(name2);
    }
  });

  parityCase(
    'TestLambdaFunction::test_ops_on_nonexisting_version[get_function_event_invoke_config]',
    {},
    async (rec) => {
      const name = uniqueName('i-exist');
      rec.bind('<fn-name>', name);
      await createFixture(ps.lambda, { name, extra: { Description: 'Initial description' } });
      rec.match('version_not_found_exception', await get({ FunctionName: name, Qualifier: '1221' }));
      await deleteFunction(name);
    },
  );

  parityCase(
    'TestLambdaFunction::test_ops_on_nonexisting_fn[get_function_event_invoke_config]',
    {},
    async (rec) => {
      const name = uniqueName('i-dont-exist');
      rec.bind('<nonexisting-fn-name>', name);
      rec.match('not_found_exception', await get({ FunctionName: name }));
    },
  );

  parityCase(
    'TestLambdaFunction::test_get_function_wrong_region[get_function_event_invoke_config]',
    {},
    async (rec) => {
      const name = uniqueName('i-exist');
      rec.bind('<fn-name>', name).bind('<wrong-region>', 'eu-central-1');
      await createFixture(ps.lambda, { name, extra: { Description: 'Initial description' } });
      rec.match(
        'wrong_region_exception',
        await get({ FunctionName: `arn:aws:lambda:eu-central-1:${ACCOUNT_ID}:function:${name}` }),
      );
      await deleteFunction(name);
    },
  );
});
