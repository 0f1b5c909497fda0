/**
 * Parity: GetAccountSettings' AccountUsage.TotalCodeSize accounting against
 * `TestLambdaAccountSettings::test_account_settings_total_code_size*`. The recording holds exact
 * differences for zips of 276 (function) and 169 (layer) bytes, so these tests build zips of
 * exactly those sizes. They run one at a time on a server of their own: any other function or
 * layer created meanwhile would change the totals.
 */
import { describe } from 'node:test';
import {
  GetAccountSettingsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { NODE_HANDLER } from '../support/zips.js';
import { createFixture, parityCase, parityServer, uniqueName, waitActive, waitUpdated } from './harness.js';
import { call } from './recorded.js';
import { zipOfExactSize } from './zip-builder.js';

const ps = parityServer();

async function totalCodeSize(): Promise<number> {
  const settings = await ps.lambda.send(new GetAccountSettingsCommand({}));
  return settings.AccountUsage?.TotalCodeSize ?? Number.NaN;
}

const PYTHON_HANDLER = 'def handler(event, context):\n    return event\n';

describe('parity: account settings (code storage)', { concurrency: false }, () => {
  parityCase('TestLambdaAccountSettings::test_account_settings_total_code_size', {}, async (rec) => {
    const { lambda } = ps;
    const functionZip = zipOfExactSize('index.py', PYTHON_HANDLER, 276);
    const layerZip = zipOfExactSize('python/layer.py', 'VALUE = 1\n', 169);
    const name = uniqueName('lambda_func');

    const size0 = await totalCodeSize();
    await createFixture(lambda, { name, zip: functionZip, handler: 'index.handler' });
    const size1 = await totalCodeSize();
    rec.match('total_code_size_diff_create_function', size1 - size0);

    const updated = await call(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: functionZip, Publish: true })),
    );
    rec.check('UpdateFunctionCode(Publish) succeeds', !('Error' in updated), JSON.stringify(updated));
    const size2 = await totalCodeSize();
    rec.match('total_code_size_diff_update_function', size2 - size1);

    const layerName = uniqueName('testlayer');
    await lambda.send(
      new PublishLayerVersionCommand({ LayerName: layerName, Content: { ZipFile: layerZip } }),
    );
    const size3 = await totalCodeSize();
    rec.match('total_code_size_diff_publish_layer', size3 - size2);

    await lambda.send(
      new PublishLayerVersionCommand({ LayerName: layerName, Content: { ZipFile: layerZip } }),
    );
    const size4 = await totalCodeSize();
    rec.match('total_code_size_diff_publish_layer_version', size4 - size3);
  });

  parityCase(
    'TestLambdaAccountSettings::test_account_settings_total_code_size_config_update',
    {},
    async (rec) => {
      const { lambda } = ps;
      const name = uniqueName('lambda_func');
      const zip = zipOfExactSize('index.js', NODE_HANDLER, 368);

      const size0 = await totalCodeSize();
      await createFixture(lambda, { name, zip, handler: 'index.handler', runtime: 'nodejs20.x' });
      const size1 = await totalCodeSize();
      rec.match('is_total_code_size_diff_create_function_more_than_200', size1 - size0 > 200);

      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: name, Runtime: 'nodejs22.x' }),
      );
      await waitUpdated(lambda, name);
      const size2 = await totalCodeSize();
      rec.match('total_code_size_diff_update_function_configuration', size2 - size1);

      await lambda.send(
        new PublishVersionCommand({ FunctionName: name, Description: 'actually publish the config update' }),
      );
      await waitActive(lambda, name);
      const size3 = await totalCodeSize();
      rec.match(
        'is_total_code_size_diff_publish_version_after_config_update_more_than_200',
        size3 - size2 > 200,
      );
    },
  );
});
