/**
 * Function lifecycle: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
 * UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, PublishVersion,
 * ListVersionsByFunction. Reads resolve an alias qualifier to the version it points to.
 */
import { randomUUID } from 'node:crypto';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import { type AcceptedCode, acceptCode, type CodeInput } from '../code-intake.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
} from '../errors.js';
import { functionConfiguration } from '../function-view.js';
import {
  functionArn,
  functionNotFound,
  type ParseFunctionOptions,
  parseFunctionRef,
} from '../identifiers.js';
import { resolveLayers } from '../layer-refs.js';
import { type FunctionConfig, lambdaTimestamp, servingOf } from '../model.js';
import { CODE_REQUEST_LIMIT, UPDATE_CONFIGURATION_REQUEST_LIMIT } from '../request-limits.js';
import { assertRuntimeAllowed } from '../runtimes.js';
import * as S from '../shapes.js';
import type { Scope, StoredVersion } from '../store.js';
import { resolveQualifier } from './aliases.js';
import { decodeMarker, encodeMarker } from './pagination.js';
import { MAX_TAGS } from './tags-and-account.js';

type Input = Record<string, unknown>;

interface ConfigurationInput {
  Role?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Runtime?: string;
  Environment?: { Variables?: Record<string, string> };
  TracingConfig?: { Mode?: string };
  DeadLetterConfig?: { TargetArn?: string };
  KMSKeyArn?: string;
  Layers?: string[];
  EphemeralStorage?: { Size: number };
  LoggingConfig?: FunctionConfig['LoggingConfig'] | Partial<FunctionConfig['LoggingConfig']>;
  SnapStart?: { ApplyOn?: string };
  VpcConfig?: { SubnetIds?: string[]; SecurityGroupIds?: string[] };
  RevisionId?: string;
}

const ENV_LIMIT_BYTES = 4096;

export function functionOperations(deps: LambdaDeps): Operation[] {
  const { store, activator } = deps;

  /** The stored version a FunctionName (+ Qualifier) names, or AWS's not-found error. */
  function findVersion(
    ctx: RequestContext,
    input: Input,
    op: 'get' | 'other',
    options?: ParseFunctionOptions,
  ) {
    return resolve(ctx, input, op, options).version;
  }

  /**
   * The stored version a FunctionName (+ Qualifier) names, whether a qualifier was given, and
   * (reads only) the alias it was named through: GetFunction of an alias answers with the
   * version the alias points to, under the alias's ARN (recorded).
   */
  function resolve(ctx: RequestContext, input: Input, op: 'get' | 'other', options?: ParseFunctionOptions) {
    const scope = scopeOf(ctx);
    const ref = parseFunctionRef(
      String(input.FunctionName),
      input.Qualifier as string | undefined,
      scope,
      op,
      options,
    );
    const target =
      op === 'get'
        ? resolveQualifier(store, scope, ref.name, ref.qualifier)
        : { version: ref.qualifier ?? '$LATEST', alias: undefined };
    const version = target && store.getVersion(scope, ref.name, target.version);
    if (!version) throw functionNotFound(scope, ref, op);
    // GetFunction(Qualifier=$LATEST) answers with the qualified ARN, as AWS does.
    return { version, qualified: ref.qualifier !== undefined, alias: target.alias?.alias };
  }

  /** FunctionConfiguration of a resolved read, with the alias's ARN when named through one. */
  function configurationOf(scope: Scope, r: ReturnType<typeof resolve>): Record<string, unknown> {
    const view = functionConfiguration(scope, r.version, { qualifiedArn: r.qualified });
    if (r.alias !== undefined) view.FunctionArn = functionArn(scope, r.version.name, r.alias);
    return view;
  }

  /** The $LATEST of a function named for an update (`function` name format, unqualified). */
  const findLatestForUpdate = (ctx: RequestContext, input: Input) =>
    findVersion(ctx, { FunctionName: input.FunctionName }, 'other', { name: 'function' });

  function assertNoUpdateInProgress(scope: Scope, latest: StoredVersion): void {
    if (latest.config.State === 'Pending' || latest.config.LastUpdateStatus === 'InProgress') {
      throw new ResourceConflictException(
        `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(scope, latest.name)}`,
      );
    }
  }

  function assertRevision(latest: StoredVersion, revisionId: unknown): void {
    if (revisionId !== undefined && revisionId !== latest.config.RevisionId) {
      throw new PreconditionFailedException(
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
    }
  }

  /** Checks a configuration change and applies it to `base` (AWS's validation order). */
  /** `ctx` absent: the role was checked already (CreateFunction checks it before anything else). */
  function applyConfiguration(
    scope: Scope,
    base: FunctionConfig,
    input: ConfigurationInput,
    ctx: RequestContext | undefined,
  ): FunctionConfig {
    const next: FunctionConfig = { ...base };
    if (input.Runtime !== undefined) {
      assertRuntimeAllowed(input.Runtime);
      next.Runtime = input.Runtime;
    }
    if (input.Environment !== undefined) {
      const variables = input.Environment.Variables ?? {};
      const measured = JSON.stringify(variables);
      if (Buffer.byteLength(measured) > ENV_LIMIT_BYTES) {
        throw new InvalidParameterValueException(
          `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
        );
      }
      next.Environment = { Variables: variables };
    }
    if (input.Layers !== undefined) {
      const layers = resolveLayers(store, scope, input.Layers);
      if (layers.length) {
        next.Layers = layers.map((l) => ({ Arn: l.arn, CodeSize: l.codeSize }));
        next._layerKeys = layers.map((l) => l.codeKey as string);
      } else {
        delete next.Layers;
        delete next._layerKeys;
      }
    }
    if (input.Role !== undefined) {
      if (ctx) deps.checkExecutionRole(String(input.Role), ctx);
      next.Role = input.Role;
    }
    if (input.Handler !== undefined) next.Handler = input.Handler;
    if (input.Description !== undefined) next.Description = input.Description;
    if (input.Timeout !== undefined) next.Timeout = input.Timeout;
    if (input.MemorySize !== undefined) next.MemorySize = input.MemorySize;
    if (input.TracingConfig?.Mode !== undefined) next.TracingConfig = { Mode: input.TracingConfig.Mode };
    if (input.EphemeralStorage !== undefined) next.EphemeralStorage = { Size: input.EphemeralStorage.Size };
    if (input.DeadLetterConfig !== undefined) {
      if (input.DeadLetterConfig.TargetArn)
        next.DeadLetterConfig = { TargetArn: input.DeadLetterConfig.TargetArn };
      else delete next.DeadLetterConfig;
    }
    if (input.KMSKeyArn !== undefined) {
      if (input.KMSKeyArn) next.KMSKeyArn = input.KMSKeyArn;
      else delete next.KMSKeyArn;
    }
    if (input.LoggingConfig !== undefined)
      next.LoggingConfig = { ...base.LoggingConfig, ...input.LoggingConfig };
    if (input.SnapStart?.ApplyOn !== undefined)
      next.SnapStart = { ApplyOn: input.SnapStart.ApplyOn, OptimizationStatus: 'Off' };
    return next;
  }

  function layersUnzipped(scope: Scope, config: FunctionConfig): number {
    return resolveLayers(
      store,
      scope,
      (config.Layers ?? []).map((l) => l.Arn),
      { allowDeleted: true },
    ).reduce((sum, l) => sum + l.unzippedSize, 0);
  }

  /**
   * Publishes $LATEST as the next version number (the caller holds the latest snapshot). A
   * new version starts Pending, as on AWS, until the activator has its code ready; $LATEST
   * gets a new RevisionId.
   */
  function publish(scope: Scope, latest: StoredVersion, description?: string): StoredVersion {
    const {
      LastUpdateStatus: _s,
      LastUpdateStatusReason: _r,
      LastUpdateStatusReasonCode: _c,
      _serving: _v,
      ...rest
    } = latest.config;
    return store.transaction(() => {
      const version = store.allocateVersion(scope, latest.name);
      const config: FunctionConfig = {
        ...rest,
        Description: description ?? latest.config.Description,
        RevisionId: randomUUID(),
        LastModified: lambdaTimestamp(),
        ...(latest.config.State === 'Active' && latest.config.LastUpdateStatus !== 'InProgress'
          ? { State: 'Active', LastUpdateStatus: 'Successful' }
          : { State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' }),
      };
      store.putVersion(scope, latest.name, version, config, latest.codeKey);
      store.bumpRevision(scope, latest.name, '$LATEST', randomUUID());
      return { name: latest.name, version, config, codeKey: latest.codeKey };
    });
  }

  const createFunction: Operation = {
    name: 'CreateFunction',
    http: { method: 'POST', path: '/2015-03-31/functions', status: 201 },
    maxRequestBytes: CODE_REQUEST_LIMIT,
    input: structure({
      FunctionName: { type: 'string', required: true },
      Code: {
        type: 'structure',
        required: true,
        members: { ...S.codeSourceMembers, ImageUri: { type: 'string' } },
      },
      ...S.configurationMembers,
      Role: { ...S.role, required: true },
      Architectures: S.architectures,
      PackageType: { type: 'string', enum: ['Zip', 'Image'] },
      Publish: { type: 'boolean' },
      Tags: S.tags,
      CodeSigningConfigArn: { type: 'string' },
    }),
    async handler(input, ctx) {
      const scope = scopeOf(ctx);
      const { name } = parseFunctionRef(String(input.FunctionName), undefined, scope, 'create');
      if (input.PackageType === 'Image') {
        throw new InvalidParameterValueException(
          'Lambent does not run container image functions; use PackageType Zip.',
        );
      }
      if (input.Runtime === undefined || input.Handler === undefined) {
        throw new InvalidParameterValueException(
          'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
        );
      }
      deps.checkExecutionRole(String(input.Role), ctx);
      const now = lambdaTimestamp();
      const defaults: FunctionConfig = {
        Role: String(input.Role),
        Description: '',
        Timeout: 3,
        MemorySize: 128,
        CodeSha256: '',
        CodeSize: 0,
        LastModified: now,
        RevisionId: randomUUID(),
        TracingConfig: { Mode: 'PassThrough' },
        Architectures: (input.Architectures as string[] | undefined) ?? ['x86_64'],
        EphemeralStorage: { Size: 512 },
        LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` },
        PackageType: 'Zip',
        SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
        State: 'Pending',
        StateReason: 'The function is being created.',
        StateReasonCode: 'Creating',
        _unzippedSize: 0,
      };
      const config = applyConfiguration(scope, defaults, input as ConfigurationInput, undefined);
      if (Object.keys((input.Tags as object | undefined) ?? {}).length > MAX_TAGS) {
        throw new InvalidParameterValueException('Number of tags exceeds resource tag limit.');
      }
      if (store.functionExists(scope, name)) {
        throw new ResourceConflictException(`Function already exist: ${name}`);
      }
      const code = await acceptCode(deps, input.Code as CodeInput, ctx, layersUnzipped(scope, config));
      setCode(config, code);
      try {
        store.createFunction(scope, name, config, code.codeKey, (input.Tags as Record<string, string>) ?? {});
      } catch (err) {
        // Two concurrent creates of one name: the loser gets AWS's conflict.
        if (store.functionExists(scope, name))
          throw new ResourceConflictException(`Function already exist: ${name}`);
        throw err;
      }
      const latest: StoredVersion = { name, version: '$LATEST', config, codeKey: code.codeKey };
      const published = input.Publish === true ? publish(scope, latest) : undefined;
      activator.schedule(scope, name, published ? ['$LATEST', published.version] : ['$LATEST']);
      return { ...functionConfiguration(scope, latest), Version: published?.version ?? '$LATEST' };
    },
  };

  const getFunction: Operation = {
    name: 'GetFunction',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: S.qualifierQuery }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const resolved = resolve(ctx, input, 'get');
      const v = resolved.version;
      const tags = store.getTags(scope, v.name) ?? {};
      return {
        Configuration: configurationOf(scope, resolved),
        Code: { RepositoryType: 'S3', Location: deps.codeLocation(ctx, v.codeKey) },
        ...(Object.keys(tags).length ? { Tags: tags } : {}),
      };
    },
  };

  const getFunctionConfiguration: Operation = {
    name: 'GetFunctionConfiguration',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}/configuration', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: S.qualifierQuery }),
    handler(input, ctx) {
      return configurationOf(scopeOf(ctx), resolve(ctx, input, 'get'));
    },
  };

  const listFunctions: Operation = {
    name: 'ListFunctions',
    http: { method: 'GET', path: '/2015-03-31/functions', status: 200 },
    input: structure({
      MasterRegion: { type: 'string', location: 'querystring', locationName: 'MasterRegion' },
      FunctionVersion: {
        type: 'string',
        location: 'querystring',
        locationName: 'FunctionVersion',
        enum: ['ALL'],
      },
      Marker: S.marker,
      MaxItems: S.maxItems(10000),
    }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const limit = (input.MaxItems as number | undefined) ?? 50;
      const all = input.FunctionVersion === 'ALL';
      const [afterName = '', afterVersion = '-1'] = decodeMarker(input.Marker as string | undefined);
      const page = all
        ? store.listAllVersions(scope, afterName, Number(afterVersion), limit + 1)
        : store.listLatest(scope, afterName, limit + 1);
      const items = page.slice(0, limit);
      const last = items[items.length - 1];
      return {
        Functions: items.map((v) => functionConfiguration(scope, v, { listing: true, qualifiedArn: all })),
        ...(page.length > limit && last
          ? { NextMarker: encodeMarker([last.name, last.version === '$LATEST' ? '0' : last.version]) }
          : {}),
      };
    },
  };

  const updateFunctionCode: Operation = {
    name: 'UpdateFunctionCode',
    http: { method: 'PUT', path: '/2015-03-31/functions/{FunctionName}/code', status: 200 },
    maxRequestBytes: CODE_REQUEST_LIMIT,
    input: structure({
      FunctionName: S.functionNameLabel,
      ...S.codeSourceMembers,
      ImageUri: { type: 'string' },
      Publish: { type: 'boolean' },
      DryRun: { type: 'boolean' },
      RevisionId: { type: 'string' },
      Architectures: S.architectures,
    }),
    async handler(input, ctx) {
      const scope = scopeOf(ctx);
      const latest = findLatestForUpdate(ctx, input);
      if (input.ImageUri !== undefined) {
        throw new InvalidParameterValueException(
          "Please don't provide ImageUri when updating a function with packageType Zip.",
        );
      }
      assertRevision(latest, input.RevisionId);
      assertNoUpdateInProgress(scope, latest);
      const code = await acceptCode(deps, input as CodeInput, ctx, layersUnzipped(scope, latest.config));
      const config: FunctionConfig = { ...latest.config, ...inProgress() };
      if (input.Architectures) config.Architectures = input.Architectures as string[];
      setCode(config, code);
      const updated: StoredVersion = { ...latest, config, codeKey: code.codeKey };
      if (input.DryRun === true) return functionConfiguration(scope, updated);
      return commitLatest(scope, latest, updated, input.Publish === true);
    },
  };

  const updateFunctionConfiguration: Operation = {
    name: 'UpdateFunctionConfiguration',
    http: { method: 'PUT', path: '/2015-03-31/functions/{FunctionName}/configuration', status: 200 },
    maxRequestBytes: UPDATE_CONFIGURATION_REQUEST_LIMIT,
    input: structure({
      FunctionName: S.functionNameLabel,
      ...S.configurationMembers,
      RevisionId: { type: 'string' },
    }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const latest = findLatestForUpdate(ctx, input);
      assertRevision(latest, input.RevisionId);
      assertNoUpdateInProgress(scope, latest);
      const config = {
        ...applyConfiguration(scope, latest.config, input as ConfigurationInput, ctx),
        ...inProgress(),
      };
      const layers = layersUnzipped(scope, config);
      if (config._unzippedSize + layers > deps.limits.maxUnzippedCodeBytes) {
        throw new InvalidParameterValueException(
          `Function code combined with layers exceeds the maximum allowed size of ${deps.limits.maxUnzippedCodeBytes} bytes. The actual size is ${config._unzippedSize + layers} bytes.`,
        );
      }
      return commitLatest(scope, latest, { ...latest, config }, false);
    },
  };

  /** Stores a new $LATEST if nobody changed it meanwhile, publishes if asked, schedules activation. */
  function commitLatest(scope: Scope, before: StoredVersion, updated: StoredVersion, publishToo: boolean) {
    // Invocations keep running what ran before until this update settles.
    const serving = servingOf(before);
    if (serving.config.State === 'Active' && serving.config.LastUpdateStatus === 'Successful') {
      updated.config._serving = { config: withoutServing(serving.config), codeKey: serving.codeKey };
    }
    const committed = store.transaction(() => {
      const current = store.getVersion(scope, before.name, '$LATEST');
      if (!current || current.config.RevisionId !== before.config.RevisionId) return false;
      store.putVersion(scope, updated.name, '$LATEST', updated.config, updated.codeKey);
      return true;
    });
    if (!committed)
      assertNoUpdateInProgress(scope, {
        ...before,
        config: { ...before.config, LastUpdateStatus: 'InProgress' },
      });
    const published = publishToo ? publish(scope, updated) : undefined;
    activator.schedule(scope, updated.name, published ? ['$LATEST', published.version] : ['$LATEST']);
    return functionConfiguration(scope, published ?? updated);
  }

  const deleteFunction: Operation = {
    name: 'DeleteFunction',
    http: { method: 'DELETE', path: '/2015-03-31/functions/{FunctionName}', status: 204 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: S.qualifierQuery }),
    async handler(input, ctx) {
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(
        String(input.FunctionName),
        input.Qualifier as string | undefined,
        scope,
        'delete',
      );
      if (ref.qualifier === '$LATEST') {
        throw new InvalidParameterValueException(
          '$LATEST version cannot be deleted without deleting the function.',
        );
      }
      let freed: string[];
      if (ref.qualifier !== undefined) {
        if (!store.functionExists(scope, ref.name)) throw functionNotFound(scope, ref, 'delete');
        const qualifier = ref.qualifier;
        const v = store.transaction(() => {
          const found = store.getVersion(scope, ref.name, qualifier);
          if (!found) return undefined;
          // A version an alias points to (or shifts traffic to) stays until the alias moves.
          const users = store
            .listAliases(scope, ref.name)
            .filter((a) => a.functionVersion === qualifier || a.weights?.[qualifier] !== undefined)
            .map((a) => a.alias);
          if (users.length) {
            throw new ResourceConflictException(
              `Unable to delete version because the following aliases reference it: [${users.join(', ')}]`,
            );
          }
          store.deleteVersion(scope, ref.name, qualifier);
          return found;
        });
        // Deleting a version that does not exist succeeds, as on AWS (recorded).
        if (!v) return {};
        freed = [v.codeKey];
      } else {
        if (!store.functionExists(scope, ref.name)) throw functionNotFound(scope, ref, 'delete');
        freed = store.deleteFunction(scope, ref.name);
        // Its environments stop (in-flight invocations end with them) and its /tmp goes.
        await deps.invoker.removeFunction(scope.accountId, scope.region, ref.name);
      }
      await Promise.all(
        [...new Set(freed)].filter((k) => !store.codeKeyInUse(k)).map((k) => deps.blobs.delete(k)),
      );
      return {};
    },
  };

  const publishVersion: Operation = {
    name: 'PublishVersion',
    http: { method: 'POST', path: '/2015-03-31/functions/{FunctionName}/versions', status: 201 },
    input: structure({
      FunctionName: S.functionNameLabel,
      CodeSha256: { type: 'string' },
      Description: { type: 'string', max: 256 },
      RevisionId: { type: 'string' },
    }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const latest = findLatestForUpdate(ctx, input);
      if (input.CodeSha256 !== undefined && input.CodeSha256 !== latest.config.CodeSha256) {
        throw new InvalidParameterValueException(
          `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
        );
      }
      assertRevision(latest, input.RevisionId);
      assertNoUpdateInProgress(scope, latest);
      // Publishing an unchanged $LATEST returns the newest version instead of a copy, as AWS does.
      const newest = store
        .listVersions(scope, latest.name)
        .filter((v) => v.version !== '$LATEST')
        .pop();
      if (newest && newest.codeKey === latest.codeKey && sameConfiguration(newest.config, latest.config)) {
        return functionConfiguration(scope, newest);
      }
      const published = publish(scope, latest, input.Description as string | undefined);
      return functionConfiguration(scope, published);
    },
  };

  const listVersionsByFunction: Operation = {
    name: 'ListVersionsByFunction',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}/versions', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Marker: S.marker, MaxItems: S.maxItems(10000) }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const latest = findLatestForUpdate(ctx, input);
      const limit = (input.MaxItems as number | undefined) ?? 50;
      const [after = '-1'] = decodeMarker(input.Marker as string | undefined);
      const rank = (v: string) => (v === '$LATEST' ? 0 : Number(v));
      const all = store.listVersions(scope, latest.name).filter((v) => rank(v.version) > Number(after));
      const items = all.slice(0, limit);
      const last = items[items.length - 1];
      return {
        Versions: items.map((v) => functionConfiguration(scope, v, { listing: true, qualifiedArn: true })),
        ...(all.length > limit && last ? { NextMarker: encodeMarker([String(rank(last.version))]) } : {}),
      };
    },
  };

  return [
    createFunction,
    getFunction,
    getFunctionConfiguration,
    listFunctions,
    updateFunctionCode,
    updateFunctionConfiguration,
    deleteFunction,
    publishVersion,
    listVersionsByFunction,
  ];
}

function inProgress(): Partial<FunctionConfig> {
  return {
    LastModified: lambdaTimestamp(),
    RevisionId: randomUUID(),
    LastUpdateStatus: 'InProgress',
    LastUpdateStatusReason: 'The function is being created.',
    LastUpdateStatusReasonCode: 'Creating',
  };
}

function setCode(config: FunctionConfig, code: AcceptedCode): void {
  config.CodeSha256 = code.codeSha256;
  config.CodeSize = code.codeSize;
  config._unzippedSize = code.unzippedSize;
}

/** Whether two configurations differ only in bookkeeping fields. */
function sameConfiguration(a: FunctionConfig, b: FunctionConfig): boolean {
  const strip = ({
    RevisionId: _r,
    LastModified: _m,
    State: _s,
    LastUpdateStatus: _u,
    _serving: _v,
    ...rest
  }: FunctionConfig) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function withoutServing(config: FunctionConfig): FunctionConfig {
  const { _serving: _v, ...rest } = config;
  return rest;
}
