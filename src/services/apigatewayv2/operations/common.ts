/** What every API Gateway v2 operation shares: its binding from the model, IAM, scope and lookups. */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { apiNotFound, BadRequestException, NotFoundException } from '../errors.js';
import type { ApiDoc, ChildKind } from '../model.js';
import { OPERATIONS } from '../shapes.generated.js';
import type { ApiGatewayV2Store, Scope } from '../store.js';

export interface OpDeps {
  store: ApiGatewayV2Store;
}

export type Input = Record<string, unknown>;

/**
 * An operation with its HTTP binding and input shape from the model. IAM: API Gateway's actions
 * are the HTTP method (`apigateway:POST`) on the resource path without `/v2`
 * (`arn:aws:apigateway:<region>::/apis/<id>/routes/<id>`), as its service authorization
 * reference defines them.
 */
export function op(name: string, handler: (input: Input, ctx: RequestContext) => unknown): Operation {
  const model = OPERATIONS[name];
  if (!model) throw new Error(`no model for ${name}`);
  const { method, path, status } = model.http;
  return {
    name,
    http: { method, path, status },
    input: model.input,
    authz: {
      action: `apigateway:${method}`,
      resources: (input, ctx) => [resourceArn(ctx.region, path, input)],
    },
    handler: (input, ctx) => handler(input, ctx) as Record<string, unknown>,
  };
}

function resourceArn(region: string, template: string, input: Input): string {
  const path = template.replace(/^\/v2/, '').replace(/\{(\w+)\}/g, (_m, label: string) => {
    const v = input[label];
    return typeof v === 'string' ? v : '*';
  });
  return `arn:aws:apigateway:${region}::${path}`;
}

export function scopeOf(ctx: RequestContext): Scope {
  return { accountId: ctx.accountId, region: ctx.region };
}

export function str(input: Input, key: string): string | undefined {
  const v = input[key];
  return typeof v === 'string' ? v : undefined;
}

export function mustApi(deps: OpDeps, ctx: RequestContext, input: Input): ApiDoc {
  const apiId = str(input, 'apiId') ?? '';
  const api = deps.store.getApi(scopeOf(ctx), apiId);
  if (!api) throw apiNotFound(ctx.accountId, apiId);
  return api;
}

const NOT_FOUND_WORDS: Record<ChildKind, string> = {
  route: 'Invalid Route identifier specified',
  integration: 'Invalid Integration identifier specified',
  stage: 'Invalid stage identifier specified',
  deployment: 'Invalid Deployment identifier specified',
  authorizer: 'Invalid Authorizer identifier specified',
};

export function notFound(kind: ChildKind): NotFoundException {
  return new NotFoundException(NOT_FOUND_WORDS[kind]);
}

/** The base URL of an API's invoke endpoint, on the listener the caller reached. */
export function apiEndpoint(ctx: RequestContext, apiId: string): string {
  let port = '';
  try {
    const url = new URL(ctx.endpoint);
    port = url.port ? `:${url.port}` : '';
  } catch {
    // A malformed Host header: the endpoint without a port.
  }
  return `http://${apiId}.execute-api.localhost${port}`;
}

/**
 * One page of a Get* list: `maxResults` items (all when absent) from the position `nextToken`
 * names (an opaque offset), with the next token while more remain.
 */
export function page<T>(all: readonly T[], input: Input): { items: T[]; nextToken?: string } {
  const token = str(input, 'nextToken');
  let start = 0;
  if (token !== undefined) {
    start = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0 || start > all.length) {
      throw new BadRequestException('Invalid pagination token provided');
    }
  }
  const max = typeof input.maxResults === 'string' ? Number.parseInt(input.maxResults, 10) : undefined;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new BadRequestException('MaxResults must be a positive integer');
  }
  const end = max === undefined ? all.length : Math.min(all.length, start + max);
  return {
    items: all.slice(start, end),
    ...(end < all.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}
