/**
 * Parity: FunctionName / Qualifier validation of GetFunction, DeleteFunction and CreateFunction
 * against `TestLambdaFunction::test_function_name_and_qualifier_validation[*]`. That test records
 * `{Code, Count, Errors}` (the "N validation error(s) detected: a; b" message split) or
 * `{Code, Message}`, and writes runs of N letters `a` as `<a:len(N)>`.
 *
 * The inputs are inferred from the recorded messages (the test's source is not at hand). For
 * CreateFunction, which has no Qualifier, the qualifier is appended to the name (`name:qualifier`),
 * as the recorded create messages show. Not replayed: the `invoke` variants (Invoke is not
 * implemented yet) and create variants without a recorded response.
 */
import { describe } from 'node:test';
import { CreateFunctionCommand, DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { parityCase, parityServer, rawInput } from './harness.js';
import { ACCOUNT_ID, call, REGION, recordedCase, validationSummary } from './recorded.js';

const ps = parityServer();

const A = (n: number) => 'a'.repeat(n);
const ARN = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function`;

/** Each parameter set: FunctionName and Qualifier as the recorded messages quote them. */
const CASES: Record<string, { name: string; qualifier?: string }> = {
  function_name_is_single_invalid: { name: '*' },
  invalid_characters_in_function_name: { name: 'my-function!' },
  invalid_characters_in_qualifier: { name: 'my-function', qualifier: 'invalid!' },
  qualifier_too_long0: { name: 'my-function', qualifier: A(129) },
  invalid_account_id_in_partial_arn: { name: 'invalid-account:function:my-function' },
  invalid_region_in_arn: { name: `arn:aws:lambda:invalid-region:${ACCOUNT_ID}:function:my-function` },
  non_lambda_arn: { name: `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:instance:i-1234567890abcdef0` },
  function_name_too_long: { name: A(65) },
  function_name_too_long_and_invalid_region: {
    name: `arn:aws:lambda:invalid-region:${ACCOUNT_ID}:function:my-function${A(170)}`,
  },
  full_arn_and_qualifier_too_long_and_invalid_region: {
    name: `arn:aws:lambda:invalid-region:${ACCOUNT_ID}:function:my-function-${A(170)}`,
    qualifier: A(129),
  },
  qualifier_too_long1: { name: 'my-function', qualifier: A(65) },
  full_arn_with_multiple_qualifiers: { name: `${ARN}:my-function:1:2` },
  incomplete_arn: { name: ARN },
  partial_arn_with_extra_qualifier: { name: 'function:my-function:$LATEST:extra' },
  latest_version_with_additional_qualifier: { name: `${ARN}:my-function:$LATEST`, qualifier: '1' },
  lowercase_latest_qualifier: { name: `${ARN}:my-function`, qualifier: '$latest' },
  missing_region_in_arn: { name: `arn:aws:lambda::${ACCOUNT_ID}:function:my-function` },
  missing_account_id_in_arn: { name: `arn:aws:lambda:${REGION}::function:my-function` },
  misspelled_latest_in_arn: { name: `${ARN}:my-function:$LATES` },
  qualifier_too_long: { name: 'my-function', qualifier: A(129) },
  function_name_and_qualifier_too_long: { name: 'my-function', qualifier: A(65) },
};

const TEST = 'TestLambdaFunction::test_function_name_and_qualifier_validation';

/** Known differences, by parameter set and operation. */
const TODO: Record<string, string> = {};

describe('parity: function name and qualifier validation', { concurrency: false }, () => {
  for (const [param, { name, qualifier }] of Object.entries(CASES)) {
    parityCase(`${TEST}[${param}-get_function]`, { todo: TODO[`${param}-get_function`] }, async (rec) => {
      const view = await call(
        ps.lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier })),
      );
      rec.match('get_function_exception', validationSummary(view));
    });

    parityCase(
      `${TEST}[${param}-delete_function]`,
      { todo: TODO[`${param}-delete_function`] },
      async (rec) => {
        const view = await call(
          ps.lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: qualifier })),
        );
        rec.match('delete_function_exception', validationSummary(view));
      },
    );

    const createCase = `${TEST}[${param}-create_function]`;
    if (Object.keys(recordedCase(createCase)).length === 0) continue;
    parityCase(createCase, { todo: TODO[`${param}-create_function`] }, async (rec) => {
      const functionName = qualifier === undefined ? name : `${name}:${qualifier}`;
      const input = await rawInput(functionName, 'python3.12');
      const view = await call(ps.lambda.send(new CreateFunctionCommand(input)));
      rec.match('create_function_exception', validationSummary(view));
    });
  }
});
