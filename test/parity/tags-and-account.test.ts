/**
 * Parity: tags (TagResource, UntagResource, ListTags, Tags on CreateFunction/GetFunction) and
 * GetAccountSettings against `TestLambdaTag::*`, `TestLambdaTags::*` and
 * `TestLambdaAccountSettings::test_account_settings` of test_lambda_api.snapshot.json.
 */
import { describe } from 'node:test';
import {
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  ListTagsCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-lambda';
import { createFixture, parityCase, parityServer, uniqueName } from './harness.js';
import { ACCOUNT_ID, call, outputView, REGION, type View } from './recorded.js';

const ps = parityServer();

const tag = (arn: string, tags: Record<string, string>) =>
  call(ps.lambda.send(new TagResourceCommand({ Resource: arn, Tags: tags })));
const untag = (arn: string, keys: string[]) =>
  call(ps.lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: keys })));
const listTags = (arn: string) => call(ps.lambda.send(new ListTagsCommand({ Resource: arn })));
const getFunction = (name: string) => call(ps.lambda.send(new GetFunctionCommand({ FunctionName: name })));

/** TestLambdaTag's `fn_arn` fixture: a function, and its ARN from GetFunction. */
async function fnArn(name: string): Promise<string> {
  await createFixture(ps.lambda, { name });
  const got = await ps.lambda.send(new GetFunctionCommand({ FunctionName: name }));
  return got.Configuration?.FunctionArn as string;
}

const hundredTags = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, k) => [`${k}_key`, `${k}_value`]));

describe('parity: tags and account settings', { concurrency: true }, () => {
  for (const testName of [
    'TestLambdaTag::test_tag_lifecycle[lambda_function]',
    'TestLambdaTag::test_tag_lifecycle',
  ]) {
    parityCase(testName, {}, async (rec) => {
      const arn = await fnArn(uniqueName('fn'));
      const step = async (name: string, response: Promise<View>) => {
        rec.match(name, await response);
        rec.match(`${name}_listtags`, await listTags(arn));
      };
      await step('tag_single_response', tag(arn, { A: 'tag-a' }));
      await step('tag_multiple_response', tag(arn, { B: 'tag-b', C: 'tag-c' }));
      await step('tag_overlap_response', tag(arn, { C: 'tag-c-newsuffix', D: 'tag-d' }));
      await step('untag_single_response', untag(arn, ['A']));
      await step('untag_multiple_response', untag(arn, ['B', 'C']));
      await step('untag_nonexisting_response', untag(arn, ['F']));
      await step('untag_existing_and_nonexisting_response', untag(arn, ['D', 'F']));
    });
  }

  parityCase('TestLambdaTags::test_tag_lifecycle', {}, async (rec) => {
    const name = uniqueName('fn-tag');
    rec.bind('<function-name:1>', name);
    await createFixture(ps.lambda, { name, extra: { Tags: { key_a: 'value_a' } } });
    const arn = (await ps.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration
      ?.FunctionArn as string;
    const snapshotTags = async (suffix: string) => {
      rec.match(`list_tags_response_${suffix}`, await listTags(arn));
      rec.match(`get_fn_response_${suffix}`, await getFunction(arn));
    };
    await snapshotTags('postfncreate');
    rec.match(
      'tag_resource_response',
      await tag(arn, { key_b: 'value_b', key_c: 'value_c', key_d: 'value_d', key_e: 'value_e' }),
    );
    await snapshotTags('postaddtags');
    rec.match('tag_resource_overwrite', await tag(arn, { key_b: 'value_b', key_c: 'value_x' }));
    await snapshotTags('overwrite');
    await untag(arn, ['key_c', 'key_d']);
    await snapshotTags('postuntag');
    await untag(arn, ['key_a', 'key_b', 'key_e']);
    await snapshotTags('postuntagall');
    await call(ps.lambda.send(new DeleteFunctionCommand({ FunctionName: name })));
    rec.match('list_tags_postdelete', await listTags(arn));
  });

  parityCase('TestLambdaTag::test_tag_exceptions[lambda_function]', {}, async (rec) => {
    // A function ARN nobody created; the same name in a malformed (non-"function") ARN.
    const name = uniqueName('fn');
    rec.bind('<resource-name>', name);
    const arn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}`;
    rec.match('not_found_exception_tag', await tag(arn, { A: 'B' }));
    rec.match('not_found_exception_untag', await untag(arn, ['A']));
    rec.match('not_found_exception_list', await listTags(arn));
    rec.match('aliased_arn_exception', await tag(`${arn}:alias`, { A: 'B' }));
    rec.match(
      'invalid_arn_exception',
      await tag(`arn:aws:lambda:${REGION}:${ACCOUNT_ID}:foobar:${name}`, { A: 'B' }),
    );
  });

  parityCase('TestLambdaTags::test_tag_limits', {}, async (rec) => {
    const name = uniqueName('fn-tag');
    rec.bind('<function-name:1>', name);
    const arn = await fnArn(name);
    rec.match('tag_lambda_too_many_tags', await tag(arn, hundredTags(51)));
    rec.match('tag_response', await tag(arn, hundredTags(50)));
    rec.match('list_tags_response', await listTags(arn));
    rec.match('get_fn_response', await getFunction(name));
    rec.match('tag_lambda_too_many_tags_additional', await tag(arn, { a_key: 'a_value' }));
    rec.match(
      'create_function_invalid_tags',
      await createFixture(ps.lambda, { name: uniqueName('fn-tag'), extra: { Tags: hundredTags(51) } }),
    );
  });

  parityCase('TestLambdaTags::test_tag_versions', {}, async (rec) => {
    const name = uniqueName('fn-tag');
    const created = await createFixture(ps.lambda, { name, extra: { Tags: { key_a: 'value_a' } } });
    const arn = (created.CreateFunctionResponse as { FunctionArn: string }).FunctionArn;
    const version = await ps.lambda.send(new PublishVersionCommand({ FunctionName: name }));
    const tags = { key_b: 'value_b', key_c: 'value_c', key_d: 'value_d', key_e: 'value_e' };
    rec.match('tag_resource_exception', await tag(version.FunctionArn as string, tags));
    rec.match('tag_resource_latest_exception', await tag(`${arn}:$LATEST`, tags));
  });

  parityCase('TestLambdaTag::test_tag_nonexisting_resource', {}, async (rec) => {
    const name = uniqueName('fn');
    rec.bind('<function-name:1>', name);
    const arn = await fnArn(name);
    rec.match('pre_delete_get_function', await getFunction(arn));
    await call(ps.lambda.send(new DeleteFunctionCommand({ FunctionName: arn })));
    rec.match('not_found_exception_tag', await tag(arn, { A: 'B' }));
    rec.match('not_found_exception_untag', await untag(arn, ['A']));
    rec.match('not_found_exception_list', await listTags(arn));
  });

  parityCase('TestLambdaTag::test_create_tag_on_fn_create', {}, async (rec) => {
    const name = uniqueName('fn');
    const customTag = uniqueName('tag');
    rec.bind('<function-name:1>', name).bind('<custom-tag>', customTag);
    await createFixture(ps.lambda, { name, extra: { Tags: { testtag: customTag } } });
    const got = await getFunction(name);
    rec.match('get_function_result', got);
    rec.match('list_tags_result', await listTags((got.Configuration as { FunctionArn: string }).FunctionArn));
  });

  parityCase('TestLambdaAccountSettings::test_account_settings', {}, async (rec) => {
    const settings = outputView(
      (await ps.lambda.send(new GetAccountSettingsCommand({}))) as unknown as Record<string, unknown>,
    );
    rec.match('acc_settings_modded', {
      ...settings,
      AccountLimit: Object.keys((settings.AccountLimit as object | undefined) ?? {}).sort(),
      AccountUsage: Object.keys((settings.AccountUsage as object | undefined) ?? {}).sort(),
    });
  });
});
