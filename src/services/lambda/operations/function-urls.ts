/**
 * Function URL configs (API 2021-10-31): CreateFunctionUrlConfig, GetFunctionUrlConfig,
 * UpdateFunctionUrlConfig, DeleteFunctionUrlConfig, ListFunctionUrlConfigs, on the unqualified
 * function or an alias (AWS refuses versions and `$LATEST` by the Qualifier's pattern). The
 * HTTP side of a URL is event-sources/http/; here is only its configuration. DeleteFunction
 * ends a function's URLs, DeleteAlias the alias's.
 *
 * Messages, shapes and the order of checks follow `TestLambdaUrl::*` (test_lambda_api) and
 * `TestLambdaURL::test_lambda_update_function_url_config` (test_lambda).
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { type Member, structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import { ResourceConflictException, ResourceNotFoundException } from '../errors.js';
import { functionArn, parseFunctionRef } from '../identifiers.js';
import * as S from '../shapes.js';
import type { Scope } from '../store.js';
import type {
  CorsConfig,
  FunctionUrlAuthType,
  InvokeMode,
  StoredUrlConfig,
  UrlConfigStore,
} from '../url-config-store.js';
import { pageOf } from './pagination.js';

type Input = Record<string, unknown>;

const headerList: Member = { type: 'list', max: 100, member: { type: 'string', max: 1024, pattern: '.*' } };
const cors: Member = {
  type: 'structure',
  members: {
    AllowCredentials: { type: 'boolean' },
    AllowHeaders: headerList,
    AllowMethods: { type: 'list', max: 6, member: { type: 'string', max: 6, pattern: '.*' } },
    AllowOrigins: { type: 'list', max: 100, member: { type: 'string', min: 1, max: 253, pattern: '.*' } },
    ExposeHeaders: headerList,
    MaxAge: { type: 'integer', min: 0, max: 86400 },
  },
};
// AWS lists these enums in this order in its messages (recorded for invokeMode).
const authType: Member = { type: 'string', enum: ['AWS_IAM', 'NONE'] };
const invokeMode: Member = { type: 'string', enum: ['RESPONSE_STREAM', 'BUFFERED'] };
const qualifier: Member = { type: 'string', location: 'querystring', locationName: 'Qualifier' };

const PATH = '/2021-10-31/functions/{FunctionName}/url';
const NO_RESOURCE = 'The resource you requested does not exist.';
const NO_FUNCTION = 'Function does not exist';

/** Lambda's Timestamp strings: ISO 8601 with microseconds (`2022-04-06T18:22:55.383324Z`). */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface FunctionUrlOptions {
  /** The URL clients use: `http://<url-id>.lambda-url.<region>.localhost:<port>/`. */
  functionUrl(urlId: string, region: string): string;
}

export function functionUrlOperations(
  deps: LambdaDeps,
  urls: UrlConfigStore,
  options: FunctionUrlOptions,
): Operation[] {
  const { store } = deps;

  function refOf(ctx: RequestContext, input: Input) {
    const scope = scopeOf(ctx);
    const ref = parseFunctionRef(
      String(input.FunctionName),
      input.Qualifier as string | undefined,
      scope,
      'other',
      { name: 'function', qualifier: 'url' },
    );
    return { scope, name: ref.name, qualifier: ref.qualifier ?? '' };
  }

  /** Whether the function, and the alias a qualifier names, exist. */
  function targetExists(scope: Scope, name: string, q: string): boolean {
    if (!store.functionExists(scope, name)) return false;
    return q === '' || store.getAlias(scope, name, q) !== undefined;
  }

  function view(c: StoredUrlConfig, members: { lastModified: boolean; invokeMode: 'always' | 'if-set' }) {
    const scope = { accountId: c.accountId, region: c.region };
    return {
      FunctionUrl: options.functionUrl(c.urlId, c.region),
      FunctionArn: functionArn(scope, c.name, c.qualifier || undefined),
      AuthType: c.authType,
      ...(c.cors ? { Cors: c.cors } : {}),
      CreationTime: timestamp(c.creationTime),
      ...(members.lastModified ? { LastModifiedTime: timestamp(c.lastModifiedTime) } : {}),
      ...(members.invokeMode === 'always'
        ? { InvokeMode: c.invokeMode ?? 'BUFFERED' }
        : c.invokeMode
          ? { InvokeMode: c.invokeMode }
          : {}),
    };
  }

  const create: Operation = {
    name: 'CreateFunctionUrlConfig',
    http: { method: 'POST', path: PATH, status: 201 },
    input: structure({
      FunctionName: S.functionNameLabel,
      Qualifier: qualifier,
      AuthType: { ...authType, required: true },
      Cors: cors,
      InvokeMode: invokeMode,
    }),
    handler(input, ctx) {
      const { scope, name, qualifier: q } = refOf(ctx, input);
      if (!targetExists(scope, name, q)) throw new ResourceNotFoundException(NO_FUNCTION);
      if (urls.get(scope, name, q)) {
        throw new ResourceConflictException(
          `Failed to create function url config for [functionArn = ${functionArn(scope, name, q || undefined)}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
        );
      }
      const now = Date.now();
      const stored = urls.create(scope, name, q, {
        authType: input.AuthType as FunctionUrlAuthType,
        ...(input.Cors ? { cors: input.Cors as CorsConfig } : {}),
        ...(input.InvokeMode ? { invokeMode: input.InvokeMode as InvokeMode } : {}),
        creationTime: now,
        lastModifiedTime: now,
      });
      return view(stored, { lastModified: false, invokeMode: 'if-set' });
    },
  };

  const get: Operation = {
    name: 'GetFunctionUrlConfig',
    http: { method: 'GET', path: PATH, status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: qualifier }),
    handler(input, ctx) {
      const { scope, name, qualifier: q } = refOf(ctx, input);
      const config = urls.get(scope, name, q);
      if (!config || !targetExists(scope, name, q)) throw new ResourceNotFoundException(NO_RESOURCE);
      return view(config, { lastModified: true, invokeMode: 'always' });
    },
  };

  const update: Operation = {
    name: 'UpdateFunctionUrlConfig',
    http: { method: 'PUT', path: PATH, status: 200 },
    input: structure({
      FunctionName: S.functionNameLabel,
      Qualifier: qualifier,
      AuthType: authType,
      Cors: cors,
      InvokeMode: invokeMode,
    }),
    handler(input, ctx) {
      const { scope, name, qualifier: q } = refOf(ctx, input);
      if (!targetExists(scope, name, q)) throw new ResourceNotFoundException(NO_FUNCTION);
      const before = urls.get(scope, name, q);
      if (!before) throw new ResourceNotFoundException(NO_RESOURCE);
      // What the call leaves out stays as it was (recorded: InvokeMode survives an update without it).
      const cors = input.Cors !== undefined ? (input.Cors as CorsConfig) : before.cors;
      const mode = (input.InvokeMode as InvokeMode | undefined) ?? before.invokeMode;
      const stored = urls.update(before, {
        authType: (input.AuthType as FunctionUrlAuthType | undefined) ?? before.authType,
        ...(cors ? { cors } : {}),
        ...(mode ? { invokeMode: mode } : {}),
        creationTime: before.creationTime,
        lastModifiedTime: Date.now(),
      });
      return view(stored, { lastModified: true, invokeMode: 'if-set' });
    },
  };

  const remove: Operation = {
    name: 'DeleteFunctionUrlConfig',
    http: { method: 'DELETE', path: PATH, status: 204 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: qualifier }),
    handler(input, ctx) {
      const { scope, name, qualifier: q } = refOf(ctx, input);
      const config = urls.get(scope, name, q);
      if (!config || !targetExists(scope, name, q)) throw new ResourceNotFoundException(NO_RESOURCE);
      urls.remove(config);
      return {};
    },
  };

  const list: Operation = {
    name: 'ListFunctionUrlConfigs',
    http: { method: 'GET', path: '/2021-10-31/functions/{FunctionName}/urls', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Marker: S.marker, MaxItems: S.maxItems(50) }),
    handler(input, ctx) {
      const { scope, name } = refOf(ctx, { FunctionName: input.FunctionName });
      if (!store.functionExists(scope, name)) throw new ResourceNotFoundException(NO_FUNCTION);
      const page = pageOf(
        urls.list(scope, name),
        input.Marker as string | undefined,
        (input.MaxItems as number | undefined) ?? 50,
        (c) => c.urlId,
      );
      return {
        FunctionUrlConfigs: page.items.map((c) => view(c, { lastModified: true, invokeMode: 'always' })),
        ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
      };
    },
  };

  return [create, get, update, remove, list];
}

/**
 * DeleteFunction of the whole function ends its URLs (a version has none to end); DeleteAlias
 * ends the alias's URL, as AWS does (recorded: GetFunctionUrlConfig then 404s and the URL
 * answers 403 Forbidden).
 */
export function withFunctionUrls(
  deps: LambdaDeps,
  urls: UrlConfigStore,
  operations: Operation[],
): Operation[] {
  const decorate: Record<string, (op: Operation) => Operation['handler']> = {
    DeleteFunction: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other');
      if (!deps.store.functionExists(scope, ref.name)) urls.removeFunction(scope, ref.name);
      return out;
    },
    DeleteAlias: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const { name } = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', {
        name: 'function',
      });
      const alias = String(input.Name);
      const config = urls.get(scope, name, alias);
      if (config && !deps.store.getAlias(scope, name, alias)) urls.retire(config);
      return out;
    },
  };
  return operations.map((op) => {
    const wrap = decorate[op.name];
    return wrap ? { ...op, handler: wrap(op) } : op;
  });
}
