/**
 * APIs: Create (including quick create: `target` and `routeKey` make an integration, a route
 * and an AutoDeploy `$default` stage, all `apiGatewayManaged`), Get, GetApis, Update, Delete.
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { autoDeploy } from '../deploy.js';
import { BadRequestException } from '../errors.js';
import { type ApiDoc, type CorsDoc, type IntegrationDoc, ISO_NOW, newId, type RouteDoc } from '../model.js';
import { parseRouteKey } from '../route-keys.js';
import type { ApiGatewayV2Store } from '../store.js';
import { apiEndpoint, type Input, mustApi, type OpDeps, op, page, scopeOf, str } from './common.js';
import { buildIntegration, lambdaTargetOf } from './integrations.js';
import { newStage } from './stages.js';

/** An API as returned: the endpoint is the listener the caller reached. */
export function apiView(ctx: RequestContext, api: ApiDoc): ApiDoc {
  return { ...api, apiEndpoint: apiEndpoint(ctx, api.apiId) };
}

function cors(input: Input): CorsDoc | undefined {
  const c = input.corsConfiguration as CorsDoc | undefined;
  if (c === undefined) return undefined;
  if (c.allowCredentials && c.allowOrigins?.includes('*')) {
    throw new BadRequestException(
      'allow-credentials is not supported when allow-origin is configured as *. Please specify valid origins.',
    );
  }
  if (c.maxAge !== undefined && (c.maxAge < -1 || c.maxAge > 86400)) {
    throw new BadRequestException('Max-Age must be between -1 and 86400 seconds');
  }
  return c;
}

/** Quick create's integration, route and `$default` stage (AWS: payload 2.0 for Lambda, HTTP_PROXY for a URL). */
function quickCreate(store: ApiGatewayV2Store, apiId: string, target: string, routeKey: string): void {
  const integrationId = newId(7, (x) => store.childIdTaken('integration', x));
  const isLambda = lambdaTargetOf(target) !== undefined;
  const integration: IntegrationDoc = {
    ...buildIntegration(
      isLambda
        ? { integrationType: 'AWS_PROXY', integrationUri: target, payloadFormatVersion: '2.0' }
        : { integrationType: 'HTTP_PROXY', integrationUri: target, integrationMethod: 'ANY' },
      {},
      integrationId,
    ),
    apiGatewayManaged: true,
  };
  store.put(apiId, 'integration', integrationId, integration);
  const route: RouteDoc = {
    apiGatewayManaged: true,
    apiKeyRequired: false,
    authorizationType: 'NONE',
    routeId: newId(7, (x) => store.childIdTaken('route', x)),
    routeKey,
    target: `integrations/${integrationId}`,
  };
  store.put(apiId, 'route', route.routeId, route);
  newStage(store, apiId, '$default', { autoDeploy: true }, true);
}

export function apiOperations(deps: OpDeps): Operation[] {
  const { store } = deps;
  return [
    op('CreateApi', (input, ctx) =>
      store.transaction(() => {
        const name = str(input, 'name');
        const protocolType = str(input, 'protocolType');
        if (name === undefined) throw new BadRequestException('Name is a required parameter');
        if (protocolType === undefined) throw new BadRequestException('ProtocolType is a required parameter');
        if (protocolType !== 'HTTP') {
          throw new BadRequestException(
            protocolType === 'WEBSOCKET'
              ? 'WebSocket APIs are not supported by Lambent yet: only HTTP APIs are'
              : `Invalid protocol type ${protocolType}: must be HTTP or WEBSOCKET`,
          );
        }
        const target = str(input, 'target');
        const routeKey = str(input, 'routeKey') ?? '$default';
        if (target === undefined && str(input, 'routeKey') !== undefined) {
          throw new BadRequestException('RouteKey can be specified only together with Target (quick create)');
        }
        if (target !== undefined) {
          const parsed = parseRouteKey(routeKey);
          if ('error' in parsed) throw new BadRequestException(parsed.error);
        }
        const corsConfiguration = cors(input);
        const apiId = newId(10, (id) => store.apiIdTaken(id));
        const api: ApiDoc = {
          apiEndpoint: '',
          apiId,
          apiKeySelectionExpression: str(input, 'apiKeySelectionExpression') ?? '$request.header.x-api-key',
          ...(corsConfiguration ? { corsConfiguration } : {}),
          createdDate: ISO_NOW(),
          ...(str(input, 'description') !== undefined ? { description: str(input, 'description') } : {}),
          disableExecuteApiEndpoint: input.disableExecuteApiEndpoint === true,
          ipAddressType: str(input, 'ipAddressType') ?? 'ipv4',
          name,
          protocolType,
          routeSelectionExpression: str(input, 'routeSelectionExpression') ?? '$request.method $request.path',
          tags: (input.tags as Record<string, string> | undefined) ?? {},
          ...(str(input, 'version') !== undefined ? { version: str(input, 'version') } : {}),
        };
        store.putApi(scopeOf(ctx), api);
        if (target !== undefined) quickCreate(store, apiId, target, routeKey);
        return apiView(ctx, api);
      }),
    ),
    op('GetApi', (input, ctx) => apiView(ctx, mustApi(deps, ctx, input))),
    op('GetApis', (input, ctx) =>
      page(
        store.listApis(scopeOf(ctx)).map((a) => apiView(ctx, a)),
        input,
      ),
    ),
    op('UpdateApi', (input, ctx) =>
      store.transaction(() => {
        const old = mustApi(deps, ctx, input);
        const corsConfiguration = cors(input);
        const api: ApiDoc = {
          ...old,
          ...(str(input, 'name') !== undefined ? { name: str(input, 'name') as string } : {}),
          ...(str(input, 'description') !== undefined ? { description: str(input, 'description') } : {}),
          ...(str(input, 'version') !== undefined ? { version: str(input, 'version') } : {}),
          ...(corsConfiguration ? { corsConfiguration } : {}),
          ...(typeof input.disableExecuteApiEndpoint === 'boolean'
            ? { disableExecuteApiEndpoint: input.disableExecuteApiEndpoint }
            : {}),
        };
        store.putApi(scopeOf(ctx), api);
        // Quick create's integration follows a new target (AWS updates the managed resources).
        const target = str(input, 'target');
        if (target !== undefined) {
          for (const integration of store.list(api.apiId, 'integration')) {
            if (!integration.apiGatewayManaged) continue;
            store.put(api.apiId, 'integration', integration.integrationId, {
              ...buildIntegration({ integrationUri: target }, integration, integration.integrationId),
              apiGatewayManaged: true,
            });
          }
          autoDeploy(store, api.apiId);
        }
        return apiView(ctx, api);
      }),
    ),
    op('DeleteApi', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      store.deleteApi(scopeOf(ctx), api.apiId);
      return {};
    }),
  ];
}
