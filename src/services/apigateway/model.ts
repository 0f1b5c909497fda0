/**
 * The stored shapes of REST APIs, in AWS's own field names (what the API returns), so that a
 * read is a JSON parse and a write a JSON stringify. Dates are epoch seconds, as API Gateway
 * sends timestamps in rest-json.
 */

export interface Scope {
  accountId: string;
  region: string;
}

export interface RestApiDoc {
  id: string;
  name: string;
  description?: string;
  createdDate: number;
  version?: string;
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  apiKeySource: string;
  endpointConfiguration: { types: string[]; ipAddressType?: string; vpcEndpointIds?: string[] };
  policy?: string;
  tags?: Record<string, string>;
  disableExecuteApiEndpoint: boolean;
  rootResourceId: string;
}

export interface IntegrationResponseDoc {
  statusCode: string;
  selectionPattern?: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
  contentHandling?: string;
}

export interface IntegrationDoc {
  type: string;
  httpMethod?: string;
  uri?: string;
  connectionType?: string;
  connectionId?: string;
  credentials?: string;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  passthroughBehavior: string;
  contentHandling?: string;
  timeoutInMillis: number;
  /** `STREAM`: the response goes to the client as the function writes it (absent: BUFFERED). */
  responseTransferMode?: string;
  cacheNamespace: string;
  cacheKeyParameters: string[];
  integrationResponses?: Record<string, IntegrationResponseDoc>;
  tlsConfig?: { insecureSkipVerification?: boolean };
}

export interface MethodResponseDoc {
  statusCode: string;
  responseParameters?: Record<string, boolean>;
  responseModels?: Record<string, string>;
}

export interface MethodDoc {
  httpMethod: string;
  authorizationType: string;
  authorizerId?: string;
  apiKeyRequired: boolean;
  requestValidatorId?: string;
  operationName?: string;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
  methodResponses?: Record<string, MethodResponseDoc>;
  methodIntegration?: IntegrationDoc;
  authorizationScopes?: string[];
}

export interface ResourceDoc {
  id: string;
  parentId?: string;
  pathPart?: string;
  path: string;
  resourceMethods?: Record<string, MethodDoc>;
}

export interface DeploymentDoc {
  id: string;
  description?: string;
  createdDate: number;
}

export interface StageDoc {
  deploymentId: string;
  stageName: string;
  description?: string;
  cacheClusterEnabled: boolean;
  cacheClusterSize?: string;
  cacheClusterStatus: string;
  methodSettings: Record<string, unknown>;
  variables?: Record<string, string>;
  documentationVersion?: string;
  tracingEnabled: boolean;
  tags?: Record<string, string>;
  createdDate: number;
  lastUpdatedDate: number;
}

export interface AuthorizerDoc {
  id: string;
  name: string;
  type: string;
  providerARNs?: string[];
  authType?: string;
  authorizerUri?: string;
  authorizerCredentials?: string;
  identitySource?: string;
  identityValidationExpression?: string;
  authorizerResultTtlInSeconds?: number;
}

/** What a deployment froze: the resource tree with its methods, served by the stages on it. */
export interface DeploymentSnapshot {
  resources: ResourceDoc[];
  binaryMediaTypes: string[];
  /** The API's authorizers when deployed (absent in deployments made before authorizers existed). */
  authorizers?: AuthorizerDoc[];
}

/** A stage as the invoke path needs it, with its API's owner. */
export interface DeployedStage {
  apiId: string;
  accountId: string;
  region: string;
  stageName: string;
  deploymentId: string;
  variables: Record<string, string> | undefined;
  snapshot: DeploymentSnapshot;
}
