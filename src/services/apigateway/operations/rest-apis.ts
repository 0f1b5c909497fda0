/** CreateRestApi, GetRestApi, GetRestApis, UpdateRestApi, DeleteRestApi. */
import type { Operation } from '../../../protocols/types.js';
import { type ApiGatewayDeps, nowSeconds, requireApi, scopeOf } from '../deps.js';
import { BadRequestException } from '../errors.js';
import { newApiId, newRootResourceId } from '../ids.js';
import type { RestApiDoc } from '../model.js';
import { type Input, label, operation, patchOperations, str, unescapePointer } from './define.js';

const ENDPOINT_TYPES = ['REGIONAL', 'EDGE', 'PRIVATE'];

export function restApiOperations(deps: ApiGatewayDeps): Operation[] {
  return [
    operation('CreateRestApi', (input, ctx) => {
      if (input.cloneFrom !== undefined)
        throw new BadRequestException('cloneFrom is not supported by Lambent');
      const endpoint = input.endpointConfiguration as
        | { types?: string[]; vpcEndpointIds?: string[] }
        | undefined;
      const types = endpoint?.types ?? ['EDGE'];
      if (types.length !== 1 || !ENDPOINT_TYPES.includes(types[0] ?? '')) {
        throw new BadRequestException(
          `Invalid endpoint configuration type specified: ${types.join(',')}. Valid values are: REGIONAL, EDGE, PRIVATE`,
        );
      }
      const api: RestApiDoc = {
        id: newApiId(),
        name: String(input.name),
        ...(str(input, 'description') !== undefined ? { description: str(input, 'description') } : {}),
        createdDate: nowSeconds(deps),
        ...(str(input, 'version') !== undefined ? { version: str(input, 'version') } : {}),
        ...(Array.isArray(input.binaryMediaTypes)
          ? { binaryMediaTypes: input.binaryMediaTypes as string[] }
          : {}),
        ...(typeof input.minimumCompressionSize === 'number'
          ? { minimumCompressionSize: input.minimumCompressionSize }
          : {}),
        apiKeySource: str(input, 'apiKeySource') ?? 'HEADER',
        endpointConfiguration: {
          types,
          ipAddressType: types[0] === 'PRIVATE' ? 'dualstack' : 'ipv4',
          ...(endpoint?.vpcEndpointIds ? { vpcEndpointIds: endpoint.vpcEndpointIds } : {}),
        },
        ...(str(input, 'policy') !== undefined ? { policy: str(input, 'policy') } : {}),
        ...(input.tags && Object.keys(input.tags).length > 0
          ? { tags: input.tags as Record<string, string> }
          : {}),
        disableExecuteApiEndpoint: input.disableExecuteApiEndpoint === true,
        rootResourceId: newRootResourceId(),
      };
      deps.store.createApi(scopeOf(ctx), api, { id: api.rootResourceId, path: '/' });
      deps.directory.added(api.id);
      return api;
    }),
    operation('GetRestApi', (input, ctx) => requireApi(deps, ctx, label(input, 'restApiId'))),
    operation('GetRestApis', (input, ctx) => {
      const all = deps.store.listApis(scopeOf(ctx));
      return page(all, input);
    }),
    operation('UpdateRestApi', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      for (const p of patchOperations(input)) applyApiPatch(api, p.op ?? '', p.path ?? '', p.value);
      deps.store.updateApi(api);
      deps.directory.changed(api.id);
      return api;
    }),
    operation('DeleteRestApi', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      deps.store.deleteApi(api.id);
      deps.directory.removed(api.id);
      return undefined;
    }),
  ];
}

/**
 * `limit` and `position` as API Gateway pages (position: the index of the next item). The list
 * travels as `item`, the model's wire name for `items`.
 */
export function page<T>(all: T[], input: Input): { item: T[]; position?: string } {
  const limit = typeof input.limit === 'number' && input.limit > 0 ? Math.min(input.limit, 500) : 25;
  const start = Number.parseInt(str(input, 'position') ?? '0', 10) || 0;
  const item = all.slice(start, start + limit);
  return start + limit < all.length ? { item, position: String(start + limit) } : { item };
}

function applyApiPatch(api: RestApiDoc, op: string, path: string, value: string | undefined): void {
  const invalid = () =>
    new BadRequestException(
      `Invalid patch path '${path}' specified for op '${op}'. Must be one of: [/name, /description, /version, /policy, /apiKeySource, /minimumCompressionSize, /disableExecuteApiEndpoint, /binaryMediaTypes/<type>]`,
    );
  if (path.startsWith('/binaryMediaTypes/')) {
    const type = unescapePointer(path.slice('/binaryMediaTypes/'.length));
    const types = new Set(api.binaryMediaTypes ?? []);
    if (op === 'add') types.add(type);
    else if (op === 'remove') types.delete(type);
    else if (op === 'replace' && value !== undefined) {
      types.delete(type);
      types.add(value);
    } else throw invalid();
    api.binaryMediaTypes = [...types];
    if (api.binaryMediaTypes.length === 0) delete api.binaryMediaTypes;
    return;
  }
  if (op !== 'replace') throw invalid();
  switch (path) {
    case '/name':
      if (!value) throw new BadRequestException('Invalid patch value for /name: name must not be empty');
      api.name = value;
      return;
    case '/description':
    case '/version':
    case '/policy':
      setOptional(api, path.slice(1) as 'description' | 'version' | 'policy', value);
      return;
    case '/apiKeySource':
      if (value !== 'HEADER' && value !== 'AUTHORIZER') {
        throw new BadRequestException(`Invalid apiKeySource ${value}: must be HEADER or AUTHORIZER`);
      }
      api.apiKeySource = value;
      return;
    case '/minimumCompressionSize':
      if (value === undefined || value === '') delete api.minimumCompressionSize;
      else api.minimumCompressionSize = Number(value);
      return;
    case '/disableExecuteApiEndpoint':
      api.disableExecuteApiEndpoint = value === 'true';
      return;
    default:
      throw invalid();
  }
}

function setOptional(api: RestApiDoc, key: 'description' | 'version' | 'policy', value: string | undefined) {
  if (value === undefined || value === '') delete api[key];
  else api[key] = value;
}
