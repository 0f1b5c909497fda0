/**
 * Parity: provisioned concurrency against `TestLambdaProvisionedConcurrency::*`
 * (test_lambda_api.snapshot.json) and the provisioned cases of `TestLambdaConcurrency::*`
 * (test_lambda.snapshot.json), with real environments: what the function sees as its
 * initialization type, which environment serves which call, INIT failure.
 *
 * AWS takes minutes to provision; Lambent takes milliseconds, so a status read right after a
 * Put may already be READY. Those "prewait" reads are matched when they are still
 * IN_PROGRESS and otherwise checked to be a complete READY (and reported as skipped).
 */
import { describe } from 'node:test';
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  type InvokeCommandInput,
  ListProvisionedConcurrencyConfigsCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { zipOf } from '../support/zips.js';
import { createFixture, parityCase, parityServer, uniqueName, waitActive, waitUpdated } from './harness.js';
import { call, type Recording, type View } from './recorded.js';

const ps = parityServer();

/** LocalStack's TEST_LAMBDA_INVOCATION_TYPE: returns the init type, sleeps `wait` seconds. */
const INVOCATION_TYPE_PYTHON = [
  'import os',
  'import time',
  '',
  '',
  'def handler(event, context):',
  '    if event.get("wait"):',
  '        time.sleep(event["wait"])',
  '    return os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]',
  '',
].join('\n');

/** A handler whose INIT fails (an exception at import). */
const INIT_FAILURE_PYTHON = [
  'raise Exception("init failure")',
  '',
  'def handler(event, context):',
  '    return 1',
  '',
].join('\n');

const put = (name: string, qualifier: string, n: number) =>
  call(
    ps.lambda.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: name,
        Qualifier: qualifier,
        ProvisionedConcurrentExecutions: n,
      }),
    ),
  );
const get = (name: string, qualifier: string) =>
  call(
    ps.lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier })),
  );
const del = (name: string, qualifier: string) =>
  call(
    ps.lambda.send(
      new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }),
    ),
  );
const list = (name: string) =>
  call(ps.lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name })));
const publish = (name: string) => call(ps.lambda.send(new PublishVersionCommand({ FunctionName: name })));
const deleteFunction = (name: string) =>
  ps.lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);

async function invoke(input: InvokeCommandInput): Promise<View> {
  const view = await call(ps.lambda.send(new InvokeCommand(input)));
  if (view.Payload instanceof Uint8Array) {
    const text = Buffer.from(view.Payload).toString('utf8');
    try {
      view.Payload = text === '' ? '' : JSON.parse(text);
    } catch {
      view.Payload = text;
    }
  }
  return view;
}

/** LocalStack's `concurrency_update_done`: the status left IN_PROGRESS. */
async function waitSettled(name: string, qualifier: string, limitMs = 20_000): Promise<View> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const view = await get(name, qualifier);
    if (view.Status !== 'IN_PROGRESS' || Date.now() > deadline) return view;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A status read right after the Put: IN_PROGRESS on AWS, possibly READY already here. */
function matchPrewait(rec: Recording, name: string, view: View): void {
  if (view.Status === 'IN_PROGRESS') {
    rec.match(name, view);
    return;
  }
  const requested = view.RequestedProvisionedConcurrentExecutions;
  rec.check(
    `${name}: READY already, fully allocated`,
    view.Status === 'READY' && view.AllocatedProvisionedConcurrentExecutions === requested,
    JSON.stringify(view),
  );
  rec.skip(name, 'Lambent finished provisioning before the read');
}

/** The `[N]` of the limits messages, as the recordings' transformers replace them. */
function limitPlaceholders(view: View): View {
  const text = (s: unknown) =>
    typeof s === 'string'
      ? s
          .replace(/(?<=unreserved concurrency \[)\d+(?=\])/, '<unreserved_concurrency>')
          .replace(/(?<=minimum value of \[)\d+(?=\])/, '<min_unreserved_concurrency>')
      : s;
  const error = view.Error as { Code?: string; Message?: string } | undefined;
  return {
    ...view,
    ...(error ? { Error: { ...error, Message: text(error.Message) } } : {}),
    ...('message' in view ? { message: text(view.message) } : {}),
  };
}

/** test_lambda.py's snapshots replace CodeSha256 by the literal `code-sha256`. */
function literalSha(view: View): View {
  return typeof view.CodeSha256 === 'string' ? { ...view, CodeSha256: 'code-sha256' } : view;
}

async function invocationTypeFunction(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await createFixture(ps.lambda, { name, zip: await zipOf({ 'handler.py': INVOCATION_TYPE_PYTHON }), extra });
}

describe('parity: provisioned concurrency', { concurrency: false }, () => {
  parityCase('TestLambdaProvisionedConcurrency::test_provisioned_concurrency_exceptions', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    rec.bind('<function-name:1>', name);
    try {
      await createFixture(ps.lambda, { name });
      const v = await publish(name);
      rec.match('publish_version_result', v);
      const version = String(v.Version);
      rec.match('get_provisioned_config_doesnotexist', await get(name, version));
      rec.match('get_provisioned_functionname_doesnotexist', await get('doesnotexist', 'noalias'));
      rec.match('get_provisioned_qualifier_doesnotexist', await get(name, 'noalias'));
      rec.match('get_provisioned_version_doesnotexist', await get(name, '10'));
      rec.match('get_provisioned_latest', await get(name, '$LATEST'));
      rec.match('list_provisioned_noconfigs', await list(name));
      rec.match('list_provisioned_functionname_doesnotexist', await list('doesnotexist'));
      rec.match('delete_provisioned_functionname_doesnotexist', await del('doesnotexist', version));
      rec.match('delete_provisioned_qualifier_doesnotexist', await del(name, 'noalias'));
      rec.match('delete_provisioned_version_doesnotexist', await del(name, '10'));
      rec.match('delete_provisioned_latest', await del(name, '$LATEST'));
      rec.match('delete_provisioned_config_doesnotexist', await del(name, version));
      rec.match('put_provisioned_invalid_param_0', await put(name, version, 0));
      rec.match('put_provisioned_functionname_doesnotexist_alias', await put('doesnotexist', 'noalias', 1));
      rec.match('put_provisioned_functionname_doesnotexist_version', await put('doesnotexist', '1', 1));
      rec.match('put_provisioned_qualifier_doesnotexist', await put(name, 'doesnotexist', 1));
      rec.match('put_provisioned_version_doesnotexist', await put(name, '10', 1));
      rec.match('put_provisioned_latest', await put(name, '$LATEST', 1));
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase('TestLambdaProvisionedConcurrency::test_lambda_provisioned_lifecycle', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    const alias = uniqueName('alias');
    rec.bind('<function-name:1>', name).bind('<alias-name>', alias);
    try {
      await createFixture(ps.lambda, { name });
      const v = await publish(name);
      rec.match('publish_version_result', v);
      const version = String(v.Version);
      await waitActive(ps.lambda, name, version);
      await waitUpdated(ps.lambda, name, version);
      rec.match(
        'create_alias_result',
        await call(
          ps.lambda.send(
            new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version }),
          ),
        ),
      );
      rec.match('put_provisioned_on_version', await put(name, version, 1));
      rec.match('put_provisioned_on_alias_versionconflict', await put(name, alias, 1));
      rec.match('delete_provisioned_version', await del(name, version));
      rec.match('get_provisioned_version_postdelete', await get(name, version));
      rec.match('put_provisioned_on_alias', await put(name, alias, 1));
      rec.match('put_provisioned_on_version_conflict', await put(name, version, 1));
      rec.match(
        'delete_alias_result',
        await call(ps.lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: alias }))),
      );
      rec.match('get_provisioned_alias_postaliasdelete', await get(name, alias));
      rec.match('list_response_postdeletes', await list(name));
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase('TestLambdaProvisionedConcurrency::test_provisioned_concurrency_limits', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    try {
      await createFixture(ps.lambda, { name });
      const version = String((await publish(name)).Version);
      const settings = await ps.lambda.send(new GetAccountSettingsCommand({}));
      const limit = settings.AccountLimit?.ConcurrentExecutions ?? 0;
      rec.match(
        'put_provisioned_concurrency_account_limit_exceeded',
        limitPlaceholders(await put(name, version, limit + 1)),
      );
      rec.match(
        'put_provisioned_concurrency_below_unreserved_min_value',
        limitPlaceholders(await put(name, version, limit)),
      );
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase(
    'TestLambdaConcurrency::test_provisioned_concurrency',
    { module: 'test_lambda', timeout: 60_000 },
    async (rec) => {
      const name = uniqueName('test_lambda');
      try {
        await invocationTypeFunction(name);
        const version = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, version);
        rec.match('put_provisioned_5', await put(name, version, 5));
        matchPrewait(rec, 'get_provisioned_prewait', await get(name, version));
        await waitSettled(name, version);
        rec.match('get_provisioned_postwait', await get(name, version));
        const v1 = await invoke({ FunctionName: name, Qualifier: version });
        rec.check(
          'a provisioned environment serves the version',
          v1.Payload === 'provisioned-concurrency',
          JSON.stringify(v1),
        );
        const latest = await invoke({ FunctionName: name, Qualifier: '$LATEST' });
        rec.check('$LATEST runs on demand', latest.Payload === 'on-demand', JSON.stringify(latest));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_provisioned_concurrency_on_alias',
    { module: 'test_lambda', timeout: 60_000 },
    async (rec) => {
      const name = uniqueName('test_lambda');
      const alias = uniqueName('alias');
      try {
        await invocationTypeFunction(name);
        const version = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, version);
        await ps.lambda.send(
          new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version }),
        );
        rec.match('put_provisioned_5', await put(name, alias, 5));
        matchPrewait(rec, 'get_provisioned_prewait', await get(name, alias));
        await waitSettled(name, alias);
        rec.match('get_provisioned_postwait', await get(name, alias));
        const viaAlias = await invoke({ FunctionName: name, Qualifier: alias });
        rec.check(
          'the alias runs provisioned',
          viaAlias.Payload === 'provisioned-concurrency',
          JSON.stringify(viaAlias),
        );
        // As recorded in test_lambda_provisioned_concurrency_moves_with_alias: the version too.
        const viaVersion = await invoke({ FunctionName: name, Qualifier: version });
        rec.check(
          'so does its version',
          viaVersion.Payload === 'provisioned-concurrency',
          JSON.stringify(viaVersion),
        );
        const latest = await invoke({ FunctionName: name });
        rec.check('$LATEST runs on demand', latest.Payload === 'on-demand', JSON.stringify(latest));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_lambda_provisioned_concurrency_scheduling',
    { module: 'test_lambda', timeout: 60_000 },
    async (rec) => {
      const name = uniqueName('fn-concurrency');
      try {
        await invocationTypeFunction(name, { Timeout: 10 });
        const version = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, version);
        await put(name, version, 1);
        await waitSettled(name, version);
        rec.match('get_provisioned_postwait', await get(name, version));
        const first = await invoke({ FunctionName: name, Qualifier: version });
        rec.check(
          'the provisioned environment serves',
          first.Payload === 'provisioned-concurrency',
          JSON.stringify(first),
        );
        // One long call holds the provisioned environment; a second one spills over on demand.
        const long = invoke({ FunctionName: name, Qualifier: version, Payload: JSON.stringify({ wait: 4 }) });
        await new Promise((r) => setTimeout(r, 700));
        const second = await invoke({ FunctionName: name, Qualifier: version });
        rec.check('a call beyond it runs on demand', second.Payload === 'on-demand', JSON.stringify(second));
        const held = await long;
        rec.check(
          'the long call ran provisioned',
          held.Payload === 'provisioned-concurrency',
          JSON.stringify(held),
        );
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_reserved_provisioned_overlap',
    { module: 'test_lambda', timeout: 60_000 },
    async (rec) => {
      const name = uniqueName('test_lambda');
      rec.bind('<function-name:1>', name);
      try {
        await invocationTypeFunction(name);
        const version = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, version);
        rec.match('put_provisioned_5', await put(name, version, 2));
        matchPrewait(rec, 'get_provisioned_prewait', await get(name, version));
        await waitSettled(name, version);
        rec.match('get_provisioned_postwait', await get(name, version));
        const reserve = (n: number) =>
          call(
            ps.lambda.send(
              new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: n }),
            ),
          );
        rec.match('reserved_lower_than_provisioned_exc', await reserve(1));
        await reserve(2);
        rec.match(
          'get_concurrency',
          await call(ps.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))),
        );
        rec.match('reserved_equals_provisioned_latest_invoke_exc', await invoke({ FunctionName: name }));
        const v1 = await invoke({ FunctionName: name, Qualifier: version });
        rec.check(
          'the version still runs (provisioned)',
          v1.Payload === 'provisioned-concurrency',
          JSON.stringify(v1),
        );
        rec.match(
          'update_func_config',
          literalSha(
            await call(
              ps.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 15 })),
            ),
          ),
        );
        await waitUpdated(ps.lambda, name);
        const v2 = String((await publish(name)).Version);
        rec.match('reserved_equals_provisioned_another_provisioned_exc', await put(name, v2, 1));
        rec.match('reserved_equals_provisioned_increase_provisioned_exc', await put(name, version, 3));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_provisioned_concurrency_init_failure',
    { module: 'test_lambda', timeout: 60_000 },
    async (rec) => {
      const name = uniqueName('test_lambda');
      try {
        await createFixture(ps.lambda, { name, zip: await zipOf({ 'handler.py': INIT_FAILURE_PYTHON }) });
        const version = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, version);
        rec.match('put_provisioned', await put(name, version, 1));
        matchPrewait(rec, 'get_provisioned_prewait', await get(name, version));
        await waitSettled(name, version);
        rec.match('get_provisioned_postwait', await get(name, version));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_lambda_provisioned_concurrency_moves_with_alias',
    { module: 'test_lambda', timeout: 60_000 },
    async (rec) => {
      const name = uniqueName('test_lambda');
      const alias = uniqueName('test_alias');
      rec.bind('<alias-name>', alias);
      for (const response of [
        'create-result',
        'get-function-configuration',
        'publish_version_1',
        'get_function_configuration_version_1',
        'create_alias',
        'get_function_before_provisioned',
        'get_function_after_provisioned',
        'get_function_after_update',
        'publish_version_2',
        'update_alias',
      ])
        rec.skip(
          response,
          'recorded in 2023 with python3.8 and older shapes; the calls are replayed, not compared',
        );
      try {
        await invocationTypeFunction(name, { Timeout: 2 });
        const v1 = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, v1);
        const initType = async (qualifier: string) =>
          (await invoke({ FunctionName: name, Qualifier: qualifier })).Payload;
        rec.check('no config yet: on demand', (await initType(v1)) === 'on-demand');
        await ps.lambda.send(
          new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: v1 }),
        );
        await put(name, alias, 1);
        await waitSettled(name, alias);
        rec.check('the version runs provisioned', (await initType(v1)) === 'provisioned-concurrency');
        rec.check('the alias runs provisioned', (await initType(alias)) === 'provisioned-concurrency');
        await ps.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 10 }));
        await waitUpdated(ps.lambda, name);
        const v2 = String((await publish(name)).Version);
        await waitActive(ps.lambda, name, v2);
        await ps.lambda.send(
          new UpdateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: v2 }),
        );
        rec.match('get_provisioned_config_after_alias_move', await get(name, alias));
        const settled = await waitSettled(name, alias);
        rec.check('re-provisioned on the new version', settled.Status === 'READY', JSON.stringify(settled));
        rec.check('the old version runs on demand again', (await initType(v1)) === 'on-demand');
        rec.check('the new version runs provisioned', (await initType(v2)) === 'provisioned-concurrency');
        rec.check('the alias runs provisioned', (await initType(alias)) === 'provisioned-concurrency');
        rec.match('provisioned_concurrency_notfound', await get(name, v2));
      } finally {
        await deleteFunction(name);
      }
    },
  );
});
