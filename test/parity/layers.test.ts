/**
 * Parity: layers (PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers,
 * ListLayerVersions, DeleteLayerVersion, layers on functions) against `TestLambdaLayer::*` of
 * test_lambda_api.snapshot.json.
 */
import { describe } from 'node:test';
import {
  type Architecture,
  DeleteLayerVersionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  type LambdaClient,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  type PublishLayerVersionCommandInput,
  type Runtime,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { zipOf } from '../support/zips.js';
import { createFixture, parityCase, parityServer, uniqueName, waitUpdated } from './harness.js';
import { call, type View } from './recorded.js';

const ps = parityServer();

let dummyLayer: Promise<Buffer> | undefined;
/** LocalStack's `dummylayer` fixture: one small zip, the same bytes for every publish. */
function dummylayer(): Promise<Buffer> {
  dummyLayer ??= zipOf({ 'python/dummy_layer.py': 'VALUE = "dummy"\n' });
  return dummyLayer;
}

async function publishLayer(
  input: Omit<
    PublishLayerVersionCommandInput,
    'Content' | 'CompatibleRuntimes' | 'CompatibleArchitectures'
  > & {
    CompatibleRuntimes?: string[];
    CompatibleArchitectures?: string[];
  },
  lambda: LambdaClient = ps.lambda,
): Promise<View> {
  return call(
    lambda.send(
      new PublishLayerVersionCommand({
        ...input,
        CompatibleRuntimes: input.CompatibleRuntimes as Runtime[] | undefined,
        CompatibleArchitectures: input.CompatibleArchitectures as Architecture[] | undefined,
        Content: { ZipFile: await dummylayer() },
      }),
    ),
  );
}

const updateLayers = (name: string, layers: unknown[]) =>
  call(
    ps.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: name, Layers: layers as string[] }),
    ),
  );

describe('parity: layers', { concurrency: true }, () => {
  parityCase('TestLambdaLayer::test_layer_lifecycle', {}, async (rec) => {
    const { lambda } = ps;
    const functionName = uniqueName('fn-layer');
    const layerName = uniqueName('testlayer');
    const licenseInfo = uniqueName('licenseinfo');
    const description = uniqueName('description');
    rec
      .bind('<function-name:1>', functionName)
      .bind('<resource:3>', layerName)
      .bind('<license-info>', licenseInfo)
      .bind('<description>', description);
    await createFixture(lambda, { name: functionName });
    rec.match(
      'get_fn_result',
      await call(lambda.send(new GetFunctionCommand({ FunctionName: functionName }))),
    );
    const getConfig = () =>
      call(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })));
    rec.match('get_fn_config_result', await getConfig());
    const publish = () =>
      publishLayer({
        LayerName: layerName,
        CompatibleRuntimes: ['python3.12'],
        LicenseInfo: licenseInfo,
        Description: description,
        CompatibleArchitectures: ['x86_64'],
      });
    const first = await publish();
    rec.match('publish_result', first);
    rec.match('publish_result_2', await publish());
    rec.match('update_fn_config', await updateLayers(functionName, [first.LayerVersionArn]));
    await waitUpdated(lambda, functionName);
    rec.match('get_fn_config', await getConfig());
    rec.match(
      'get_layer_ver_result',
      await call(
        lambda.send(
          new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: first.Version as number }),
        ),
      ),
    );
    rec.match(
      'get_layer_by_arn_version',
      await call(lambda.send(new GetLayerVersionByArnCommand({ Arn: first.LayerVersionArn as string }))),
    );
    const listVersions = () => call(lambda.send(new ListLayerVersionsCommand({ LayerName: layerName })));
    rec.match('list_layer_versions_predelete', await listVersions());
    const deleteVersion = (n: number) =>
      call(lambda.send(new DeleteLayerVersionCommand({ LayerName: layerName, VersionNumber: n })));
    rec.match('delete_layer_1', await deleteVersion(1));
    rec.match('get_fn_config_postdelete', await getConfig());
    rec.match('delete_layer_2', await deleteVersion(2));
    rec.match('list_layer_versions_postdelete', await listVersions());
    rec.match('publish_result_3', await publish());
  });

  parityCase('TestLambdaLayer::test_layer_exceptions', {}, async (rec) => {
    const { lambda } = ps;
    const layerName = uniqueName('testlayer');
    const emptyName = uniqueName('testlayer-empty');
    rec.bind('<resource:1>', layerName).bind('<resource:2>', emptyName);
    const published = await publishLayer({
      LayerName: layerName,
      CompatibleRuntimes: ['python3.12'],
      CompatibleArchitectures: ['x86_64'],
    });
    rec.match('publish_result', published);
    rec.match(
      'list_layers_exc_compatibleruntime_invalid',
      await call(lambda.send(new ListLayersCommand({ CompatibleRuntime: 'runtimedoesnotexist' as Runtime }))),
    );
    rec.match(
      'list_layers_exc_compatiblearchitecture_invalid',
      await call(
        lambda.send(new ListLayersCommand({ CompatibleArchitecture: 'archdoesnotexist' as Architecture })),
      ),
    );
    rec.match(
      'list_nonexistent_layer',
      await call(lambda.send(new ListLayerVersionsCommand({ LayerName: 'layerdoesnotexist' }))),
    );
    const getVersion = (name: string, n: number) =>
      call(lambda.send(new GetLayerVersionCommand({ LayerName: name, VersionNumber: n })));
    rec.match('get_layer_version_exc_layer_doesnotexist', await getVersion('layerdoesnotexist', 1));
    rec.match('get_layer_version_exc_layer_version_doesnotexist_negative', await getVersion(layerName, -1));
    rec.match('get_layer_version_exc_layer_version_doesnotexist_zero', await getVersion(layerName, 0));
    rec.match('get_layer_version_exc_layer_version_doesnotexist_2', await getVersion(layerName, 2));
    const layerArn = published.LayerArn as string;
    rec.match(
      'get_layer_version_by_arn_exc_invalidarn',
      await call(lambda.send(new GetLayerVersionByArnCommand({ Arn: layerArn }))),
    );
    rec.match(
      'get_layer_version_by_arn_exc_nonexistentversion',
      await call(lambda.send(new GetLayerVersionByArnCommand({ Arn: `${layerArn}:2` }))),
    );
    const deleteVersion = (name: string, n: number) =>
      call(lambda.send(new DeleteLayerVersionCommand({ LayerName: name, VersionNumber: n })));
    rec.match('delete_nonexistent_response', await deleteVersion('layerdoesnotexist', 1));
    rec.match('delete_nonexistent_version_response', await deleteVersion(layerName, 2));
    rec.match('delete_layer_response', await deleteVersion(layerName, 1));
    rec.match('delete_layer_again_response', await deleteVersion(layerName, 1));
    rec.match('delete_layer_version_exc_layerversion_invalid_version', await deleteVersion(layerName, -1));
    rec.match(
      'publish_empty_result',
      await publishLayer({ LayerName: emptyName, CompatibleRuntimes: [], CompatibleArchitectures: [] }),
    );
    rec.match(
      'publish_layer_version_exc_invalid_runtime_arch',
      await publishLayer({
        LayerName: uniqueName('testlayer-2'),
        CompatibleRuntimes: ['invalidruntime'],
        CompatibleArchitectures: ['invalidarch'],
      }),
    );
    rec.match(
      'publish_layer_version_exc_partially_invalid_values',
      await publishLayer({
        LayerName: uniqueName('testlayer-2'),
        CompatibleRuntimes: ['invalidruntime', 'invalidruntime2', 'nodejs20.x'],
        CompatibleArchitectures: ['invalidarch', 'x86_64'],
      }),
    );
  });

  parityCase('TestLambdaLayer::test_layer_function_exceptions', {}, async (rec) => {
    const { lambda } = ps;
    const functionName = uniqueName('fn-layer');
    const layerName = uniqueName('testlayer');
    rec.bind('<function-name:1>', functionName).bind('<resource:1>', layerName);
    const publish = (client?: LambdaClient) =>
      publishLayer(
        { LayerName: layerName, CompatibleRuntimes: [], CompatibleArchitectures: ['x86_64'] },
        client,
      );
    const v1 = await publish();
    rec.match('publish_result', v1);
    const v2 = await publish();
    rec.match('publish_result_2', v2);
    const v3 = await publish();
    rec.match('publish_result_3', v3);
    await createFixture(lambda, { name: functionName });
    rec.match(
      'get_fn_result',
      await call(lambda.send(new GetFunctionCommand({ FunctionName: functionName }))),
    );
    rec.match(
      'two_layer_versions_single_function_exc',
      await updateLayers(functionName, [v1.LayerVersionArn, v2.LayerVersionArn]),
    );
    rec.match(
      'three_layer_versions_single_function_exc',
      await updateLayers(functionName, [v1.LayerVersionArn, v2.LayerVersionArn, v3.LayerVersionArn]),
    );
    rec.match(
      'two_identical_layer_versions_single_function_exc',
      await updateLayers(functionName, [v1.LayerVersionArn, v1.LayerVersionArn]),
    );
    const layerArn = v1.LayerArn as string;
    rec.match(
      'add_nonexistent_layer_exc',
      await updateLayers(functionName, [`${layerArn.replace(layerName, 'doesnotexist')}:1`]),
    );
    rec.match('add_nonexistent_layer_version_exc', await updateLayers(functionName, [`${layerArn}:9`]));
    rec.match('add_layer_arn_without_version_exc', await updateLayers(functionName, [layerArn]));
    const otherRegion = await publish(ps.client('eu-west-1'));
    rec.match(
      'create_function_with_layer_in_different_region',
      await createFixture(lambda, { name: functionName, layers: [otherRegion.LayerVersionArn as string] }),
    );
  });

  parityCase('TestLambdaLayer::test_layer_function_quota_exception', {}, async (rec) => {
    const layerArns: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const published = await publishLayer({
        LayerName: uniqueName(`testlayer-${n}`),
        CompatibleRuntimes: [],
        CompatibleArchitectures: ['x86_64'],
      });
      layerArns.push(published.LayerVersionArn as string);
    }
    rec.match(
      'create_function_with_six_layers',
      await createFixture(ps.lambda, { name: uniqueName('fn-layer'), layers: layerArns }),
    );
  });

  const runtimeSets: Record<string, string[]> = {
    runtimes0: [
      'nodejs24.x',
      'nodejs22.x',
      'nodejs20.x',
      'nodejs18.x',
      'nodejs16.x',
      'nodejs14.x',
      'nodejs12.x',
      'python3.14',
      'python3.13',
      'python3.12',
      'python3.11',
      'python3.10',
      'python3.9',
      'python3.8',
      'python3.7',
    ],
    runtimes1: [
      'java25',
      'java21',
      'java17',
      'java11',
      'java8.al2',
      'java8',
      'dotnet10',
      'dotnet8',
      'dotnet6',
      'dotnetcore3.1',
      'go1.x',
      'ruby3.4',
      'ruby3.3',
      'ruby3.2',
      'ruby2.7',
    ],
    runtimes2: ['provided.al2023', 'provided.al2', 'provided'],
  };
  for (const [param, runtimes] of Object.entries(runtimeSets)) {
    parityCase(`TestLambdaLayer::test_layer_compatibilities[${param}]`, {}, async (rec) => {
      const layerName = uniqueName('testlayer');
      rec.bind('<resource:1>', layerName);
      rec.match(
        'publish_result',
        await publishLayer({
          LayerName: layerName,
          CompatibleRuntimes: runtimes,
          CompatibleArchitectures: ['arm64', 'x86_64'],
        }),
      );
    });
  }
});
