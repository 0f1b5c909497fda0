/**
 * Amazon API Gateway, REST APIs (API version 2015-07-09, rest-json, signing name `apigateway`,
 * shared with API Gateway v2 whose paths start with `/v2/`).
 *
 * Implements: CreateRestApi, GetRestApi(s), UpdateRestApi (patch: name, description, version,
 * policy, apiKeySource, minimumCompressionSize, disableExecuteApiEndpoint, binaryMediaTypes),
 * DeleteRestApi; GetResources (embed=methods), GetResource, CreateResource (path parts,
 * `{param}`, greedy `{proxy+}`), DeleteResource (with its subtree); Put/Get/DeleteMethod;
 * Put/Get/DeleteIntegration (AWS_PROXY to Lambda checked as AWS checks the uri; AWS, HTTP,
 * HTTP_PROXY and MOCK stored); Put/Get/Delete MethodResponse and IntegrationResponse (stored);
 * Create/Get/Get(s)/DeleteDeployment (a deployment freezes the resource tree);
 * Create/Get/Get(s)/Update/DeleteStage (variables, description, deploymentId; method settings
 * stored); Create/Get/Get(s)/DeleteAuthorizer (TOKEN and REQUEST Lambda authorizers run at
 * invoke time). Invocation of deployed stages lives in event-sources/http/rest-api-door.ts.
 *
 * Not yet (docs/parity/apigateway.md): Cognito and IAM authorization, UpdateAuthorizer, API
 * keys and usage plans, request validators and models, documentation parts, VTL mapping
 * templates (non-proxy AWS, HTTP and MOCK integrations answer an error at invoke time),
 * enforcing stages' method settings (throttling, caching, logging), canaries, custom domain
 * names, VPC links, client certificates, tags operations, import/export, cloneFrom.
 */
import { createRestJsonCodec } from '../../protocols/rest-json/codec.js';
import { RestRouter } from '../../protocols/rest-json/router.js';
import type { ProtocolCodec } from '../../protocols/types.js';
import { AwsError, SerializationException, ValidationException } from '../../shared/errors.js';
import type { Db } from '../../storage/db.js';
import type { Service } from '../service.js';
import { withApiGatewayAuthz } from './authz.js';
import type { ApiGatewayDeps } from './deps.js';
import { createRestApiDirectory, type RestApiDirectory } from './directory.js';
import { BadRequestException } from './errors.js';
import { authorizerOperations } from './operations/authorizers.js';
import { deploymentOperations } from './operations/deployments.js';
import { resourceOperations } from './operations/resources.js';
import { restApiOperations } from './operations/rest-apis.js';
import { createRestApiStore } from './store.js';

/** Paths of the REST API control plane (v2's are under `/v2/`). */
export const APIGATEWAY_PATH_PREFIXES = ['/restapis', '/apikeys', '/usageplans', '/domainnames', '/account'];

export interface ApiGatewayService {
  service: Service;
  /** What the invoke path (the front door) reads. */
  directory: RestApiDirectory;
}

export function createApiGatewayService(deps: { db: Db; clock?: () => number }): ApiGatewayService {
  const store = createRestApiStore(deps.db);
  const directory = createRestApiDirectory(store);
  const opsDeps: ApiGatewayDeps = { store, directory, clock: deps.clock ?? Date.now };
  const router = new RestRouter(
    withApiGatewayAuthz([
      ...restApiOperations(opsDeps),
      ...resourceOperations(opsDeps),
      ...deploymentOperations(opsDeps),
      ...authorizerOperations(opsDeps),
    ]),
  );
  const json = createRestJsonCodec();
  const codec: ProtocolCodec = {
    ...json,
    // API Gateway answers constraint and type failures with BadRequestException.
    encodeError: (error, requestId) => json.encodeError(relabel(error), requestId),
  };
  const service: Service = {
    name: 'apigateway',
    signingName: 'apigateway',
    codec,
    route: (req) => router.match(req.method, req.rawPath, req.query),
    pathPrefixes: APIGATEWAY_PATH_PREFIXES,
    requestTooLarge: (_op, limit) =>
      new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes`, 413),
    throttled: () => new AwsError('TooManyRequestsException', 'Too Many Requests', 429),
    // Most REST API operations Lambent lacks (API keys, usage plans, models, ...) land here:
    // say so rather than answer a 404 that reads like a missing resource.
    unknownOperation: (method, rawPath) =>
      new AwsError(
        'NotImplemented',
        `Lambent does not implement ${method} ${rawPath.split('?')[0]} of API Gateway (REST APIs) yet`,
        501,
      ),
    accessDenied: (message) => new AwsError('AccessDeniedException', message, 403),
    health: () => ({ status: 'ok', operations: router.size, restApis: store.allApiIds().length }),
    async close() {},
  };
  return { service, directory };
}

function relabel(error: AwsError): AwsError {
  if (error instanceof ValidationException || error instanceof SerializationException) {
    return new BadRequestException(error.message);
  }
  return error;
}
