/**
 * Payload format 2.0 for HTTP API routes: the one 2.0 builder (payload-v2.ts) and the one 2.0
 * response mapping (response-v2.ts) that function URLs use, fed with what an HTTP API adds —
 * the route key, the stage, path parameters, stage variables and the authorizer's result
 * (`requestContext.authorizer.jwt` or `.lambda`) — and with the account that owns the API as
 * `requestContext.accountId`. This file only adapts API Gateway's request facts (raw headers,
 * a Date) to the builder's, and the mapped response to the door's HttpAnswer.
 */

import type { V1Context } from './payload-v1.js';
import { buildPayloadV2 } from './payload-v2.js';
import type { HttpRequestFacts } from './request.js';
import type { HttpAnswer } from './response-v1.js';
import { mapResponseV2 } from './response-v2.js';

export function buildV2Event(facts: HttpRequestFacts, ctx: V1Context): Record<string, unknown> {
  // Lower-case names, every value in arrival order (as Node's headersDistinct gives them).
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < facts.rawHeaders.length; i += 2) {
    const name = (facts.rawHeaders[i] as string).toLowerCase();
    const value = facts.rawHeaders[i + 1] as string;
    const values = headers[name];
    if (values) values.push(value);
    else headers[name] = [value];
  }
  const authorizer = ctx.authorizer?.jwt
    ? { jwt: ctx.authorizer.jwt }
    : ctx.authorizer
      ? { lambda: ctx.authorizer.context }
      : undefined;
  return buildPayloadV2(
    {
      method: facts.method,
      rawPath: facts.rawPath,
      rawQuery: facts.rawQuery,
      headers,
      body: facts.body,
      sourceIp: facts.sourceIp,
      protocol: facts.protocol,
      timeMs: facts.time.getTime(),
    },
    {
      routeKey: ctx.routeKey,
      stage: ctx.stage,
      apiId: ctx.apiId,
      domainName: ctx.domainName,
      domainPrefix: ctx.domainName.split('.')[0] ?? ctx.domainName,
      accountId: ctx.accountId,
      requestId: ctx.requestId,
      ...(authorizer ? { authorizer } : {}),
      ...(Object.keys(ctx.pathParameters).length > 0 ? { pathParameters: { ...ctx.pathParameters } } : {}),
      ...(Object.keys(ctx.stageVariables).length > 0 ? { stageVariables: { ...ctx.stageVariables } } : {}),
    },
  );
}

export function mapV2Response(payload: Buffer): HttpAnswer | undefined {
  const mapped = mapResponseV2(payload);
  if (!mapped) return undefined;
  const headers: Array<[string, string]> = [];
  for (const [name, values] of mapped.headers) for (const value of values) headers.push([name, value]);
  return { status: mapped.status, headers, body: mapped.body };
}
