/** What API Gateway's operations share. */
import type { RequestContext } from '../../protocols/types.js';
import type { RestApiDirectory } from './directory.js';
import { invalidApiId } from './errors.js';
import type { RestApiDoc, Scope } from './model.js';
import type { RestApiStore } from './store.js';

export interface ApiGatewayDeps {
  store: RestApiStore;
  directory: RestApiDirectory;
  /** Epoch milliseconds. */
  clock: () => number;
}

export const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.accountId, region: ctx.region });

/** The caller's API, or AWS's NotFoundException. */
export function requireApi(deps: ApiGatewayDeps, ctx: RequestContext, id: string): RestApiDoc {
  const api = deps.store.getApi(scopeOf(ctx), id);
  if (!api) throw invalidApiId(ctx.accountId, id);
  return api;
}

/** Epoch seconds, as API Gateway's timestamps travel. */
export const nowSeconds = (deps: ApiGatewayDeps): number => Math.floor(deps.clock() / 1000);
