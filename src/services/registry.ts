/** The one explicit map of services the gateway serves. Add a service here. */

import type { FunctionInvoker } from '../event-sources/function-invoker.js';
import type { FunctionUrlDirectory } from '../event-sources/http/function-url-directory.js';
import type { Outbox } from '../event-sources/outbox/outbox.js';
import type { Authorizer } from '../iam/authorizer.js';
import type { IdentityStore } from '../iam/store.js';
import { createTrustPolicies } from '../iam/trust.js';
import type { Invoker } from '../invoke/invoker.js';
import type { Metrics } from '../metrics/index.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Db } from '../storage/db.js';
import type { RestApiDirectory } from './apigateway/directory.js';
import { createApiGatewayService } from './apigateway/index.js';
import { createApiGatewayV2Service } from './apigatewayv2/index.js';
import type { ApiGatewayV2Store } from './apigatewayv2/store.js';
import { createCloudWatchService } from './cloudwatch/index.js';
import { createIamService } from './iam/index.js';
import { createLambdaService } from './lambda/index.js';
import { createLogsService, type LogsApi } from './logs/index.js';
import { createS3Service } from './s3/index.js';
import type { Service } from './service.js';
import { createStsService } from './sts/index.js';

export interface ServiceDeps {
  config: Config;
  db: Db;
  blobs: BlobStore;
  logger: Logger;
  /** CloudWatch Logs' internal API (append, tail), for services that write logs (Lambda). */
  logs?: LogsApi;
  /** The invocation pipeline (execution environments), for services that run functions. */
  invoker: Invoker;
  /** The metrics registry CloudWatch reads and the platform records into. */
  metrics?: Metrics;
  /** Users, roles, policies and sessions: IAM and STS serve it, the gateway authenticates with it. */
  identities?: IdentityStore;
  /** The IAM decisions the gateway makes, also for event sources' callers of functions. */
  authorizer?: Authorizer;
  /**
   * Where a service records the events its writes cause (bucket notifications, topic
   * deliveries), inside the write's own transaction; event-sources/ delivers them.
   */
  outbox?: Outbox;
  /** The port clients reach the platform on (known once it listens; port 0 picks one). */
  publicPort?: () => number;
}

/**
 * CloudWatch Logs is created first: other services write to it through `deps.logs`. The
 * gateway's fallback codec is the first service's, so Lambda stays first in the list.
 */
export function createServices(deps: ServiceDeps): {
  services: Service[];
  logs: LogsApi;
  /** How event sources (function URLs, API Gateway, notifications) invoke functions. */
  functions: FunctionInvoker;
  /** Function URLs by id, for their front door (event-sources/http). */
  functionUrls: FunctionUrlDirectory;
  /** HTTP APIs, for their invoke URLs (event-sources/http/api-gateway.ts). */
  httpApis: ApiGatewayV2Store;
  /** REST APIs' ids and deployed stages, for their invoke URLs (event-sources/http/rest-api-door.ts). */
  restApis: RestApiDirectory;
} {
  const logs = createLogsService(deps);
  const s3 = createS3Service({ db: deps.db, dataDir: deps.config.dataDir });
  const lambda = createLambdaService({ ...deps, codeObjects: s3.objects });
  const apigateway = createApiGatewayService({ db: deps.db });
  const apigatewayv2 = createApiGatewayV2Service({ db: deps.db });
  return {
    functions: lambda.functions,
    functionUrls: lambda.functionUrls,
    httpApis: apigatewayv2.store,
    restApis: apigateway.directory,
    services: [
      lambda,
      logs.service,
      apigateway.service,
      ...(deps.metrics ? [createCloudWatchService({ metrics: deps.metrics.registry })] : []),
      ...(deps.identities
        ? [
            createIamService({ store: deps.identities }),
            createStsService({
              store: deps.identities,
              trust: createTrustPolicies(deps.identities),
              durationScale: deps.config.iam.sessionDurationScale,
            }),
          ]
        : []),
      apigatewayv2.service,
      s3,
    ],
    logs: logs.api,
  };
}
