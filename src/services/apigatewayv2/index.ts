/**
 * Amazon API Gateway v2 (HTTP APIs), API version 2018-11-29, over rest-json under `/v2/`
 * (signing name `apigateway`, which API Gateway v1 shares: the `/v2/` prefix tells them apart).
 *
 * Implements: CreateApi (with quick create: `target` + `routeKey`), GetApi, GetApis, UpdateApi,
 * DeleteApi; Create/Get/Update/Delete Route and GetRoutes (`METHOD /path`, `{param}`, a last
 * `{proxy+}`, `$default`); Integrations `AWS_PROXY` to Lambda (payload 1.0 and 2.0) and
 * `HTTP_PROXY` to a URL; Stages (`$default` and named, AutoDeploy, stage variables);
 * Deployments (a frozen copy of the routes and integrations a stage serves); the API's
 * CorsConfiguration; Lambda (REQUEST) and JWT authorizers. Requests to the APIs themselves are served by
 * event-sources/http/api-gateway.ts (the invoke URLs).
 *
 * Not yet (docs/parity/apigatewayv2.md): WebSocket APIs, AWS_IAM route authorization, route and
 * integration responses, request parameter mapping, custom domains and API mappings, VPC links,
 * tagging operations, import/export (OpenAPI), models, access logs, throttling settings,
 * pagination of Get* lists (every item in one page).
 */
import { createRestJsonCodec } from '../../protocols/rest-json/codec.js';
import { RestRouter } from '../../protocols/rest-json/router.js';
import { AwsError } from '../../shared/errors.js';
import type { Db } from '../../storage/db.js';
import type { Service } from '../service.js';
import { TooManyRequestsException } from './errors.js';
import { apiOperations } from './operations/apis.js';
import { authorizerOperations } from './operations/authorizers.js';
import { integrationOperations } from './operations/integrations.js';
import { routeOperations } from './operations/routes.js';
import { stageOperations } from './operations/stages.js';
import { type ApiGatewayV2Store, createApiGatewayV2Store } from './store.js';

/** API Gateway's AccessDeniedException (403), as its APIs answer a denied caller. */
class AccessDeniedException extends AwsError {
  constructor(message: string) {
    super('AccessDeniedException', message, 403);
  }
}

export function createApiGatewayV2Service(deps: { db: Db }): { service: Service; store: ApiGatewayV2Store } {
  const store = createApiGatewayV2Store(deps.db);
  const opDeps = { store };
  const router = new RestRouter([
    ...apiOperations(opDeps),
    ...routeOperations(opDeps),
    ...integrationOperations(opDeps),
    ...stageOperations(opDeps),
    ...authorizerOperations(opDeps),
  ]);
  const service: Service = {
    name: 'apigatewayv2',
    signingName: 'apigateway',
    codec: createRestJsonCodec(),
    route: (req) => router.match(req.method, req.rawPath, req.query),
    pathPrefixes: ['/v2/'],
    requestTooLarge: (_op, limit) =>
      new AwsError('BadRequestException', `Request body is larger than the limit of ${limit} bytes`, 413),
    throttled: () => new TooManyRequestsException(),
    // API Gateway v1 (REST APIs: /restapis, /apikeys, ...) signs as `apigateway` too and is not served yet.
    unknownOperation: (method, rawPath) =>
      rawPath.startsWith('/v2/')
        ? new AwsError('NotFoundException', `Unknown operation ${method} ${rawPath}`, 404)
        : new AwsError('NotImplemented', 'Lambent does not serve API Gateway v1 (REST APIs) yet', 501),
    accessDenied: (message) => new AccessDeniedException(message),
    health: () => ({ status: 'ok', operations: router.size }),
    close: async () => {},
  };
  return { service, store };
}
