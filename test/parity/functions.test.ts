/**
 * Parity: function lifecycle (CreateFunction, GetFunction, GetFunctionConfiguration,
 * ListFunctions, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction) against
 * `TestLambdaFunction::*` (and the size-limit / runtime-validation cases) of
 * test_lambda_api.snapshot.json.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe } from 'node:test';
import {
  type Architecture,
  type CreateFunctionCommandInput,
  DeleteFunctionCommand,
  type FunctionConfiguration,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  type ListFunctionsCommandInput,
  type Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  createFixture,
  createRaw,
  parityCase,
  parityServer,
  pythonZip,
  rawInput,
  uniqueName,
  waitActive,
  waitUpdated,
} from './harness.js';
import { ACCOUNT_ID, call, outputView, REGION, type View } from './recorded.js';

const ps = parityServer();
const ARN_PREFIX = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:`;

const getFunction = (name: string, qualifier?: string) =>
  call(ps.lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier })));
const getConfiguration = (name: string, qualifier?: string) =>
  call(ps.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: qualifier })));
const deleteFunction = (name: string, qualifier?: string) =>
  call(ps.lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: qualifier })));

type ClientFn = 'get_function' | 'get_function_configuration' | 'delete_function';
const clientFns: Record<ClientFn, (name: string, qualifier?: string) => Promise<View>> = {
  get_function: getFunction,
  get_function_configuration: getConfiguration,
  delete_function: deleteFunction,
};

/** boto3's paginator `build_full_result()`: all pages' Functions, no ResponseMetadata. */
async function listAllFunctions(input: ListFunctionsCommandInput): Promise<FunctionConfiguration[]> {
  const all: FunctionConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await ps.lambda.send(new ListFunctionsCommand({ ...input, MaxItems: 1, Marker: marker }));
    all.push(...(page.Functions ?? []));
    marker = page.NextMarker;
  } while (marker);
  return all;
}

describe('parity: functions', { concurrency: true }, () => {
  parityCase('TestLambdaFunction::test_function_lifecycle', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    rec.match(
      'create_response',
      await createFixture(lambda, { name, extra: { MemorySize: 256, Timeout: 5 } }),
    );
    await waitActive(lambda, name);
    rec.match('get_function_response', await getFunction(name));
    rec.match(
      'update_func_conf_response',
      await call(
        lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            Runtime: 'python3.11',
            Description: 'Changed-Description',
            MemorySize: 512,
            Timeout: 10,
            Environment: { Variables: { ENV_A: 'a' } },
          }),
        ),
      ),
    );
    await waitUpdated(lambda, name);
    rec.match('get_function_response_postupdate', await getFunction(name));
    const zip2 = await pythonZip('handler.py', `${name}-v2`);
    rec.match(
      'update_code_response',
      await call(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }))),
    );
    await waitUpdated(lambda, name);
    rec.match('get_function_response_postcodeupdate', await getFunction(name));
    rec.match('delete_response', await deleteFunction(name));
    rec.match('delete_postdelete', await deleteFunction(name));
  });

  parityCase('TestLambdaFunction::test_redundant_updates', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    rec.match(
      'create_response',
      await createFixture(lambda, { name, extra: { Description: 'Initial description' } }),
    );
    const update = () =>
      call(
        lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            Description: '1st update description',
          }),
        ),
      );
    rec.match('first_update_result', await update());
    await waitUpdated(lambda, name);
    rec.match('get_fn_config_result', await getConfiguration(name));
    rec.match('get_fn_result', await getFunction(name));
    rec.match('redundant_update_result', await update());
    await waitUpdated(lambda, name);
    rec.match('get_fn_result_after_redundant_update', await getFunction(name));
  });

  parityCase('TestLambdaFunction::test_list_functions', {}, async (rec) => {
    const { lambda } = ps;
    const name1 = uniqueName('list-fn-1');
    const name2 = uniqueName('list-fn-2');
    rec.bind('<function-name:1>', name1).bind('<function-name:2>', name2);
    rec.match('create_response_1', await createFixture(lambda, { name: name1, extra: { Publish: true } }));
    rec.match('create_response_2', await createFixture(lambda, { name: name2 }));
    rec.match(
      'list_functions_invalid_functionversion',
      await call(lambda.send(new ListFunctionsCommand({ FunctionVersion: 'invalid' as 'ALL' }))),
    );
    const ours = (fns: FunctionConfiguration[]) =>
      fns
        .filter((f) => f.FunctionName === name1 || f.FunctionName === name2)
        // the recording sorted by FunctionArn (before normalisation)
        .sort((a, b) => ((a.FunctionArn ?? '') < (b.FunctionArn ?? '') ? -1 : 1));
    rec.match('list_all', { Functions: ours(await listAllFunctions({ FunctionVersion: 'ALL' })) });
    rec.match('list_default', { Functions: ours(await listAllFunctions({})) });
  });

  parityCase('TestLambdaFunction::test_create_lambda_exceptions', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('invalid-function');
    const base = await rawInput(name, 'python3.12');
    const create = (input: Partial<CreateFunctionCommandInput>) => createRaw(lambda, { ...base, ...input });
    rec.match('invalid_role_arn_exc', await create({ Role: 'r1' }));
    rec.match('invalid_runtime_exc', await create({ Runtime: 'non-existent-runtime' as Runtime }));
    rec.match('uppercase_runtime_exc', await create({ Runtime: 'PYTHON3.9' as Runtime }));
    rec.skip(
      'empty_architectures',
      "botocore's client-side parameter validation (SDK v3 has none to compare)",
    );
    rec.match('multiple_architectures', await create({ Architectures: ['x86_64', 'arm64'] }));
    rec.match('uppercase_architecture', await create({ Architectures: ['X86_64' as Architecture] }));
    rec.match(
      'invalid_zip_exc',
      await create({
        Code: { ZipFile: Buffer.from('this is not a zipfile, just a random string') },
        Runtime: 'python3.9',
      }),
    );
  });

  parityCase('TestLambdaFunction::test_update_lambda_exceptions', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('invalid-function');
    await createRaw(lambda, await rawInput(name, 'python3.12'));
    const update = (input: { Role?: string; Runtime?: string }) =>
      call(
        lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            ...input,
            Runtime: input.Runtime as Runtime,
          }),
        ),
      );
    rec.match('invalid_role_arn_exc', await update({ Role: 'r1' }));
    rec.match('invalid_runtime_exc', await update({ Runtime: 'non-existent-runtime' }));
    rec.match('uppercase_runtime_exc', await update({ Runtime: 'PYTHON3.9' }));
  });

  for (const fn of ['delete_function', 'get_function', 'get_function_configuration'] as const) {
    parityCase(`TestLambdaFunction::test_ops_on_nonexisting_fn[${fn}]`, {}, async (rec) => {
      const name = uniqueName('i-dont-exist');
      rec.bind('<nonexisting-fn-name>', name);
      rec.match('not_found_exception', await clientFns[fn](name));
    });

    parityCase(`TestLambdaFunction::test_ops_with_arn_qualifier_mismatch[${fn}]`, {}, async (rec) => {
      rec.match('not_match_exception', await clientFns[fn](`${ARN_PREFIX}some-function:1`, '$LATEST'));
      rec.match('match_exception', await clientFns[fn](`${ARN_PREFIX}some-function:$LATEST`, '$LATEST'));
    });

    parityCase(`TestLambdaFunction::test_get_function_wrong_region[${fn}]`, {}, async (rec) => {
      const name = uniqueName('i-exist');
      rec.bind('<fn-name>', name).bind('<wrong-region>', 'eu-central-1');
      await createFixture(ps.lambda, { name, extra: { Description: 'Initial description' } });
      rec.match(
        'wrong_region_exception',
        await clientFns[fn](`arn:aws:lambda:eu-central-1:${ACCOUNT_ID}:function:${name}`),
      );
    });
  }

  for (const fn of ['get_function', 'get_function_configuration'] as const) {
    parityCase(`TestLambdaFunction::test_ops_on_nonexisting_version[${fn}]`, {}, async (rec) => {
      const name = uniqueName('i-exist');
      rec.bind('<fn-name>', name);
      await createFixture(ps.lambda, { name, extra: { Description: 'Initial description' } });
      rec.match('version_not_found_exception', await clientFns[fn](name, '1221'));
    });
  }

  parityCase('TestLambdaFunction::test_delete_on_nonexisting_version', {}, async (rec) => {
    const name = uniqueName('i-exist');
    rec.bind('<fn-name>', name);
    await createFixture(ps.lambda, { name, extra: { Description: 'Initial description' } });
    // "delete function on a random qualifier is idempotent"
    for (const qualifier of ['1233', '1233', undefined]) {
      const view = await deleteFunction(name, qualifier);
      rec.check(
        `DeleteFunction(${qualifier ?? 'unqualified'}) succeeds as on AWS`,
        !('Error' in view),
        JSON.stringify(view),
      );
    }
    rec.match('delete_function_response_non_existent', await deleteFunction(name));
    rec.match('delete_function_response_non_existent_with_qualifier', await deleteFunction(name, '1233'));
  });

  parityCase('TestLambdaFunction::test_function_arns', {}, async (rec) => {
    const { lambda } = ps;
    const name1 = uniqueName('test-function-arn');
    const name2 = uniqueName('test-partial-arn');
    rec.bind('<function-name:1>', name1).bind('<function-name:2>', name2);
    rec.match('create-function-arn-response', await createFixture(lambda, { name: `${ARN_PREFIX}${name1}` }));
    rec.match(
      'create-function-partial-arn-response',
      await createFixture(lambda, { name: `${ACCOUNT_ID}:function:${name2}` }),
    );
    const base = await rawInput('unused', 'python3.12');
    const create = (functionName: string) => createRaw(lambda, { ...base, FunctionName: functionName });
    rec.match('invalid_function_name_exc', await create('invalid:function:name'));
    rec.match('long_function_name_exc', await create('a'.repeat(65)));
    const longName = 'a'.repeat(140 - ARN_PREFIX.length + 1);
    rec.bind('<function-name>', longName);
    rec.match('long_function_arn_exc', await create(`${ARN_PREFIX}${longName}`));
    rec.match(
      'function_arn_other_region_exc',
      await create(`arn:aws:lambda:ap-southeast-1:${ACCOUNT_ID}:function:${uniqueName('test-function-arn')}`),
    );
    rec.match(
      'function_arn_other_account_exc',
      await create(`arn:aws:lambda:${REGION}:123456789012:function:${uniqueName('test-function-arn')}`),
    );
  });

  // Timing: the recording reads GetFunction right after UpdateFunctionCode, when AWS still says
  // LastUpdateStatus InProgress. Lambent finishes the update a few ms later (after unpacking the
  // zip), so the immediate read sees InProgress as well.
  parityCase('TestLambdaFunction::test_lambda_code_location_zipfile', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('code-function');
    rec.bind('<function-name:1>', name);
    const zip1 = await pythonZip('index.py', name);
    const input = await rawInput(name, 'python3.12', { Code: { ZipFile: zip1 } });
    rec.match('create-response-zip-file', await createRaw(lambda, input));
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    rec.match('get-function-response', outputView(got as unknown as Record<string, unknown>));
    await assertCodeLocation(got.Code?.Location, got.Configuration, zip1);
    const zip2 = await pythonZip('index.py', `${name}-v2`);
    rec.match(
      'update-function-response',
      await call(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }))),
    );
    const updated = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    rec.match('get-function-response-updated', outputView(updated as unknown as Record<string, unknown>));
    await assertCodeLocation(updated.Code?.Location, updated.Configuration, zip2);
  });

  parityCase('TestLambdaFunction::test_lambda_concurrent_code_updates', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    const input = { ...(await rawInput(name, 'python3.12')), Handler: 'handler.handler' };
    rec.match('create-function-response', await createRaw(lambda, input));
    const zipA = await pythonZip('handler.py', `${name}-a`);
    const zipB = await pythonZip('handler.py', `${name}-b`);
    // Two updates in flight at once: the second arrives while the first is InProgress.
    const results = await Promise.all([
      call(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zipA }))),
      call(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zipB }))),
    ]);
    rec.match('update-during-in-progress-update-exc', results.find((r) => 'Error' in r) ?? results[1]);
  });

  parityCase('TestLambdaFunction::test_lambda_concurrent_config_updates', {}, async (rec) => {
    const { lambda } = ps;
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    rec.match('create-function-response', await createFixture(lambda, { name }));
    const update = (description: string) =>
      call(
        lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: description })),
      );
    // Two updates in flight at once: the second arrives while the first is InProgress.
    const results = await Promise.all([update('first'), update('second')]);
    rec.match('update-during-in-progress-update-exc', results.find((r) => 'Error' in r) ?? results[1]);
  });

  for (const runtime of [
    'java8',
    'go1.x',
    'provided',
    'ruby2.7',
    'nodejs14.x',
    'python3.7',
    'dotnetcore3.1',
    'nodejs12.x',
  ]) {
    parityCase(
      `TestRuntimeValidation::test_create_deprecated_function_runtime_with_validation_enabled[${runtime}]`,
      {},
      async (rec) => {
        const input = await rawInput(uniqueName('fn'), runtime);
        rec.match('deprecation_error', await createRaw(ps.lambda, input));
      },
    );
  }

  parityCase('TestLambdaSizeLimits::test_large_environment_variables_fails', {}, async (rec) => {
    const name = uniqueName('large-envvar-lambda');
    // 4 KB - 6: one byte over once serialised as {"LARGE_VAR":"..."}
    const value = 'x'.repeat(4 * 1024 - 6 - 'LARGE_VAR'.length);
    rec.match(
      'failed_create_fn_result',
      await createFixture(ps.lambda, { name, envvars: { LARGE_VAR: value } }),
    );
    const after = await getFunction(name);
    assert.equal((after.Error as { Code?: string } | undefined)?.Code, 'ResourceNotFoundException');
  });

  parityCase('TestLambdaSizeLimits::test_large_environment_fails_multiple_keys', {}, async (rec) => {
    const name = uniqueName('large-envvar-lambda');
    const env = { SMALL_VAR: 'ok', LARGE_VAR: 'x'.repeat(4064) };
    assert.equal(Buffer.byteLength(JSON.stringify(env)), 4097);
    rec.match('failured_create_fn_result_multi_key', await createFixture(ps.lambda, { name, envvars: env }));
    const after = await getFunction(name);
    assert.equal((after.Error as { Code?: string } | undefined)?.Code, 'ResourceNotFoundException');
  });

  parityCase('TestLambdaSizeLimits::test_lambda_envvars_near_limit_succeeds', {}, async (rec) => {
    const name = uniqueName('large-envvar-lambda');
    rec.bind('<function-name:1>', name);
    const value = 'x'.repeat(4 * 1024 - 7 - 'LARGE_VAR'.length);
    rec.match(
      'successful_create_fn_result',
      await createFixture(ps.lambda, { name, envvars: { LARGE_VAR: value } }),
    );
  });
});

/** The test's own checks: the code URL serves the zip; CodeSha256 and CodeSize describe it. */
async function assertCodeLocation(
  location: string | undefined,
  config: FunctionConfiguration | undefined,
  zip: Uint8Array,
) {
  assert.ok(location, 'Code.Location');
  const res = await fetch(location);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(zip));
  assert.equal(config?.CodeSha256, createHash('sha256').update(zip).digest('base64'));
  assert.equal(config?.CodeSize, zip.length);
}
