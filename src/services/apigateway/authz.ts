/**
 * What IAM checks for API Gateway's management operations (Service Authorization Reference,
 * "Amazon API Gateway Management"): the action is the HTTP verb (`apigateway:GET`, `POST`,
 * `PUT`, `PATCH`, `DELETE`) and the resource is the path the request names, as an ARN without
 * an account: `arn:aws:apigateway:<region>::/restapis/<id>/resources/<id>/methods/GET`.
 */
import type { Operation } from '../../protocols/types.js';
import { apigatewayArn } from './ids.js';

export function withApiGatewayAuthz(ops: readonly Operation[]): Operation[] {
  return ops.map((op) => {
    const template = op.http.path.split('?')[0] ?? op.http.path;
    // URI label → input member (`restapi_id` → `restApiId`).
    const members = new Map(
      Object.entries(op.input.members)
        .filter(([, m]) => m.location === 'uri')
        .map(([name, m]) => [m.locationName ?? name, name]),
    );
    return {
      ...op,
      authz: op.authz ?? {
        action: `apigateway:${op.http.method}`,
        resources: (input, ctx) => {
          let unknown = false;
          const path = template.replace(/\{([^}+]+)\+?\}/g, (_, labelName: string) => {
            const value = input[members.get(labelName) ?? labelName];
            if (typeof value !== 'string' || value === '') unknown = true;
            return String(value);
          });
          return unknown ? ['*'] : [apigatewayArn(ctx.region, path)];
        },
      },
    };
  });
}
