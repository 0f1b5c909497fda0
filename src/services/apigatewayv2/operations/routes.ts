/** Routes: `METHOD /path` (with `{param}` and a last `{proxy+}`) or `$default`, each aimed at an integration. */
import type { Operation } from '../../../protocols/types.js';
import { autoDeploy } from '../deploy.js';
import { BadRequestException, ConflictException, NotFoundException } from '../errors.js';
import { newId, type RouteDoc } from '../model.js';
import { parseRouteKey } from '../route-keys.js';
import type { ApiGatewayV2Store } from '../store.js';
import { type Input, mustApi, notFound, type OpDeps, op, page, str } from './common.js';

export function checkRouteKey(store: ApiGatewayV2Store, apiId: string, key: string, except?: string): void {
  const parsed = parseRouteKey(key);
  if ('error' in parsed) throw new BadRequestException(parsed.error);
  if (store.list(apiId, 'route').some((r) => r.routeKey === key && r.routeId !== except)) {
    throw new ConflictException(`Route with key ${key} already exists for this API`);
  }
}

function checkTarget(store: ApiGatewayV2Store, apiId: string, target: string | undefined): void {
  if (target === undefined) return;
  const m = /^integrations\/([a-z0-9]+)$/.exec(target);
  if (!m)
    throw new BadRequestException(
      `Invalid target: ${target}. A target must be of the form integrations/<id>`,
    );
  if (!store.get(apiId, 'integration', m[1] as string)) {
    throw new NotFoundException('Invalid Integration identifier specified');
  }
}

/** The route's authorization: NONE, CUSTOM (a REQUEST authorizer) or JWT (a JWT authorizer, with scopes). */
function authorizationOf(
  store: ApiGatewayV2Store,
  apiId: string,
  input: Input,
  base: Pick<RouteDoc, 'authorizationType' | 'authorizerId' | 'authorizationScopes'>,
): Pick<RouteDoc, 'authorizationType' | 'authorizerId' | 'authorizationScopes'> {
  const type = str(input, 'authorizationType') ?? base.authorizationType;
  if (type === 'NONE') return { authorizationType: 'NONE' };
  if (type !== 'CUSTOM' && type !== 'JWT') {
    throw new BadRequestException(
      `Authorization type ${type} is not supported by Lambent yet: routes use NONE, CUSTOM (Lambda authorizers) or JWT`,
    );
  }
  const authorizerId = str(input, 'authorizerId') ?? base.authorizerId;
  if (authorizerId === undefined)
    throw new BadRequestException(`AuthorizerId is required for ${type} authorization`);
  const authorizer = store.get(apiId, 'authorizer', authorizerId);
  if (!authorizer) throw new NotFoundException('Invalid Authorizer identifier specified');
  if ((type === 'JWT') !== (authorizer.authorizerType === 'JWT')) {
    throw new BadRequestException(
      `Authorization type ${type} does not match the authorizer's type ${authorizer.authorizerType}`,
    );
  }
  const scopes = (input.authorizationScopes as string[] | undefined) ?? base.authorizationScopes;
  return {
    authorizationType: type,
    authorizerId,
    ...(type === 'JWT' && scopes?.length ? { authorizationScopes: scopes } : {}),
  };
}

export function routeOperations(deps: OpDeps): Operation[] {
  const { store } = deps;
  const must = (apiId: string, id: string) => {
    const doc = store.get(apiId, 'route', id);
    if (!doc) throw notFound('route');
    return doc;
  };
  return [
    op('CreateRoute', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const key = str(input, 'routeKey');
        if (key === undefined) throw new BadRequestException('RouteKey is a required parameter');
        checkRouteKey(store, api.apiId, key);
        const auth = authorizationOf(store, api.apiId, input, { authorizationType: 'NONE' });
        const target = str(input, 'target');
        checkTarget(store, api.apiId, target);
        const doc: RouteDoc = {
          apiKeyRequired: input.apiKeyRequired === true,
          ...auth,
          ...(str(input, 'operationName') !== undefined
            ? { operationName: str(input, 'operationName') }
            : {}),
          routeId: newId(7, (x) => store.childIdTaken('route', x)),
          routeKey: key,
          ...(target !== undefined ? { target } : {}),
        };
        store.put(api.apiId, 'route', doc.routeId, doc);
        autoDeploy(store, api.apiId);
        return doc;
      }),
    ),
    op('GetRoute', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return must(api.apiId, str(input, 'routeId') ?? '');
    }),
    op('GetRoutes', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return page(store.list(api.apiId, 'route'), input);
    }),
    op('UpdateRoute', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const old = must(api.apiId, str(input, 'routeId') ?? '');
        const key = str(input, 'routeKey');
        if (key !== undefined && key !== old.routeKey) {
          if (old.routeKey === '$default')
            throw new BadRequestException('The $default route key cannot be modified');
          checkRouteKey(store, api.apiId, key, old.routeId);
        }
        const auth = authorizationOf(store, api.apiId, input, old);
        const target = str(input, 'target');
        checkTarget(store, api.apiId, target);
        const { authorizerId: _previous, authorizationScopes: _scopes, ...rest } = old;
        const doc: RouteDoc = {
          ...rest,
          ...auth,
          ...(key !== undefined ? { routeKey: key } : {}),
          ...(target !== undefined ? { target } : {}),
          ...(typeof input.apiKeyRequired === 'boolean' ? { apiKeyRequired: input.apiKeyRequired } : {}),
        };
        store.put(api.apiId, 'route', doc.routeId, doc);
        autoDeploy(store, api.apiId);
        return doc;
      }),
    ),
    op('DeleteRoute', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const id = str(input, 'routeId') ?? '';
        must(api.apiId, id);
        store.delete(api.apiId, 'route', id);
        autoDeploy(store, api.apiId);
        return {};
      }),
    ),
  ];
}
