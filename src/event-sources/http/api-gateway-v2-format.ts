/**
 * Payload format 2.0 for HTTP API routes, behind one small seam. The function URL work owns the
 * 2.0 builder (payload-v2.ts) and its response mapping; until it is in main, this interim
 * version serves HTTP APIs, and switching means replacing the two bodies below with calls to it.
 *
 * 2.0, as AWS documents it: lower-case header names with repeated values joined by commas,
 * `cookies` taken out of the headers, `rawQueryString` ("" when none), query values joined by
 * commas, absent (not null) empty fields; an answer without `statusCode` that is valid JSON is
 * 200 `application/json` with the JSON as the body.
 */

import type { V1Context } from './payload-v1.js';
import { bodyIsText, clfTime, type HttpRequestFacts, headerOf, queryPairs } from './request.js';
import type { HttpAnswer } from './response-v1.js';

export function buildV2Event(facts: HttpRequestFacts, ctx: V1Context): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < facts.rawHeaders.length; i += 2) {
    const name = (facts.rawHeaders[i] as string).toLowerCase();
    const value = facts.rawHeaders[i + 1] as string;
    if (name === 'cookie') {
      cookies.push(...value.split(/;\s*/).filter((c) => c !== ''));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of queryPairs(facts.rawQuery)) query[k] = k in query ? `${query[k]},${v}` : v;
  const text = bodyIsText(facts.body, headerOf(facts, 'content-type'));
  const time = facts.time;
  return {
    version: '2.0',
    routeKey: ctx.routeKey,
    rawPath: facts.rawPath,
    rawQueryString: facts.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      ...(ctx.authorizer?.jwt
        ? { authorizer: { jwt: ctx.authorizer.jwt } }
        : ctx.authorizer
          ? { authorizer: { lambda: ctx.authorizer.context } }
          : {}),
      domainName: ctx.domainName,
      domainPrefix: ctx.domainName.split('.')[0],
      http: {
        method: facts.method,
        path: facts.rawPath,
        protocol: facts.protocol,
        sourceIp: facts.sourceIp,
        userAgent: headerOf(facts, 'user-agent') ?? '',
      },
      requestId: ctx.requestId,
      routeKey: ctx.routeKey,
      stage: ctx.stage,
      time: clfTime(time),
      timeEpoch: time.getTime(),
    },
    ...(Object.keys(ctx.pathParameters).length > 0 ? { pathParameters: { ...ctx.pathParameters } } : {}),
    ...(Object.keys(ctx.stageVariables).length > 0 ? { stageVariables: { ...ctx.stageVariables } } : {}),
    ...(facts.body.length > 0
      ? { body: text ? facts.body.toString('utf8') : facts.body.toString('base64') }
      : {}),
    isBase64Encoded: facts.body.length > 0 && !text,
  };
}

export function mapV2Response(payload: Buffer): HttpAnswer | undefined {
  const text = payload.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const json = (): HttpAnswer => ({
    status: 200,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(text, 'utf8'),
  });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return json();
  const r = doc as Record<string, unknown>;
  if (r.statusCode === undefined) return json();
  if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode)) return undefined;
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) {
    if (value !== null && typeof value !== 'object') headers.push([name.toLowerCase(), String(value)]);
  }
  if (Array.isArray(r.cookies)) for (const c of r.cookies) headers.push(['set-cookie', String(c)]);
  const body = typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body);
  return {
    status: r.statusCode,
    headers,
    body: r.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}
