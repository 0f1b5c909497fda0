/**
 * The payload format 2.0 event (API Gateway HTTP APIs and Lambda function URLs) from an HTTP
 * request, as AWS builds it: `rawPath` as sent (still percent-encoded), `rawQueryString` as sent
 * ("" without one, never null), headers lower-cased with repeated ones joined by ',', the
 * `cookie` header moved into `cookies`, query parameters decoded and repeated ones joined by
 * ',', a body that is not text base64-encoded, no `body` at all when there is none.
 *
 * What differs between the two products (route key, stage, path parameters, authorizer
 * context, the caller's account) comes in a `PayloadRoute`, so API Gateway's routes reuse this.
 * Which bodies are text is body-text.ts's one rule.
 */
import { bodyIsText } from './body-text.js';

/** The request as received, before any product's rules. */
export interface HttpRequestFacts {
  method: string;
  /** Path exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Query exactly as received, without '?'; '' when there is none. */
  rawQuery: string;
  /** Lower-case names; every value of a repeated header (Node's `req.headersDistinct`). */
  headers: Readonly<Record<string, readonly string[] | undefined>>;
  body: Buffer;
  sourceIp: string;
  /** `HTTP/1.1` */
  protocol: string;
  /** Epoch milliseconds when the request arrived. */
  timeMs: number;
}

/** What the product in front of the function says about the request. */
export interface PayloadRoute {
  /** `$default` for function URLs; `GET /items/{id}` for an HTTP API route. */
  routeKey: string;
  /** `$default` for function URLs; the stage name for an HTTP API. */
  stage: string;
  /** The URL id, or the HTTP API's id. */
  apiId: string;
  domainName: string;
  domainPrefix: string;
  /** `anonymous` for unauthenticated callers, else the caller's account. */
  accountId: string;
  requestId: string;
  /** The path the handler sees (the path-style prefix of a URL removed); default rawPath. */
  path?: string;
  /** `requestContext.authorizer` (`{ iam: {...} }` under AWS_IAM). */
  authorizer?: Record<string, unknown>;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `requestContext.time`: `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Decoded query parameters, repeated keys joined by ','; undefined when there are none. */
export function queryParameters(rawQuery: string): Record<string, string> | undefined {
  if (rawQuery === '') return undefined;
  const out: Record<string, string> = {};
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const key = decode(at === -1 ? pair : pair.slice(0, at));
    const value = at === -1 ? '' : decode(pair.slice(at + 1));
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function buildPayloadV2(req: HttpRequestFacts, route: PayloadRoute): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, values] of Object.entries(req.headers)) {
    if (!values) continue;
    if (name === 'cookie') {
      for (const v of values) {
        for (const c of v.split(';')) {
          const cookie = c.trim();
          if (cookie) cookies.push(cookie);
        }
      }
      continue;
    }
    headers[name] = values.join(',');
  }
  const query = queryParameters(req.rawQuery);
  const hasBody = req.body.length > 0;
  const text = hasBody && bodyIsText(req.body, headers['content-type']);
  const path = route.path ?? req.rawPath;
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: req.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: route.accountId,
      apiId: route.apiId,
      ...(route.authorizer ? { authorizer: route.authorizer } : {}),
      domainName: route.domainName,
      domainPrefix: route.domainPrefix,
      http: {
        method: req.method,
        path,
        protocol: req.protocol,
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: route.requestId,
      routeKey: route.routeKey,
      stage: route.stage,
      time: requestTime(req.timeMs),
      timeEpoch: req.timeMs,
    },
    ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
    ...(hasBody ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !text,
    ...(route.stageVariables ? { stageVariables: route.stageVariables } : {}),
  };
}
