/**
 * API Gateway as the caller of a function (REST and HTTP APIs, their integrations and
 * authorizers): the service principal with the execute-api source ARN and account, so that the
 * function's resource policy decides as on AWS.
 */

import { servicePrincipal } from '../../iam/principal.js';
import type { InvocationCaller } from '../function-invoker.js';

export const API_GATEWAY = 'apigateway.amazonaws.com';

/** `arn:aws:execute-api:<region>:<account>:<api-id>/<rest>` — rest: `<stage>/<METHOD>/<path>` or `authorizers/<id>`. */
export function executeApiArn(region: string, accountId: string, apiId: string, rest: string): string {
  return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${rest}`;
}

export function apiGatewayCaller(sourceArn: string, sourceAccount: string): InvocationCaller {
  return { principal: servicePrincipal(API_GATEWAY), sourceArn, sourceAccount };
}
