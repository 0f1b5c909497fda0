/**
 * Layers: PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers,
 * ListLayerVersions, DeleteLayerVersion. Version numbers are never reused, as on AWS.
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import { acceptCode, type CodeInput } from '../code-intake.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import { InvalidParameterValueException, ResourceNotFoundException } from '../errors.js';
import { layerArn, layerVersionArn, parseLayerVersionArn } from '../identifiers.js';
import { type LayerVersionConfig, lambdaTimestamp, publicFields } from '../model.js';
import { CODE_REQUEST_LIMIT } from '../request-limits.js';
import * as S from '../shapes.js';
import type { Scope, StoredLayerVersion } from '../store.js';
import { decodeMarker, encodeMarker } from './pagination.js';

const layerNameLabel = {
  type: 'string',
  required: true,
  location: 'uri',
  min: 1,
  max: 140,
  pattern: '(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+',
} as const;
const versionLabel = { type: 'integer', required: true, location: 'uri' } as const;

export function layerOperations(deps: LambdaDeps): Operation[] {
  const { store } = deps;

  /** LayerName may be a name or a layer ARN. */
  const nameOf = (value: unknown): string => {
    const s = String(value);
    return s.startsWith('arn:') ? (s.split(':')[6] ?? s) : s;
  };

  function view(ctx: RequestContext, scope: Scope, v: StoredLayerVersion, withContent: boolean) {
    const { Content, ...rest } = publicFields(v.config) as Record<string, unknown> & {
      Content: LayerVersionConfig['Content'];
    };
    return {
      ...(withContent ? { Content: { ...Content, Location: deps.codeLocation(ctx, v.codeKey) } } : {}),
      ...(withContent ? { LayerArn: layerArn(scope, v.name) } : {}),
      LayerVersionArn: layerVersionArn(scope, v.name, v.version),
      Version: v.version,
      ...rest,
    };
  }

  function getVersion(ctx: RequestContext, name: string, version: number) {
    if (version < 1) throw new InvalidParameterValueException('Layer Version Cannot be less than 1');
    const scope = scopeOf(ctx);
    const v = store.getLayerVersion(scope, name, version);
    if (!v) throw new ResourceNotFoundException('The resource you requested does not exist.');
    return view(ctx, scope, v, true);
  }

  const publishLayerVersion: Operation = {
    name: 'PublishLayerVersion',
    http: { method: 'POST', path: '/2018-10-31/layers/{LayerName}/versions', status: 201 },
    maxRequestBytes: CODE_REQUEST_LIMIT,
    input: structure({
      LayerName: layerNameLabel,
      Description: { type: 'string', min: 0, max: 256 },
      Content: {
        type: 'structure',
        required: true,
        members: S.codeSourceMembers,
      },
      LicenseInfo: { type: 'string', max: 512 },
      ...S.layerCompatibility,
    }),
    async handler(input, ctx) {
      const scope = scopeOf(ctx);
      const name = nameOf(input.LayerName);
      const code = await acceptCode(deps, input.Content as CodeInput, ctx);
      const stored = store.publishLayerVersion(
        scope,
        name,
        () => ({
          Content: { CodeSha256: code.codeSha256, CodeSize: code.codeSize },
          CreatedDate: lambdaTimestamp(),
          Description: (input.Description as string | undefined) ?? '',
          ...(input.LicenseInfo !== undefined ? { LicenseInfo: input.LicenseInfo as string } : {}),
          CompatibleRuntimes: (input.CompatibleRuntimes as string[] | undefined) ?? [],
          CompatibleArchitectures: (input.CompatibleArchitectures as string[] | undefined) ?? [],
          _unzippedSize: code.unzippedSize,
        }),
        code.codeKey,
      );
      return view(ctx, scope, stored, true);
    },
  };

  const getLayerVersion: Operation = {
    name: 'GetLayerVersion',
    http: { method: 'GET', path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}', status: 200 },
    input: structure({ LayerName: layerNameLabel, VersionNumber: versionLabel }),
    handler: (input, ctx) => getVersion(ctx, nameOf(input.LayerName), Number(input.VersionNumber)),
  };

  const getLayerVersionByArn: Operation = {
    name: 'GetLayerVersionByArn',
    http: { method: 'GET', path: '/2018-10-31/layers?find=LayerVersion', status: 200 },
    input: structure({
      Arn: {
        type: 'string',
        required: true,
        location: 'querystring',
        locationName: 'Arn',
        min: 1,
        max: 140,
        pattern:
          '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)',
      },
    }),
    handler(input, ctx) {
      const { layerName, version } = parseLayerVersionArn(String(input.Arn), scopeOf(ctx));
      return getVersion(ctx, layerName, version);
    },
  };

  const listLayerVersions: Operation = {
    name: 'ListLayerVersions',
    http: { method: 'GET', path: '/2018-10-31/layers/{LayerName}/versions', status: 200 },
    input: structure({
      LayerName: layerNameLabel,
      CompatibleRuntime: S.compatibleRuntimeQuery,
      CompatibleArchitecture: S.compatibleArchitectureQuery,
      Marker: S.marker,
      MaxItems: S.maxItems(50),
    }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const limit = (input.MaxItems as number | undefined) ?? 50;
      const [before = String(Number.MAX_SAFE_INTEGER)] = decodeMarker(input.Marker as string | undefined);
      const matching = store
        .listLayerVersions(scope, nameOf(input.LayerName), Number(before), Number.MAX_SAFE_INTEGER)
        .filter((v) => compatible(v.config, input));
      const items = matching.slice(0, limit);
      const last = items[items.length - 1];
      return {
        LayerVersions: items.map((v) => view(ctx, scope, v, false)),
        ...(matching.length > limit && last ? { NextMarker: encodeMarker([String(last.version)]) } : {}),
      };
    },
  };

  const listLayers: Operation = {
    name: 'ListLayers',
    http: { method: 'GET', path: '/2018-10-31/layers', status: 200 },
    input: structure({
      CompatibleRuntime: S.compatibleRuntimeQuery,
      CompatibleArchitecture: S.compatibleArchitectureQuery,
      Marker: S.marker,
      MaxItems: S.maxItems(50),
    }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const limit = (input.MaxItems as number | undefined) ?? 50;
      const [after = ''] = decodeMarker(input.Marker as string | undefined);
      const layers: Array<Record<string, unknown>> = [];
      let cursor = after;
      let more = false;
      // Latest *matching* version per layer: walk names, newest version first.
      for (const latest of store.listLatestLayerVersions(scope, cursor, Number.MAX_SAFE_INTEGER)) {
        const match = store
          .listLayerVersions(scope, latest.name, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
          .find((v) => compatible(v.config, input));
        if (!match) continue;
        if (layers.length === limit) {
          more = true;
          break;
        }
        layers.push({
          LayerName: match.name,
          LayerArn: layerArn(scope, match.name),
          LatestMatchingVersion: view(ctx, scope, match, false),
        });
        cursor = match.name;
      }
      return { Layers: layers, ...(more ? { NextMarker: encodeMarker([cursor]) } : {}) };
    },
  };

  const deleteLayerVersion: Operation = {
    name: 'DeleteLayerVersion',
    http: { method: 'DELETE', path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}', status: 204 },
    input: structure({ LayerName: layerNameLabel, VersionNumber: versionLabel }),
    handler(input, ctx) {
      const version = Number(input.VersionNumber);
      if (version < 1) throw new InvalidParameterValueException('Layer Version Cannot be less than 1');
      const scope = scopeOf(ctx);
      const name = nameOf(input.LayerName);
      const v = store.getLayerVersion(scope, name, version);
      // Deleting a missing version succeeds, as on AWS.
      if (!v) return {};
      // The content stays in the blob store: functions that reference this version keep
      // working with it, as on AWS. (Collecting content no function uses is a later task.)
      store.deleteLayerVersion(scope, name, version);
      return {};
    },
  };

  return [
    publishLayerVersion,
    getLayerVersion,
    getLayerVersionByArn,
    listLayerVersions,
    listLayers,
    deleteLayerVersion,
  ];
}

function compatible(config: LayerVersionConfig, input: Record<string, unknown>): boolean {
  const runtime = input.CompatibleRuntime as string | undefined;
  const arch = input.CompatibleArchitecture as string | undefined;
  return (
    (!runtime || (config.CompatibleRuntimes ?? []).includes(runtime)) &&
    (!arch || (config.CompatibleArchitectures ?? []).includes(arch))
  );
}
