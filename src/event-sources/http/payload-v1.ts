/**
 * API Gateway's payload format 1.0 (HTTP APIs' Lambda proxy integration, and REST APIs'),
 * as AWS builds it: `headers` and `queryStringParameters` hold the last value of each name,
 * `multiValueHeaders` and `multiValueQueryStringParameters` all of them; header names as the
 * client sent them; null (not absent) for empty maps and an empty body; `resource` and
 * `requestContext.resourcePath` are the route's path (`$default` for the default route),
 * `requestContext.resourceId` the route key; `path` includes a named stage.
 */
import { bodyIsText } from './body-text.js';
import { clfTime, type HttpRequestFacts, headerOf, queryPairs } from './request.js';

export interface V1Context {
  accountId: string;
  apiId: string;
  domainName: string;
  stage: string;
  routeKey: string;
  requestId: string;
  pathParameters: Readonly<Record<string, string>>;
  stageVariables: Readonly<Record<string, string>>;
  /** What a Lambda authorizer allowed with: its context (and principalId, 1.0). */
  authorizer?: {
    context: Record<string, unknown>;
    principalId?: string;
    /** A JWT authorizer's verified claims and scopes. */
    jwt?: { claims: Record<string, string>; scopes: string[] | null };
  };
}

export function buildV1Event(facts: HttpRequestFacts, ctx: V1Context): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  // Names grouped case-insensitively under the first spelling seen.
  const spelling = new Map<string, string>();
  for (let i = 0; i + 1 < facts.rawHeaders.length; i += 2) {
    const sent = facts.rawHeaders[i] as string;
    const value = facts.rawHeaders[i + 1] as string;
    const lower = sent.toLowerCase();
    let name = spelling.get(lower);
    if (name === undefined) {
      name = sent;
      spelling.set(lower, sent);
      multiValueHeaders[name] = [];
    }
    headers[name] = value;
    multiValueHeaders[name]?.push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of queryPairs(facts.rawQuery)) {
    query[k] = v;
    const list = multiQuery[k] ?? [];
    list.push(v);
    multiQuery[k] = list;
  }
  const hasQuery = Object.keys(query).length > 0;
  const resource =
    ctx.routeKey === '$default' ? '$default' : ctx.routeKey.slice(ctx.routeKey.indexOf(' ') + 1);
  const path = decodePath(facts.rawPath);
  const text = bodyIsText(facts.body, headerOf(facts, 'content-type'));
  return {
    version: '1.0',
    resource,
    path,
    httpMethod: facts.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      // A Lambda authorizer's context (and principalId), else AWS's nulls.
      authorizer: ctx.authorizer?.jwt
        ? { claims: ctx.authorizer.jwt.claims, scopes: ctx.authorizer.jwt.scopes }
        : ctx.authorizer
          ? {
              ...ctx.authorizer.context,
              ...(ctx.authorizer.principalId !== undefined
                ? { principalId: ctx.authorizer.principalId }
                : {}),
            }
          : { claims: null, scopes: null },
      domainName: ctx.domainName,
      domainPrefix: ctx.domainName.split('.')[0],
      extendedRequestId: ctx.requestId,
      httpMethod: facts.method,
      identity: {
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: facts.sourceIp,
        user: null,
        userAgent: headerOf(facts, 'user-agent') ?? '',
        userArn: null,
      },
      path,
      protocol: facts.protocol,
      requestId: ctx.requestId,
      requestTime: clfTime(facts.time),
      requestTimeEpoch: facts.time.getTime(),
      resourceId: ctx.routeKey,
      resourcePath: resource,
      stage: ctx.stage,
    },
    pathParameters: Object.keys(ctx.pathParameters).length > 0 ? { ...ctx.pathParameters } : null,
    stageVariables: Object.keys(ctx.stageVariables).length > 0 ? { ...ctx.stageVariables } : null,
    body: facts.body.length === 0 ? null : text ? facts.body.toString('utf8') : facts.body.toString('base64'),
    isBase64Encoded: facts.body.length > 0 && !text,
  };
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
