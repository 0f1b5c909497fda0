/**
 * The Lambda proxy event of an API Gateway REST API (payload format 1.0 as REST APIs build it),
 * from a small description of the request: a pure function, so that it is tested alone and the
 * HTTP API's 1.0 builder can be reconciled with it.
 *
 * Facts from the recordings (test_apigateway_lambda::test_lambda_aws_proxy_integration):
 * - `path` is the request path after the stage, as sent (not percent-decoded), with leading
 *   slashes collapsed to one and a trailing slash kept; `requestContext.path` is the whole
 *   path as sent, stage included.
 * - query strings are form-decoded (`+` is a space); `queryStringParameters` keeps the last
 *   value of a repeated key, `multiValueQueryStringParameters` all of them; both null when
 *   there is no query.
 * - headers keep the casing they arrived in; `headers` the last value of a repeated header,
 *   `multiValueHeaders` all of them.
 * - `body` is null without one; `isBase64Encoded` is true only for a body of one of the API's
 *   binary media types (then base64), else the body is the UTF-8 text.
 * - identity's fields other than sourceIp and userAgent are null without an authorizer.
 */

export interface RestProxyRequest {
  method: string;
  /** The path after the stage, as sent (e.g. `/items/42`, `//x`, `/a/`). */
  path: string;
  /** The whole path as sent, stage included (e.g. `/prod/items/42`). */
  fullPath: string;
  /** The query string as sent, without `?` (empty when none). */
  rawQuery: string;
  /** Header names and values in arrival order and casing (Node's `rawHeaders`). */
  rawHeaders: readonly string[];
  body: Buffer;
  /** Whether the body is of a binary media type of the API (sent base64). */
  binaryBody: boolean;
  sourceIp: string;
  /** `HTTP/1.1`. */
  protocol: string;
  /** The Host the client used, without the port. */
  domainName: string;
  requestId: string;
  extendedRequestId: string;
  /** Epoch milliseconds the request arrived. */
  timeEpochMs: number;
  apiId: string;
  stage: string;
  accountId: string;
  deploymentId: string;
  resourceId: string;
  /** The matched resource's path template, e.g. `/{proxy+}`. */
  resourcePath: string;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
}

export function buildRestProxyEvent(req: RestProxyRequest): Record<string, unknown> {
  const { headers, multiValueHeaders } = headerMaps(req.rawHeaders);
  const query = queryMaps(req.rawQuery);
  const userAgent = lastHeader(req.rawHeaders, 'user-agent');
  return {
    resource: req.resourcePath,
    path: eventPath(req.path),
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query?.single ?? null,
    multiValueQueryStringParameters: query?.multi ?? null,
    pathParameters: req.pathParameters,
    stageVariables: req.stageVariables,
    requestContext: {
      resourceId: req.resourceId,
      resourcePath: req.resourcePath,
      httpMethod: req.method,
      extendedRequestId: req.extendedRequestId,
      requestTime: requestTime(req.timeEpochMs),
      path: req.fullPath,
      accountId: req.accountId,
      protocol: req.protocol,
      stage: req.stage,
      domainPrefix: req.domainName.split('.')[0] ?? req.domainName,
      requestTimeEpoch: req.timeEpochMs,
      requestId: req.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: req.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: userAgent ?? null,
        user: null,
      },
      domainName: req.domainName,
      deploymentId: req.deploymentId,
      apiId: req.apiId,
    },
    body:
      req.body.length === 0 ? null : req.binaryBody ? req.body.toString('base64') : req.body.toString('utf8'),
    isBase64Encoded: req.body.length > 0 && req.binaryBody,
  };
}

/** `/` + the path after the stage with its leading slashes collapsed (recorded: `//x` → `/x`). */
export function eventPath(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}

function headerMaps(raw: readonly string[]): {
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
} {
  if (raw.length === 0) return { headers: null, multiValueHeaders: null };
  const headers: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  // The first casing seen names a header; later ones with other casing join it.
  const names = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    const key = names.get(lower) ?? name;
    names.set(lower, key);
    headers[key] = value;
    const list = multi[key];
    if (list) list.push(value);
    else multi[key] = [value];
  }
  return { headers, multiValueHeaders: multi };
}

function lastHeader(raw: readonly string[], lowerName: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === lowerName) found = raw[i + 1];
  }
  return found;
}

function queryMaps(
  rawQuery: string,
): { single: Record<string, string>; multi: Record<string, string[]> } | undefined {
  if (rawQuery === '') return undefined;
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = formDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : formDecode(pair.slice(eq + 1));
    single[key] = value;
    const list = multi[key];
    if (list) list.push(value);
    else multi[key] = [value];
  }
  return Object.keys(single).length === 0 ? undefined : { single, multi };
}

function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `02/Dec/2026:07:29:14 +0000`, as REST APIs write requestTime. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}
