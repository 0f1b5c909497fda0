/**
 * API Gateway v2's resources as stored and returned (the wire shapes, lower camel case), their
 * ids, and what a deployment freezes: the routes and integrations a stage serves.
 */
import { randomInt } from 'node:crypto';

export type ChildKind = 'route' | 'integration' | 'stage' | 'deployment' | 'authorizer';

export interface CorsDoc {
  allowCredentials?: boolean;
  allowHeaders?: string[];
  allowMethods?: string[];
  allowOrigins?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface ApiDoc {
  apiEndpoint: string;
  apiId: string;
  apiKeySelectionExpression: string;
  corsConfiguration?: CorsDoc;
  createdDate: string;
  description?: string;
  disableExecuteApiEndpoint: boolean;
  disableSchemaValidation?: boolean;
  ipAddressType: string;
  name: string;
  protocolType: 'HTTP' | 'WEBSOCKET';
  routeSelectionExpression: string;
  tags: Record<string, string>;
  version?: string;
}

export interface RouteDoc {
  apiGatewayManaged?: boolean;
  apiKeyRequired: boolean;
  authorizationScopes?: string[];
  authorizationType: string;
  authorizerId?: string;
  operationName?: string;
  requestParameters?: Record<string, unknown>;
  routeId: string;
  routeKey: string;
  target?: string;
}

export interface IntegrationDoc {
  apiGatewayManaged?: boolean;
  connectionType: string;
  description?: string;
  integrationId: string;
  integrationMethod?: string;
  integrationType: 'AWS_PROXY' | 'HTTP_PROXY';
  integrationUri: string;
  payloadFormatVersion: '1.0' | '2.0';
  requestParameters?: Record<string, string>;
  timeoutInMillis: number;
}

export interface StageDoc {
  apiGatewayManaged?: boolean;
  autoDeploy: boolean;
  createdDate: string;
  defaultRouteSettings: Record<string, unknown>;
  deploymentId?: string;
  description?: string;
  lastDeploymentStatusMessage?: string;
  lastUpdatedDate: string;
  routeSettings: Record<string, unknown>;
  stageName: string;
  stageVariables: Record<string, string>;
  tags: Record<string, string>;
}

export interface AuthorizerDoc {
  authorizerId: string;
  authorizerPayloadFormatVersion?: '1.0' | '2.0';
  authorizerResultTtlInSeconds: number;
  authorizerType: 'REQUEST' | 'JWT';
  authorizerUri?: string;
  enableSimpleResponses?: boolean;
  identitySource: string[];
  jwtConfiguration?: { audience?: string[]; issuer?: string };
  name: string;
}

/** What a deployment froze: served by every stage that points at it. Not part of the API's answers. */
export interface DeploymentSnapshot {
  routes: RouteDoc[];
  integrations: IntegrationDoc[];
  /** Absent in deployments made before authorizers existed. */
  authorizers?: AuthorizerDoc[];
}

export interface DeploymentDoc {
  autoDeployed: boolean;
  createdDate: string;
  deploymentId: string;
  deploymentStatus: 'DEPLOYED';
  description?: string;
  /** Kept with the row, stripped from answers (views.ts). */
  snapshot: DeploymentSnapshot;
}

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random id of AWS's form: APIs 10 characters, routes and integrations 7, deployments 6. */
export function newId(length: number, taken: (id: string) => boolean): string {
  for (;;) {
    let id = '';
    for (let i = 0; i < length; i++) id += ID_CHARS[randomInt(ID_CHARS.length)];
    if (!taken(id)) return id;
  }
}

export const ISO_NOW = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
