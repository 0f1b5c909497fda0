/**
 * API Gateway's identifiers as AWS mints them: REST API ids and root resource ids are 10
 * lowercase alphanumerics, other resources and deployments 6 (e.g. `a1b2c3d4e5`, `x9y8z7`).
 */
import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newId(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export const newApiId = () => newId(10);
export const newRootResourceId = () => newId(10);
export const newResourceId = () => newId(6);
export const newDeploymentId = () => newId(6);
export const newAuthorizerId = () => newId(6);

/** A REST API id as AWS writes them: only these can name an API (any other string is "not found"). */
export const API_ID = /^[a-z0-9]{10}$/;

/** IAM resource ARN of a path under the API Gateway control plane (`/restapis/<id>/...`). */
export function apigatewayArn(region: string, path: string): string {
  return `arn:aws:apigateway:${region}::${path}`;
}
