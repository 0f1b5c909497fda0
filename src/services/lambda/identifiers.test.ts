/**
 * Identifier parsing against the responses recorded from real AWS.
 *
 * Each row names the recorded test and response it reproduces; the request inputs are inferred
 * from the case names and the values the messages echo. Expectations are written out here, and
 * one more test checks every row's expectation against the recording itself (test/conformance).
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { conformanceDir } from '../../../test/support/conformance.js';
import { AwsError, validationMessage } from '../../shared/errors.js';
import {
  AccessDeniedException,
  InvalidParameterValueException,
  RequestEntityTooLargeException,
  ResourceNotFoundException,
  TooManyRequestsException,
} from './errors.js';
import {
  aliasNameFailures,
  aliasNotFound,
  checkLayerVersionNumber,
  type FunctionOp,
  functionArn,
  functionNotFound,
  layerArn,
  layerVersionArn,
  type ParseFunctionOptions,
  parseFunctionLayers,
  parseFunctionRef,
  parseLayerName,
  parseLayerVersionArn,
  parseTaggableResource,
  qualifierKind,
  roleArnFailures,
  type Scope,
  statementIdFailures,
  throwIfInvalid,
} from './identifiers.js';

const S: Scope = { accountId: '111111111111', region: 'us-east-1' };
const ARN = 'arn:aws:lambda:us-east-1:111111111111:function:';
const a = (n: number): string => 'a'.repeat(n);

// AWS's patterns as recorded (deliberately not imported: the test must catch a typo in the module).
const NS = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`;
const CR = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`;
const QP = String.raw`\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`;
const URLQ = String.raw`((?!^\d+$)^[0-9a-zA-Z-_]+$)`;
const TAG = String.raw`arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`;
const LAYER = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`;

const pat = (field: string, v: string, p: string) =>
  `Value '${v}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${p}`;
const len = (field: string, v: string, n: number) =>
  `Value '${v}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${n}`;

/** What a row expects: an AWS error, a successful parse, or a parse whose lookup then misses. */
type Expected = { code: string; message: string; status?: number } | { ok: unknown } | { notFound: string };

const V = (...failures: string[]): Expected => ({
  code: 'ValidationException',
  message: validationMessage(failures),
  status: 400,
});
const IPV = (message: string): Expected => ({ code: 'InvalidParameterValueException', message, status: 400 });
const RNF = (message: string): Expected => ({ code: 'ResourceNotFoundException', message, status: 404 });
const MISMATCH = IPV('The derived qualifier from the function name does not match the specified qualifier.');

interface Row {
  name: string;
  /** [recorded test id after `test_lambda_api.py::`, recorded-content key, placeholder values]. */
  recorded?: [string, string, Record<string, string>?];
  run: () => unknown;
  expect: Expected;
}

const rows: Row[] = [];

// --- TestLambdaFunction::test_function_name_and_qualifier_validation[<case>-<op>] -------------

type RecordedOp = 'get_function' | 'delete_function' | 'invoke' | 'create_function';
const OPS: Record<RecordedOp, FunctionOp> = {
  get_function: 'get',
  delete_function: 'delete',
  invoke: 'invoke',
  create_function: 'create',
};

interface Case {
  fn: string;
  qualifier?: string;
  /** CreateFunction has no Qualifier parameter: the case folds it into the name. */
  createFn?: string;
  expect: Record<RecordedOp, Expected>;
}

const all = (e: Expected, create: Expected) => ({
  get_function: e,
  delete_function: e,
  invoke: e,
  create_function: create,
});
const patternCase = (fn: string): Case => ({
  fn,
  expect: all(V(pat('functionName', fn, NS)), V(pat('functionName', fn, CR))),
});
const qualifierTooLong: Case = {
  fn: 'my-function',
  qualifier: a(129),
  createFn: `my-function:${a(129)}`,
  expect: all(V(len('qualifier', a(129), 128)), V(len('functionName', `my-function:${a(129)}`, 140))),
};
const aliasQualifier: Case = {
  fn: 'my-function',
  qualifier: a(65),
  createFn: `my-function:${a(65)}`,
  expect: {
    get_function: { notFound: `Function not found: ${ARN}my-function:${a(65)}` },
    delete_function: IPV('Deletion of aliases is not currently supported.'),
    invoke: { notFound: `Function not found: ${ARN}my-function:${a(65)}` },
    create_function: { ok: { name: 'my-function', qualifier: a(65) } },
  },
};
const badRegionLong = `arn:aws:lambda:invalid-region:111111111111:function:my-function${a(170)}`;
const badRegionLongDash = `arn:aws:lambda:invalid-region:111111111111:function:my-function-${a(170)}`;

const CASES: Record<string, Case> = {
  function_name_is_single_invalid: patternCase('*'),
  invalid_characters_in_function_name: patternCase('my-function!'),
  invalid_characters_in_qualifier: {
    fn: 'my-function',
    qualifier: 'invalid!',
    createFn: 'my-function:invalid!',
    expect: all(V(pat('qualifier', 'invalid!', QP)), V(pat('functionName', 'my-function:invalid!', CR))),
  },
  qualifier_too_long0: qualifierTooLong,
  qualifier_too_long: qualifierTooLong,
  invalid_account_id_in_partial_arn: patternCase('invalid-account:function:my-function'),
  invalid_region_in_arn: patternCase('arn:aws:lambda:invalid-region:111111111111:function:my-function'),
  non_lambda_arn: patternCase('arn:aws:ec2:us-east-1:111111111111:instance:i-1234567890abcdef0'),
  function_name_too_long: {
    fn: a(65),
    expect: {
      get_function: { notFound: `Function not found: ${ARN}${a(65)}` },
      delete_function: { notFound: `Function not found: ${ARN}${a(65)}` },
      invoke: { notFound: `Function not found: ${ARN}${a(65)}:$LATEST` },
      create_function: IPV(validationMessage([len('functionName', a(65), 64)])),
    },
  },
  function_name_too_long_and_invalid_region: {
    fn: badRegionLong,
    expect: all(
      V(pat('functionName', badRegionLong, NS)),
      V(len('functionName', badRegionLong, 140), pat('functionName', badRegionLong, CR)),
    ),
  },
  full_arn_and_qualifier_too_long_and_invalid_region: {
    fn: badRegionLongDash,
    qualifier: a(129),
    createFn: `${badRegionLongDash}:${a(129)}`,
    expect: all(
      V(len('qualifier', a(129), 128), pat('functionName', badRegionLongDash, NS)),
      V(
        len('functionName', `${badRegionLongDash}:${a(129)}`, 140),
        pat('functionName', `${badRegionLongDash}:${a(129)}`, CR),
      ),
    ),
  },
  qualifier_too_long1: aliasQualifier,
  function_name_and_qualifier_too_long: aliasQualifier,
  full_arn_with_multiple_qualifiers: patternCase(`${ARN}my-function:1:2`),
  incomplete_arn: {
    fn: 'arn:aws:lambda:us-east-1:111111111111:function',
    expect: {
      get_function: { notFound: `Function not found: ${ARN}function` },
      delete_function: { notFound: `Function not found: ${ARN}function` },
      invoke: { notFound: `Function not found: ${ARN}function:$LATEST` },
      create_function: { ok: { name: 'function' } },
    },
  },
  partial_arn_with_extra_qualifier: patternCase('function:my-function:$LATEST:extra'),
  latest_version_with_additional_qualifier: {
    fn: `${ARN}my-function:$LATEST`,
    qualifier: '1',
    createFn: `${ARN}my-function:$LATEST:1`,
    expect: all(MISMATCH, V(pat('functionName', `${ARN}my-function:$LATEST:1`, CR))),
  },
  lowercase_latest_qualifier: {
    fn: `${ARN}my-function`,
    qualifier: '$latest',
    createFn: `${ARN}my-function:$latest`,
    expect: {
      get_function: { notFound: `Function not found: ${ARN}my-function:$latest` },
      delete_function: { notFound: `Function not found: ${ARN}my-function` },
      invoke: { notFound: `Function not found: ${ARN}my-function:$latest` },
      create_function: V(pat('functionName', `${ARN}my-function:$latest`, CR)),
    },
  },
  missing_region_in_arn: patternCase('arn:aws:lambda::111111111111:function:my-function'),
  missing_account_id_in_arn: patternCase('arn:aws:lambda:us-east-1::function:my-function'),
  misspelled_latest_in_arn: patternCase(`${ARN}my-function:$LATES`),
};

/** Parses; for `notFound` rows also builds the lookup's error, as the service would. */
function parseThenMiss(
  input: string,
  qualifier: string | undefined,
  op: FunctionOp,
  expectMiss: boolean,
  options?: ParseFunctionOptions,
) {
  const ref = parseFunctionRef(input, qualifier, S, op, options);
  if (expectMiss) throw functionNotFound(S, ref, op);
  return ref;
}

for (const [caseName, c] of Object.entries(CASES)) {
  for (const [recordedOp, op] of Object.entries(OPS) as [RecordedOp, FunctionOp][]) {
    const expect = c.expect[recordedOp];
    const input = op === 'create' ? (c.createFn ?? c.fn) : c.fn;
    const qualifier = op === 'create' ? undefined : c.qualifier;
    rows.push({
      name: `${caseName} / ${recordedOp}`,
      recorded: [
        `TestLambdaFunction::test_function_name_and_qualifier_validation[${caseName}-${recordedOp}]`,
        `${recordedOp}_exception`,
      ],
      run: () => parseThenMiss(input, qualifier, op, 'notFound' in expect),
      expect: 'notFound' in expect ? RNF(expect.notFound) : expect,
    });
  }
}

// --- Other recorded function-name cases -------------------------------------------------------

const fnArns = 'TestLambdaFunction::test_function_arns';
const longArn = `${ARN}${a(94)}`; // one over 140
rows.push(
  {
    name: 'create: full ARN',
    run: () => parseFunctionRef(`${ARN}test-function-arn-1`, undefined, S, 'create'),
    expect: { ok: { name: 'test-function-arn-1' } },
  },
  {
    name: 'create: partial ARN',
    run: () => parseFunctionRef('111111111111:function:test-partial-arn-1', undefined, S, 'create'),
    expect: { ok: { name: 'test-partial-arn-1' } },
  },
  {
    name: 'create: invalid:function:name',
    recorded: [fnArns, 'invalid_function_name_exc'],
    run: () => parseFunctionRef('invalid:function:name', undefined, S, 'create'),
    expect: V(pat('functionName', 'invalid:function:name', CR)),
  },
  {
    name: 'create: 65-char name',
    recorded: [fnArns, 'long_function_name_exc'],
    run: () => parseFunctionRef(a(65), undefined, S, 'create'),
    expect: IPV(validationMessage([len('functionName', a(65), 64)])),
  },
  {
    name: 'create: 141-char ARN',
    recorded: [fnArns, 'long_function_arn_exc', { '<function-name>': a(94) }],
    run: () => parseFunctionRef(longArn, undefined, S, 'create'),
    expect: V(len('functionName', longArn, 140)),
  },
  {
    name: 'create: ARN of another region',
    recorded: [fnArns, 'function_arn_other_region_exc'],
    run: () =>
      parseFunctionRef('arn:aws:lambda:ap-southeast-1:111111111111:function:f', undefined, S, 'create'),
    expect: RNF("Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')"),
  },
  {
    name: 'create: ARN of another account',
    recorded: [fnArns, 'function_arn_other_account_exc'],
    run: () => parseFunctionRef(`arn:aws:lambda:us-east-1:123456789012:function:f`, undefined, S, 'create'),
    expect: { code: 'AccessDeniedException', message: '', status: 403 },
  },
  {
    name: 'invoke: @ in ARN',
    recorded: ['TestLambdaFunction::test_invalid_invoke', 'invoke_function_name_pattern_exc'],
    run: () =>
      parseFunctionRef('arn:aws:lambda:us-east-1:123400000000@function:myfn', undefined, S, 'invoke'),
    expect: V(pat('functionName', 'arn:aws:lambda:us-east-1:123400000000@function:myfn', NS)),
  },
);

// Operation → [our op, FunctionName/Qualifier shapes] for ops recorded with function names.
const OTHER_OPS: Record<string, [FunctionOp, ParseFunctionOptions?]> = {
  get_function: ['get'],
  get_function_configuration: ['other'],
  get_function_url_config: ['other', { name: 'function', qualifier: 'url' }],
  get_function_code_signing_config: ['other'],
  get_function_event_invoke_config: ['other'],
  get_function_concurrency: ['other', { name: 'function' }],
  delete_function: ['delete'],
  invoke: ['invoke'],
};
for (const [recordedOp, [op, options]] of Object.entries(OTHER_OPS)) {
  rows.push({
    name: `wrong region / ${recordedOp}`,
    recorded: [
      `TestLambdaFunction::test_get_function_wrong_region[${recordedOp}]`,
      'wrong_region_exception',
      { '<wrong-region>': 'eu-central-1', '<fn-name>': 'i-exist-1' },
    ],
    run: () =>
      parseFunctionRef(
        'arn:aws:lambda:eu-central-1:111111111111:function:i-exist-1',
        undefined,
        S,
        op,
        options,
      ),
    expect: RNF("Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"),
  });
}
for (const recordedOp of ['delete_function', 'get_function', 'get_function_configuration']) {
  const [op] = OTHER_OPS[recordedOp] ?? ['other'];
  const id = `TestLambdaFunction::test_ops_with_arn_qualifier_mismatch[${recordedOp}]`;
  rows.push({
    name: `arn qualifier mismatch / ${recordedOp}`,
    recorded: [id, 'not_match_exception'],
    run: () => parseFunctionRef(`${ARN}some-function:1`, '$LATEST', S, op),
    expect: MISMATCH,
  });
  rows.push({
    name: `arn qualifier match / ${recordedOp}`,
    recorded: [id, 'match_exception'],
    run: () => parseThenMiss(`${ARN}some-function:$LATEST`, '$LATEST', op, op !== 'delete'),
    expect:
      op === 'delete'
        ? IPV('$LATEST version cannot be deleted without deleting the function.')
        : RNF(`Function not found: ${ARN}some-function:$LATEST`),
  });
}
for (const recordedOp of ['get_function', 'get_function_configuration']) {
  const [op] = OTHER_OPS[recordedOp] ?? ['other'];
  rows.push({
    name: `nonexisting version / ${recordedOp}`,
    recorded: [
      `TestLambdaFunction::test_ops_on_nonexisting_version[${recordedOp}]`,
      'version_not_found_exception',
      { '<fn-name>': 'i-exist-1' },
    ],
    run: () => parseThenMiss('i-exist-1', '1221', op, true),
    expect: RNF(`Function not found: ${ARN}i-exist-1:1221`),
  });
}
for (const recordedOp of [
  'delete_function',
  'get_function',
  'get_function_configuration',
  'get_function_code_signing_config',
  'get_function_concurrency',
]) {
  const [op, options] = OTHER_OPS[recordedOp] ?? ['other'];
  rows.push({
    name: `nonexisting function / ${recordedOp}`,
    recorded: [
      `TestLambdaFunction::test_ops_on_nonexisting_fn[${recordedOp}]`,
      'not_found_exception',
      { '<nonexisting-fn-name>': 'i-dont-exist-1' },
    ],
    run: () => parseThenMiss('i-dont-exist-1', undefined, op, true, options),
    expect: RNF(`Function not found: ${ARN}i-dont-exist-1`),
  });
}
rows.push({
  name: 'delete of a missing function with a version qualifier quotes the unqualified ARN',
  recorded: [
    'TestLambdaFunction::test_delete_on_nonexisting_version',
    'delete_function_response_non_existent_with_qualifier',
    { '<fn-name>': 'i-exist-1' },
  ],
  run: () => parseThenMiss('i-exist-1', '1233', 'delete', true),
  expect: RNF(`Function not found: ${ARN}i-exist-1`),
});

// AddPermission / RemovePermission (FunctionName + Qualifier of the namespaced shapes).
const perm = 'TestLambdaPermissions::test_permission_exceptions';
const fnSub = { '<function-name>': 'lambda_func-1' };
/** What AddPermission does with a qualifier that resolves to nothing. */
function permissionLookupMiss(qualifier: string) {
  const ref = parseFunctionRef('lambda_func-1', qualifier, S, 'other');
  throw qualifierKind(qualifier) === 'alias'
    ? aliasNotFound(S, ref.name, qualifier)
    : functionNotFound(S, ref, 'other');
}
rows.push(
  {
    name: 'statement id with a dot',
    recorded: [perm, 'add_permission_invalid_statement_id'],
    run: () => throwIfInvalid(statementIdFailures('example.com')),
    expect: V(pat('statementId', 'example.com', '([a-zA-Z0-9-_]+)')),
  },
  {
    name: 'permission: qualifier mismatch',
    recorded: [perm, 'add_permission_fn_qualifier_mismatch'],
    run: () => parseFunctionRef('lambda_func-1:alias-not-42', '42', S, 'other'),
    expect: MISMATCH,
  },
  {
    name: 'permission: invalid qualifier',
    recorded: [perm, 'add_permission_fn_qualifier_invalid'],
    run: () => parseFunctionRef('lambda_func-1', 'invalid-qualifier-with-?-char', S, 'other'),
    expect: V(pat('qualifier', 'invalid-qualifier-with-?-char', QP)),
  },
  {
    name: 'permission: missing version',
    recorded: [perm, 'add_permission_fn_version_doesnotexist', fnSub],
    run: () => permissionLookupMiss('42'),
    expect: RNF(`Function not found: ${ARN}lambda_func-1:42`),
  },
  {
    name: 'permission: $ qualifier',
    recorded: [perm, 'add_permission_fn_qualifier_valid_doesnotexist', fnSub],
    run: () => permissionLookupMiss('valid-with-$-but-doesnotexist'),
    expect: RNF(`Function not found: ${ARN}lambda_func-1:valid-with-$-but-doesnotexist`),
  },
  {
    name: 'permission: missing alias',
    recorded: [perm, 'add_permission_fn_alias_doesnotexist', fnSub],
    run: () => permissionLookupMiss('alias-doesnotexist'),
    expect: RNF(`Cannot find alias arn: ${ARN}lambda_func-1:alias-doesnotexist`),
  },
  {
    name: 'alias named like a number',
    recorded: ['TestLambdaAlias::test_alias_naming', 'create_alias_number_exception'],
    run: () => throwIfInvalid(aliasNameFailures('2024')),
    expect: V(pat('name', '2024', '(?!^[0-9]+$)([a-zA-Z0-9-_]+)')),
  },
  {
    name: 'role that is not an ARN',
    recorded: ['TestLambdaFunction::test_create_lambda_exceptions', 'invalid_role_arn_exc'],
    run: () => throwIfInvalid(roleArnFailures('r1')),
    expect: V(pat('role', 'r1', String.raw`arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)),
  },
);

// Function URL configs: FunctionName shape `function`, Qualifier an alias only.
const URL_OPTS: ParseFunctionOptions = { name: 'function', qualifier: 'url' };
for (const verb of ['create', 'get', 'delete', 'update']) {
  const id = 'TestLambdaUrl::test_url_config_exceptions';
  for (const [suffix, q] of [
    ['qualifier_version', '1'],
    ['qualifier_version_doesnotexist', '2'],
    ['qualifier_latest', '$LATEST'],
  ] as const) {
    rows.push({
      name: `url config ${verb}: ${q}`,
      recorded: [id, `${verb}_function_url_config_${suffix}`],
      run: () => parseFunctionRef('fn-url-1', q, S, 'other', URL_OPTS),
      expect: V(pat('qualifier', q, URLQ)),
    });
  }
  if (verb !== 'delete') {
    rows.push({
      name: `url config ${verb}: alias mismatch`,
      recorded: [id, `${verb}_function_url_config_qualifier_alias_doesnotmatch_arn`],
      run: () => parseFunctionRef(`${ARN}fn-url-1:alias-1`, 'alias-2', S, 'other', URL_OPTS),
      expect: MISMATCH,
    });
  }
}

// Event invoke configs: shorthand `name:qualifier` against Qualifier.
const eic = 'TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_exceptions';
for (const [key, fn, q] of [
  ['put_shorthand_qualifier_mismatch_1', 'fn-eventinvoke-1:1', '$LATEST'],
  ['put_shorthand_qualifier_mismatch_2', 'fn-eventinvoke-1:$LATEST', '1'],
  ['put_shorthand_qualifier_mismatch_3', 'fn-eventinvoke-1:1', 'eventinvokealias'],
  [
    'put_alias_shorthand_qualifierconflict',
    'fn-eventinvoke-1:eventinvokealias',
    'eventinvokealiasdoesnotexist',
  ],
  [
    'put_alias_qualifiedarn_qualifierconflict',
    `${ARN}fn-eventinvoke-1:eventinvokealias`,
    'eventinvokealiasdoesnotexist',
  ],
] as const) {
  rows.push({
    name: `event invoke config: ${key}`,
    recorded: [eic, key],
    run: () => parseFunctionRef(fn, q, S, 'other'),
    expect: MISMATCH,
  });
}

// --- Taggable resources -----------------------------------------------------------------------

const ESM_UUID = '0b6b5f0e-1a2b-4c3d-8e9f-0123456789ab';
const TAGS_ON_QUALIFIED = IPV(
  'Tags on function aliases and versions are not supported. Please specify a function ARN.',
);
rows.push(
  {
    name: 'tag: not an ARN',
    recorded: ['TestLambdaTags::test_tag_exceptions', 'tag_lambda_invalidarn'],
    run: () => parseTaggableResource('arn:aws:something', S),
    expect: V(pat('resource', 'arn:aws:something', TAG)),
  },
  {
    name: 'tag: alias ARN',
    recorded: ['TestLambdaTags::test_tag_exceptions', 'tag_lambda_qualifier_doesnotexist'],
    run: () => parseTaggableResource(`${ARN}fn-tag-1:v1`, S),
    expect: TAGS_ON_QUALIFIED,
  },
  {
    name: 'tag: version ARN',
    recorded: ['TestLambdaTags::test_tag_versions', 'tag_resource_exception'],
    run: () => parseTaggableResource(`${ARN}fn-tag-1:1`, S),
    expect: TAGS_ON_QUALIFIED,
  },
  {
    name: 'tag: $LATEST ARN',
    recorded: ['TestLambdaTags::test_tag_versions', 'tag_resource_latest_exception'],
    run: () => parseTaggableResource(`${ARN}fn-tag-1:$LATEST`, S),
    expect: TAGS_ON_QUALIFIED,
  },
);
for (const [param, resource] of [
  ['lambda_function', 'fn-1'],
  ['event_source_mapping', ESM_UUID],
  ['capacity_provider', 'cp-1'],
] as const) {
  const id = `TestLambdaTag::test_tag_exceptions[${param}]`;
  const kind = param.replaceAll('_', '-').replace('lambda-', '');
  const sub = { '<resource-name>': resource };
  const bad = `arn:aws:lambda:us-east-1:111111111111:foobar:${resource}`;
  const aliased = `arn:aws:lambda:us-east-1:111111111111:${kind}:${resource}:alias`;
  rows.push({
    name: `tag ${kind}: unknown resource type`,
    recorded: [id, 'invalid_arn_exception', sub],
    run: () => parseTaggableResource(bad, S),
    expect: V(pat('resource', bad, TAG)),
  });
  rows.push({
    name: `tag ${kind}: qualified`,
    recorded: [id, 'aliased_arn_exception', sub],
    run: () => parseTaggableResource(aliased, S),
    expect: kind === 'function' ? TAGS_ON_QUALIFIED : V(pat('resource', aliased, TAG)),
  });
}

// --- Layers -----------------------------------------------------------------------------------

const LARN = 'arn:aws:lambda:us-east-1:111111111111:layer:testlayer-1';
const layerSub = { '<resource:1>': 'testlayer-1' };
const layers = 'TestLambdaLayer::test_layer_function_exceptions';
const twoVersions = IPV(
  `Two different versions of the same layer are not allowed to be referenced in the same function. ${LARN}:1 and ${LARN}:2 are versions of the same layer.`,
);
rows.push(
  {
    name: 'layer by ARN without version',
    recorded: ['TestLambdaLayer::test_layer_exceptions', 'get_layer_version_by_arn_exc_invalidarn', layerSub],
    run: () => parseLayerVersionArn(LARN, S),
    expect: V(pat('arn', LARN, LAYER)),
  },
  {
    name: 'layer by ARN',
    run: () => parseLayerVersionArn(`${LARN}:2`, S),
    expect: { ok: { region: 'us-east-1', accountId: '111111111111', layerName: 'testlayer-1', version: 2 } },
  },
  {
    name: 'layer version -1',
    recorded: [
      'TestLambdaLayer::test_layer_exceptions',
      'get_layer_version_exc_layer_version_doesnotexist_negative',
    ],
    run: () => checkLayerVersionNumber(-1),
    expect: IPV('Layer Version Cannot be less than 1'),
  },
  {
    name: 'layer version 0',
    recorded: [
      'TestLambdaLayer::test_layer_exceptions',
      'get_layer_version_exc_layer_version_doesnotexist_zero',
    ],
    run: () => checkLayerVersionNumber(0),
    expect: IPV('Layer Version Cannot be less than 1'),
  },
  {
    name: 'delete layer version -1',
    recorded: [
      'TestLambdaLayer::test_layer_exceptions',
      'delete_layer_version_exc_layerversion_invalid_version',
    ],
    run: () => checkLayerVersionNumber(-1),
    expect: IPV('Layer Version Cannot be less than 1'),
  },
  {
    name: 'function layers: two versions',
    recorded: [layers, 'two_layer_versions_single_function_exc', layerSub],
    run: () => parseFunctionLayers([`${LARN}:1`, `${LARN}:2`], S),
    expect: twoVersions,
  },
  {
    name: 'function layers: three versions',
    recorded: [layers, 'three_layer_versions_single_function_exc', layerSub],
    run: () => parseFunctionLayers([`${LARN}:1`, `${LARN}:2`, `${LARN}:3`], S),
    expect: twoVersions,
  },
  {
    name: 'function layers: same version twice',
    recorded: [layers, 'two_identical_layer_versions_single_function_exc', layerSub],
    run: () => parseFunctionLayers([`${LARN}:1`, `${LARN}:1`], S),
    expect: IPV(
      `Two different versions of the same layer are not allowed to be referenced in the same function. ${LARN}:1 and ${LARN}:1 are versions of the same layer.`,
    ),
  },
  {
    name: 'function layers: ARN without version',
    recorded: [layers, 'add_layer_arn_without_version_exc', layerSub],
    run: () => parseFunctionLayers([LARN], S),
    expect: V(
      `Value '[${LARN}]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${LAYER}, Member must not be null]`,
    ),
  },
  {
    name: 'function layers: other region',
    recorded: [layers, 'create_function_with_layer_in_different_region'],
    run: () => parseFunctionLayers(['arn:aws:lambda:eu-west-1:111111111111:layer:testlayer-1:1'], S),
    expect: IPV(
      'Layers are not in the same region as the function. Layers are expected to be in region us-east-1.',
    ),
  },
  {
    name: 'function layers: six',
    recorded: ['TestLambdaLayer::test_layer_function_quota_exception', 'create_function_with_six_layers'],
    run: () =>
      parseFunctionLayers(
        [1, 2, 3, 4, 5, 6].map((n) => `arn:aws:lambda:us-east-1:111111111111:layer:testlayer-${n}:1`),
        S,
      ),
    expect: IPV('Cannot reference more than 5 layers.'),
  },
);

// --- Positive and boundary cases (not recorded as such) ---------------------------------------

const okRow = (name: string, run: () => unknown, value: unknown): Row => ({
  name,
  run,
  expect: { ok: value },
});
rows.push(
  okRow('plain name', () => parseFunctionRef('my-func_1', undefined, S, 'get'), { name: 'my-func_1' }),
  okRow('partial ARN', () => parseFunctionRef('111111111111:function:f', undefined, S, 'get'), { name: 'f' }),
  okRow('function:NAME', () => parseFunctionRef('function:f', undefined, S, 'get'), { name: 'f' }),
  okRow(
    'region:account:function:NAME',
    () => parseFunctionRef('us-east-1:111111111111:function:f', undefined, S, 'invoke'),
    { name: 'f' },
  ),
  okRow('full ARN', () => parseFunctionRef(`${ARN}f`, undefined, S, 'get'), { name: 'f' }),
  okRow('name:$LATEST', () => parseFunctionRef('f:$LATEST', undefined, S, 'invoke'), {
    name: 'f',
    qualifier: '$LATEST',
  }),
  okRow('ARN:1', () => parseFunctionRef(`${ARN}f:1`, undefined, S, 'invoke'), { name: 'f', qualifier: '1' }),
  okRow('ARN:alias = Qualifier', () => parseFunctionRef(`${ARN}f:live`, 'live', S, 'get'), {
    name: 'f',
    qualifier: 'live',
  }),
  okRow('Qualifier only', () => parseFunctionRef('f', 'live', S, 'get'), { name: 'f', qualifier: 'live' }),
  okRow('$LATEST.PUBLISHED', () => parseFunctionRef('f', '$LATEST.PUBLISHED', S, 'get'), {
    name: 'f',
    qualifier: '$LATEST.PUBLISHED',
  }),
  okRow('a name that looks like a region', () => parseFunctionRef('eu-west-1', undefined, S, 'get'), {
    name: 'eu-west-1',
  }),
  okRow(
    '…with a qualifier: NAME:QUALIFIER, not REGION:NAME',
    () => parseFunctionRef('my-app-1:live', undefined, S, 'invoke'),
    { name: 'my-app-1', qualifier: 'live' },
  ),
  okRow('account:NAME', () => parseFunctionRef('111111111111:f', undefined, S, 'get'), { name: 'f' }),
  okRow(
    'ARN without function:',
    () => parseFunctionRef('arn:aws:lambda:us-east-1:111111111111:f', undefined, S, 'get'),
    { name: 'f' },
  ),
  {
    name: 'REGION:ACCOUNT:function:NAME of another region',
    run: () => parseFunctionRef('eu-west-1:111111111111:function:f', undefined, S, 'get'),
    expect: RNF("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
  },
  okRow('dots pass the namespaced pattern', () => parseFunctionRef('my.fn', undefined, S, 'get'), {
    name: 'my.fn',
  }),
  okRow('delete of a version', () => parseFunctionRef('f', '3', S, 'delete'), { name: 'f', qualifier: '3' }),
  okRow('create: 64-char name', () => parseFunctionRef(a(64), undefined, S, 'create'), { name: a(64) }),
  okRow('create: 140-char ARN', () => parseFunctionRef(`${ARN}${a(64)}:${a(28)}`, undefined, S, 'create'), {
    name: a(64),
    qualifier: a(28),
  }),
  okRow('get: 256-char name', () => parseFunctionRef(a(256), undefined, S, 'get'), { name: a(256) }),
  okRow('128-char qualifier', () => parseFunctionRef('f', a(128), S, 'get'), {
    name: 'f',
    qualifier: a(128),
  }),
  okRow('alias name in date form', () => aliasNameFailures('2024-01-02'), []),
  okRow('RemovePermission statement id with a dot', () => statementIdFailures('example.com', true), []),
  okRow(
    'role ARN',
    () => roleArnFailures('arn:aws:iam::111111111111:role/service-role/lambda_basic+=,.@-_'),
    [],
  ),
  okRow('taggable function', () => parseTaggableResource(`${ARN}fn-1`, S), {
    region: 'us-east-1',
    accountId: '111111111111',
    kind: 'function',
    name: 'fn-1',
  }),
  okRow(
    'taggable ESM',
    () => parseTaggableResource(`arn:aws:lambda:us-east-1:111111111111:event-source-mapping:${ESM_UUID}`, S),
    { region: 'us-east-1', accountId: '111111111111', kind: 'event-source-mapping', uuid: ESM_UUID },
  ),
  okRow('taggable layer', () => parseTaggableResource(LARN, S).kind, 'layer'),
  okRow(
    'taggable code signing config',
    () =>
      parseTaggableResource(
        'arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-0123456789abcdef0',
        S,
      ).kind,
    'code-signing-config',
  ),
  okRow(
    'taggable capacity provider',
    () => parseTaggableResource('arn:aws:lambda:us-east-1:111111111111:capacity-provider:cp-1', S).kind,
    'capacity-provider',
  ),
  okRow('layer name', () => parseLayerName('testlayer-1', S), {
    region: 'us-east-1',
    accountId: '111111111111',
    layerName: 'testlayer-1',
  }),
  okRow('layer name as ARN', () => parseLayerName('arn:aws:lambda:us-east-1:222222222222:layer:shared', S), {
    region: 'us-east-1',
    accountId: '222222222222',
    layerName: 'shared',
  }),
  okRow('one function layer', () => parseFunctionLayers([`${LARN}:1`], S), [
    { region: 'us-east-1', accountId: '111111111111', layerName: 'testlayer-1', version: 1 },
  ]),
  {
    name: 'create: 141-char name',
    run: () => parseFunctionRef(a(141), undefined, S, 'create'),
    expect: V(len('functionName', a(141), 140)),
  },
  {
    name: 'get: 257-char name',
    run: () => parseFunctionRef(a(257), undefined, S, 'get'),
    expect: V(len('functionName', a(257), 256)),
  },
  {
    name: 'create: dotted name',
    run: () => parseFunctionRef('my.fn', undefined, S, 'create'),
    expect: V(pat('functionName', 'my.fn', CR)),
  },
  {
    name: 'unqualified shape rejects a qualifier',
    run: () => parseFunctionRef('f:1', undefined, S, 'other', { name: 'unqualified' }),
    expect: V(
      pat(
        'functionName',
        'f:1',
        String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)`,
      ),
    ),
  },
  {
    name: 'partial ARN of another account',
    run: () => parseFunctionRef('123456789012:function:f', undefined, S, 'get'),
    expect: { code: 'AccessDeniedException', message: '', status: 403 },
  },
  {
    name: 'delete of $LATEST',
    run: () => parseFunctionRef('f:$LATEST', undefined, S, 'delete'),
    expect: IPV('$LATEST version cannot be deleted without deleting the function.'),
  },
  {
    name: 'tag: function in another region',
    run: () => parseTaggableResource('arn:aws:lambda:eu-west-1:111111111111:function:f', S),
    expect: RNF("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
  },
  {
    name: 'AWS-managed layer by ARN',
    run: () => parseLayerVersionArn('arn:aws:lambda:::awslayer:AWSLambda-Python', S),
    expect: RNF('The resource you requested does not exist.'),
  },
);

// --- Running the rows -------------------------------------------------------------------------

type Outcome = { ok: unknown } | { code: string; message: string; status: number; error: AwsError };
function outcome(run: () => unknown): Outcome {
  try {
    return { ok: run() };
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    return { code: e.code, message: e.message, status: e.status, error: e };
  }
}

describe('identifiers: recorded and boundary cases', () => {
  for (const row of rows) {
    test(row.name, () => {
      const got = outcome(row.run);
      if ('ok' in row.expect) {
        deepStrictEqual(got, { ok: row.expect.ok });
        return;
      }
      ok(
        'code' in got,
        `expected ${'code' in row.expect ? row.expect.code : ''}, got ${JSON.stringify(got)}`,
      );
      deepStrictEqual(
        { code: got.code, message: got.message },
        { code: (row.expect as { code: string }).code, message: (row.expect as { message: string }).message },
      );
      const status = (row.expect as { status?: number }).status;
      if (status !== undefined) equal(got.status, status);
    });
  }
});

// --- The expectations above against the recordings, when they are available -----------------

const SNAPSHOT = path.join(conformanceDir(), 'aws-recorded', 'test_lambda_api.snapshot.json');

/** Replaces the recording's placeholders with the values this test uses. */
function fill(text: string, subs: Record<string, string> = {}): string {
  let out = text
    .replaceAll('<partition>', 'aws')
    .replaceAll('<region>', 'us-east-1')
    .replace(/<a:len\((\d+)\)>/g, (_, n: string) => a(Number(n)));
  for (const [from, to] of Object.entries(subs)) out = out.replaceAll(from, to);
  return out;
}

test('every row matches its recorded AWS response', () => {
  const snapshot = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<
    string,
    { 'recorded-content': Record<string, Record<string, unknown>> }
  >;
  let checked = 0;
  for (const row of rows) {
    if (!row.recorded) continue;
    const [id, key, subs] = row.recorded;
    const content = snapshot[`tests/aws/services/lambda_/test_lambda_api.py::${id}`]?.['recorded-content'];
    ok(content, `no recording ${id}`);
    // A call that succeeded left nothing behind: the recorded content is `{}`.
    const rec = content[key] ?? (Object.keys(content).length === 0 ? {} : undefined);
    ok(rec, `no response ${key} in ${id}`);
    const got = outcome(row.run);
    checked++;
    if (Object.keys(rec).length === 0) {
      ok('ok' in got, `${row.name}: AWS succeeded`);
      continue;
    }
    ok('code' in got, `${row.name}: AWS failed with ${JSON.stringify(rec)}`);
    // Two recorded forms: the full boto3 response, or the validation test's {Code, Message | Errors}.
    const error = (rec.Error ?? rec) as { Code: string; Message: string | null };
    const errors = rec.Errors as string[] | undefined;
    const message = errors
      ? validationMessage(errors.map((e) => fill(e, subs)))
      : error.Message === null
        ? null
        : fill(error.Message, subs);
    equal(got.code, error.Code, row.name);
    equal(message === null ? got.error.fields.Message : got.message, message, row.name);
    const status = (rec.ResponseMetadata as { HTTPStatusCode?: number } | undefined)?.HTTPStatusCode;
    if (status !== undefined) {
      equal(got.status, status, row.name);
      // Modeled members boto3 surfaced: Type, and which key carried the message.
      equal(got.error.fields.Type, rec.Type, `${row.name}: Type`);
      if ('message' in rec || 'Message' in rec)
        equal(got.error.messageKey, 'message' in rec ? 'message' : 'Message', `${row.name}: message key`);
    }
  }
  ok(checked > 150, `only ${checked} rows checked`);
});

// --- Builders and error shapes ----------------------------------------------------------------

test('ARN builders', () => {
  equal(functionArn(S, 'f'), `${ARN}f`);
  equal(functionArn(S, 'f', '$LATEST'), `${ARN}f:$LATEST`);
  equal(layerArn(S, 'l'), 'arn:aws:lambda:us-east-1:111111111111:layer:l');
  equal(layerVersionArn(S, 'l', 3), 'arn:aws:lambda:us-east-1:111111111111:layer:l:3');
});

test('qualifier kinds', () => {
  deepStrictEqual(
    ['$LATEST', '7', 'live', '1numeric', '$latest', 'a$b', '$LATEST.PUBLISHED'].map(qualifierKind),
    ['latest', 'version', 'alias', 'alias', 'other', 'other', 'other'],
  );
});

test('error body members follow the Lambda model', () => {
  const rnf = new ResourceNotFoundException('x');
  deepStrictEqual([rnf.status, rnf.messageKey, rnf.fields], [404, 'Message', { Type: 'User' }]);
  deepStrictEqual(new ResourceNotFoundException('x', { type: null }).fields, {});
  const ipv = new InvalidParameterValueException('x');
  deepStrictEqual(
    [ipv.status, ipv.messageKey, ipv.fields, ipv.name],
    [400, 'message', { Type: 'User' }, 'InvalidParameterValueException'],
  );
  const denied = new AccessDeniedException();
  deepStrictEqual([denied.status, denied.messageKey, denied.fields], [403, 'Message', { Message: null }]);
  const tooLarge = new RequestEntityTooLargeException(
    'Request must be smaller than 70167211 bytes for the CreateFunction operation',
  );
  deepStrictEqual([tooLarge.status, tooLarge.fields], [413, {}]);
  const throttled = new TooManyRequestsException(
    undefined,
    'ReservedFunctionConcurrentInvocationLimitExceeded',
    1,
  );
  deepStrictEqual(
    [throttled.status, throttled.message, throttled.fields, throttled.headers],
    [
      429,
      'Rate Exceeded.',
      { Type: 'User', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
      { 'Retry-After': '1' },
    ],
  );
  ok(rnf instanceof AwsError && rnf instanceof ResourceNotFoundException);
});
