/**
 * Parity: reserved concurrency and throttling against `TestLambdaReservedConcurrency::*` and
 * the `get_function_concurrency` cases of `TestLambdaFunction` (test_lambda_api.snapshot.json),
 * and `TestLambdaConcurrency::*` of test_lambda.snapshot.json where they do not need event
 * invoke configs or SQS (provisioned ones: provisioned-concurrency.test.ts).
 *
 * Waits the recorded tests spent on AWS (15 s handlers) are scaled down. The cases run one at a
 * time and each deletes its function: reservations are account-wide, and
 * `test_function_concurrency` reserves all the account allows.
 */
import { describe } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  type InvokeCommandInput,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { zipOf } from '../support/zips.js';
import { createFixture, parityCase, parityServer, uniqueName, waitActive } from './harness.js';
import { ACCOUNT_ID, call, type View } from './recorded.js';

const ps = parityServer();

const putConcurrency = (name: string, reserved: number) =>
  call(
    ps.lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: reserved }),
    ),
  );
const getConcurrency = (name: string) =>
  call(ps.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name })));
const deleteConcurrency = (name: string) =>
  call(ps.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: name })));
const getConfiguration = (name: string, qualifier?: string) =>
  call(ps.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: qualifier })));

/** boto3 reads Invoke's payload; the recordings hold it parsed as JSON when it is JSON. */
async function invoke(input: InvokeCommandInput): Promise<View> {
  const view = await call(ps.lambda.send(new InvokeCommand(input)));
  // The SDK leaves out an empty payload; boto3 reads it as "".
  if ('StatusCode' in view && view.Payload === undefined) view.Payload = '';
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

/** test_lambda.py's snapshots replace CodeSha256 by the literal `code-sha256`. */
function literalSha(view: View): View {
  const out: View = { ...view };
  if (typeof out.CodeSha256 === 'string') out.CodeSha256 = 'code-sha256';
  return out;
}

/** test_function_concurrency_limits' transformer: the minimum in "minimum value of [N]". */
function minUnreservedPlaceholder(view: View): View {
  const text = (s: unknown) =>
    typeof s === 'string'
      ? s.replace(/(?<=minimum value of \[)\d+(?=\])/, '<min_unreserved_concurrency>')
      : s;
  const error = view.Error as { Code?: string; Message?: string } | undefined;
  return {
    ...view,
    ...(error ? { Error: { ...error, Message: text(error.Message) } } : {}),
    ...('message' in view ? { message: text(view.message) } : {}),
  };
}

const deleteFunction = (name: string) =>
  ps.lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);

/** Handler of the recorded async-queue test: sleeps `wait` seconds. */
const SLEEPY_PYTHON = [
  'import time',
  '',
  '',
  'def handler(event, context):',
  '    time.sleep(event.get("wait", 0))',
  '    return event',
  '',
].join('\n');

async function reportLines(functionName: string): Promise<number> {
  const res = await ps.server
    .logs()
    .send(
      new FilterLogEventsCommand({
        logGroupName: `/aws/lambda/${functionName}`,
        filterPattern: '"REPORT RequestId"',
      }),
    )
    .catch(() => undefined);
  return res?.events?.length ?? 0;
}

describe('parity: reserved concurrency', { concurrency: false }, () => {
  parityCase('TestLambdaReservedConcurrency::test_function_concurrency_exceptions', {}, async (rec) => {
    rec.match(
      'put_function_concurrency_with_function_name_doesnotexist',
      await putConcurrency('doesnotexist', 1),
    );
    rec.match(
      'put_function_concurrency_with_function_name_doesnotexist_and_invalid_concurrency',
      await putConcurrency('doesnotexist', 0),
    );
    const name = uniqueName('lambda_func');
    try {
      await createFixture(ps.lambda, { name, runtime: 'python3.9' });
      const fn = await getConfiguration(name, '$LATEST');
      rec.match(
        'put_function_concurrency_with_qualified_arn',
        await putConcurrency(String(fn.FunctionArn), 0),
      );
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase('TestLambdaReservedConcurrency::test_function_concurrency_limits', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    try {
      await createFixture(ps.lambda, { name, runtime: 'python3.9' });
      const settings = await ps.lambda.send(new GetAccountSettingsCommand({}));
      const limit = settings.AccountLimit?.ConcurrentExecutions ?? 0;
      rec.match(
        'put_function_concurrency_account_limit_exceeded',
        minUnreservedPlaceholder(await putConcurrency(name, limit + 1)),
      );
      rec.match(
        'put_function_concurrency_below_unreserved_min_value',
        minUnreservedPlaceholder(await putConcurrency(name, limit)),
      );
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase('TestLambdaReservedConcurrency::test_function_concurrency', {}, async (rec) => {
    const name = uniqueName('lambda_func');
    try {
      await createFixture(ps.lambda, { name, runtime: 'python3.9' });
      rec.match('put_function_concurrency_with_reserved_0', await putConcurrency(name, 0));
      rec.match('put_function_concurrency_with_reserved_1', await putConcurrency(name, 1));
      rec.match('get_function_concurrency', await getConcurrency(name));
      rec.match('delete_response', await deleteConcurrency(name));
      rec.match('get_function_concurrency_after_delete', await getConcurrency(name));
      // The recorded test then reserves everything but 101 of the unreserved pool.
      const settings = await ps.lambda.send(new GetAccountSettingsCommand({}));
      const max = (settings.AccountLimit?.UnreservedConcurrentExecutions ?? 0) - 101;
      const putMax = await putConcurrency(name, max);
      rec.check(
        'the largest reservation the rule allows succeeds',
        putMax.ReservedConcurrentExecutions === max,
        JSON.stringify(putMax),
      );
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase('TestLambdaFunction::test_ops_on_nonexisting_fn[get_function_concurrency]', {}, async (rec) => {
    const name = uniqueName('i-dont-exist');
    rec.bind('<nonexisting-fn-name>', name);
    rec.match('not_found_exception', await getConcurrency(name));
  });

  parityCase(
    'TestLambdaFunction::test_get_function_wrong_region[get_function_concurrency]',
    {},
    async (rec) => {
      const name = uniqueName('i-exist');
      rec.bind('<fn-name>', name).bind('<wrong-region>', 'eu-central-1');
      try {
        await createFixture(ps.lambda, {
          name,
          runtime: 'python3.9',
          extra: { Description: 'Initial description' },
        });
        rec.match(
          'wrong_region_exception',
          await getConcurrency(`arn:aws:lambda:eu-central-1:${ACCOUNT_ID}:function:${name}`),
        );
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_lambda_concurrency_crud',
    { module: 'test_lambda' },
    async (rec) => {
      const name = uniqueName('fn-concurrency');
      try {
        await createFixture(ps.lambda, { name });
        rec.match('get_function_concurrency_default', await getConcurrency(name));
        rec.match('put_function_concurrency', await putConcurrency(name, 0));
        rec.match('get_function_concurrency_updated', await getConcurrency(name));
        await deleteConcurrency(name);
        rec.match('get_function_concurrency_deleted', await getConcurrency(name));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_lambda_concurrency_update',
    { module: 'test_lambda' },
    async (rec) => {
      const name = uniqueName('fn-concurrency');
      rec.bind('<function-name:1>', name);
      try {
        await createFixture(ps.lambda, { name });
        rec.match('put_function_concurrency', await putConcurrency(name, 3));
        rec.match('get_function_concurrency_updated', await getConcurrency(name));
        const info = await call(ps.lambda.send(new GetFunctionCommand({ FunctionName: name })));
        rec.match('get_function_concurrency_info', {
          ...info,
          Configuration: literalSha(info.Configuration as View),
        });
        await deleteConcurrency(name);
        rec.match('get_function_concurrency_deleted', await getConcurrency(name));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase(
    'TestLambdaConcurrency::test_lambda_concurrency_block',
    { module: 'test_lambda' },
    async (rec) => {
      const name = uniqueName('fn-concurrency');
      rec.bind('<function-name:1>', name);
      try {
        await createFixture(ps.lambda, { name });
        const v1 = await call(ps.lambda.send(new PublishVersionCommand({ FunctionName: name })));
        rec.match('v1_result', literalSha(v1));
        await waitActive(ps.lambda, name, String(v1.Version));
        rec.match('reserved_concurrency_result', await putConcurrency(name, 1));
        rec.match(
          'invoke_latest_before_block',
          await invoke({
            FunctionName: name,
            Qualifier: '$LATEST',
            Payload: JSON.stringify({ hello: 'world' }),
          }),
        );
        rec.match(
          'provisioned_concurrency_result',
          await call(
            ps.lambda.send(
              new PutProvisionedConcurrencyConfigCommand({
                FunctionName: name,
                Qualifier: String(v1.Version),
                ProvisionedConcurrentExecutions: 1,
              }),
            ),
          ),
        );
        // LocalStack's `concurrency_update_done`: wait until the config left IN_PROGRESS.
        const deadline = Date.now() + 20_000;
        for (;;) {
          const c = await ps.lambda.send(
            new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: String(v1.Version) }),
          );
          if (c.Status !== 'IN_PROGRESS' || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const latest = {
          FunctionName: name,
          Qualifier: '$LATEST',
          Payload: JSON.stringify({ hello: 'world' }),
        };
        // The reservation (1) is all provisioned to version 1: nothing is left for $LATEST.
        rec.match('invoke_latest_first_exc', await invoke(latest));
        rec.match('invoke_v1_after_block', await invoke({ ...latest, Qualifier: String(v1.Version) }));
        rec.match('invoke_latest_second_exc', await invoke(latest));
      } finally {
        await deleteFunction(name);
      }
    },
  );

  parityCase('TestLambdaConcurrency::test_reserved_concurrency', { module: 'test_lambda' }, async (rec) => {
    const name = uniqueName('test_lambda');
    rec.bind('<function-name:1>', name);
    try {
      await createFixture(ps.lambda, { name, extra: { Timeout: 20 } });
      const fn = await getConfiguration(name, '$LATEST');
      rec.match('fn', literalSha(fn));
      const fnArn = String(fn.FunctionArn);
      // Reserved concurrency 0 blocks the function.
      rec.match('put_reserved', await putConcurrency(name, 0));
      rec.match(
        'exc_no_cap_requestresponse',
        await invoke({ FunctionName: fnArn, InvocationType: 'RequestResponse' }),
      );
      // The SQS queue is accepted as a destination though Lambent has no SQS yet.
      const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:${uniqueName('destination-queue')}`;
      const putConf = await call(
        ps.lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: fnArn,
            MaximumRetryAttempts: 0,
            DestinationConfig: { OnFailure: { Destination: queueArn } },
          }),
        ),
      );
      if (putConf.LastModified instanceof Date || typeof putConf.LastModified === 'object')
        putConf.LastModified = 'datetime';
      rec.match('put_event_invoke_conf', putConf);
      // The event is accepted; AWS hands it to the on-failure destination (ZeroReservedConcurrency).
      rec.match('invoke_result', await invoke({ FunctionName: fnArn, InvocationType: 'Event' }));
      rec.skip(
        'msg',
        'the ZeroReservedConcurrency record goes to SQS, which Lambent lacks (test/lambda-async.test.ts checks it through a Lambda destination)',
      );
    } finally {
      await deleteFunction(name);
    }
  });

  parityCase(
    'TestLambdaConcurrency::test_reserved_concurrency_async_queue',
    { module: 'test_lambda' },
    async (rec) => {
      const name = uniqueName('test_lambda');
      rec.bind('<function-name:1>', name);
      try {
        await createFixture(ps.lambda, {
          name,
          zip: await zipOf({ 'handler.py': SLEEPY_PYTHON }),
          extra: { Timeout: 30 },
        });
        const fn = await getConfiguration(name, '$LATEST');
        rec.match('fn', literalSha(fn));
        const fnArn = String(fn.FunctionArn);
        // Reserved concurrency 1: one invocation at a time.
        rec.match('put_fn_concurrency', await putConcurrency(name, 1));
        await invoke({ FunctionName: fnArn, InvocationType: 'RequestResponse' });
        // Two events: the first runs (1.5 s), the second is throttled and waits in the queue.
        await invoke({
          FunctionName: fnArn,
          InvocationType: 'Event',
          Payload: JSON.stringify({ wait: 1.5 }),
        });
        await invoke({ FunctionName: fnArn, InvocationType: 'Event', Payload: JSON.stringify({ wait: 1 }) });
        await new Promise((r) => setTimeout(r, 500));
        rec.match(
          'too_many_requests_exc',
          await invoke({ FunctionName: fnArn, InvocationType: 'RequestResponse' }),
        );
        await putConcurrency(name, 3);
        const sync = await invoke({ FunctionName: fnArn, InvocationType: 'RequestResponse' });
        rec.check(
          'a synchronous call runs once the reservation is raised',
          sync.StatusCode === 200,
          JSON.stringify(sync),
        );
        const deadline = Date.now() + 10_000;
        let reports = await reportLines(name);
        while (Date.now() < deadline && reports < 4) {
          await new Promise((r) => setTimeout(r, 100));
          reports = await reportLines(name);
        }
        rec.check(
          'all four invocations ran (both events included)',
          reports === 4,
          `${reports} REPORT lines`,
        );
      } finally {
        await deleteFunction(name);
      }
    },
  );
});
