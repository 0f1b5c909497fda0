/**
 * HTTP APIs' invoke URLs: the front door (gateway/front-door.ts) for
 * `http://<api-id>.execute-api.<anything>/<stage>/<path>` (Host routing, as AWS routes
 * `<api-id>.execute-api.<region>.amazonaws.com`) and the path style
 * `/_aws/execute-api/<api-id>/<stage>/<path>` on the same listener.
 *
 * A request picks its stage (a named stage by the first path segment, else `$default`), the
 * stage's deployment (undeployed routes are not served), a route (route-keys.ts), answers CORS
 * from the API's CorsConfiguration, runs the route's Lambda authorizer if it has one
 * (api-gateway-authorizers.ts), and calls the route's integration: a Lambda function
 * through the FunctionInvoker as `apigateway.amazonaws.com` with the execute-api source ARN (the
 * function's policy decides, as on AWS), or a URL (HTTP_PROXY). Errors are API Gateway's: 404
 * `{"message":"Not Found"}`, 500 `{"message":"Internal Server Error"}` when the function may not
 * be called, fails or answers something that is not a proxy response, 413 past 10 MB.
 */

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FrontDoor } from '../../gateway/front-door.js';
import { BodyTooLargeError, readBody } from '../../gateway/read-body.js';
import { leaveBodyUnread } from '../../gateway/unread-body.js';
import type { AuthorizerDoc, IntegrationDoc, RouteDoc } from '../../services/apigatewayv2/model.js';
import { lambdaTargetOf } from '../../services/apigatewayv2/operations/integrations.js';
import { RouteTable } from '../../services/apigatewayv2/route-keys.js';
import type { ApiGatewayV2Store } from '../../services/apigatewayv2/store.js';
import type { Logger } from '../../shared/logger.js';
import type { FunctionInvoker } from '../function-invoker.js';
import { createAuthorizerRunner } from './api-gateway-authorizers.js';
import { apiGatewayCaller, executeApiArn } from './api-gateway-caller.js';
import { createJwtVerifier } from './api-gateway-jwt.js';
import { buildV2Event, mapV2Response } from './api-gateway-v2-format.js';
import { corsHeaders, isPreflight, preflightHeaders } from './cors.js';
import { buildV1Event, type V1Context } from './payload-v1.js';
import { apiGatewayRequestId, type HttpRequestFacts, headerOf } from './request.js';
import { type HttpAnswer, mapV1Response } from './response-v1.js';

/** HTTP APIs' payload quota (AWS: 10 MB); Lambda's own 6 MB applies to the event after that. */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;
const PATH_STYLE = '/_aws/execute-api/';
/**
 * A function's answer that is not a proxy response (payload 1.0), or not even JSON: HTTP APIs
 * answer 500 ("API Gateway doesn't make assumptions of the response and returns a 500 error",
 * AWS knowledge center, api-gateway-status-codes-http-api); REST APIs answer 502.
 */
const MALFORMED_RESPONSE_STATUS = 500;
const HOST_STYLE = /^([a-z0-9]{10})\.execute-api\./;

interface Compiled {
  table: RouteTable<RouteDoc>;
  integrations: Map<string, IntegrationDoc>;
  authorizers: Map<string, AuthorizerDoc>;
}

const MAX_COMPILED = 500;

export function createApiGatewayFrontDoor(deps: {
  store: ApiGatewayV2Store;
  functions: FunctionInvoker;
  logger: Logger;
  bodyIdleTimeoutMs: number;
}): FrontDoor {
  // The caller sees only AWS's 500; the operator learns why (once per distinct reason).
  const warned = new Set<string>();
  const warnOnce = (text: string) => {
    if (warned.has(text) || warned.size >= 1000) return;
    warned.add(text);
    deps.logger.warn(text);
  };
  const authorize = createAuthorizerRunner({ functions: deps.functions, warn: warnOnce });
  const verifyJwt = createJwtVerifier({ warn: warnOnce });
  // Deployments never change once made: each is compiled once.
  const compiled = new Map<string, Compiled>();
  /** The deployment's routes, read and compiled on first use: one row read per deployment, not per request. */
  function compiledDeployment(apiId: string, deploymentId: string | undefined): Compiled | undefined {
    if (deploymentId === undefined) return undefined;
    let c = compiled.get(deploymentId);
    if (!c) {
      const deployment = deps.store.get(apiId, 'deployment', deploymentId);
      if (!deployment) return undefined;
      if (compiled.size >= MAX_COMPILED) compiled.clear();
      c = {
        table: new RouteTable(deployment.snapshot.routes),
        integrations: new Map(deployment.snapshot.integrations.map((i) => [i.integrationId, i])),
        authorizers: new Map((deployment.snapshot.authorizers ?? []).map((a) => [a.authorizerId, a])),
      };
      compiled.set(deploymentId, c);
    }
    return c;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = apiGatewayRequestId();
    const time = new Date();
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const fullPath = q === -1 ? target : target.slice(0, q);
    const rawQuery = q === -1 ? '' : target.slice(q + 1);
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    // Which API, and the path as the API sees it (after the path-style prefix).
    let apiId: string;
    let apiPath: string;
    const hostMatch = HOST_STYLE.exec(host);
    if (hostMatch) {
      apiId = hostMatch[1] as string;
      apiPath = fullPath;
    } else {
      const rest = fullPath.slice(PATH_STYLE.length);
      const slash = rest.indexOf('/');
      apiId = slash === -1 ? rest : rest.slice(0, slash);
      apiPath = slash === -1 ? '/' : rest.slice(slash);
    }
    // An answer before the body was read (no such API, stage or route; a preflight) leaves the
    // body unread and the connection to close, instead of reading it to its end.
    const reply = (answer: HttpAnswer) => {
      leaveBodyUnread(req);
      send(res, answer, requestId);
    };
    const found = deps.store.findApi(apiId);
    if (!found) return reply(message(404, 'Not Found'));
    if (found.api.protocolType !== 'HTTP') return reply(message(404, 'Not Found'));
    const { api, scope } = found;
    if (api.disableExecuteApiEndpoint) return reply(message(403, 'Forbidden'));

    // The stage: a named one by the first segment, else `$default` with the whole path.
    const segments = apiPath === '/' ? [] : apiPath.slice(1).split('/');
    const first = segments[0];
    let stage =
      first !== undefined && first !== '$default' ? deps.store.get(api.apiId, 'stage', first) : undefined;
    let routeSegments = segments;
    if (stage) routeSegments = segments.slice(1);
    else stage = deps.store.get(api.apiId, 'stage', '$default');
    if (!stage) return reply(message(404, 'Not Found'));
    const deployment = compiledDeployment(api.apiId, stage.deploymentId);

    const cors = api.corsConfiguration;
    const origin = req.headers.origin;
    // AWS answers preflights itself when CORS is configured, whatever the routes.
    if (cors && req.method === 'OPTIONS' && isPreflight(req.headers)) {
      return reply({ status: 204, headers: preflightHeaders(cors, req.headers), body: Buffer.alloc(0) });
    }
    if (!deployment) return reply(message(404, 'Not Found'));
    const { table, integrations, authorizers } = deployment;
    const method = req.method ?? 'GET';
    const match = table.match(method, routeSegments);
    const integrationId = match?.route.target?.replace(/^integrations\//, '');
    const integration = integrationId ? integrations.get(integrationId) : undefined;
    if (!match || !integration) return reply(withCors(message(404, 'Not Found')));

    let body: Buffer;
    try {
      body = (
        await readBody(req, {
          limit: HTTP_API_MAX_BODY_BYTES,
          idleTimeoutMs: deps.bodyIdleTimeoutMs,
          hash: false,
        })
      ).body;
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.shouldKeepAlive = false;
        return reply(withCors(message(413, 'Request Entity Too Large')));
      }
      res.shouldKeepAlive = false;
      return reply(message(400, 'Bad Request'));
    }
    const facts: HttpRequestFacts = {
      method,
      rawPath: fullPath.startsWith(PATH_STYLE) ? apiPath : fullPath,
      rawQuery,
      rawHeaders: withForwardingHeaders(req, port(req)),
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
      protocol: `HTTP/${req.httpVersion}`,
      time,
    };
    const ctx: V1Context = {
      accountId: scope.accountId,
      apiId: api.apiId,
      domainName: host || `${api.apiId}.execute-api.localhost`,
      stage: stage.stageName,
      routeKey: match.route.routeKey,
      requestId,
      pathParameters: match.pathParameters,
      stageVariables: stage.stageVariables,
    };
    if (match.route.authorizationType === 'JWT') {
      const authorizer = match.route.authorizerId ? authorizers.get(match.route.authorizerId) : undefined;
      if (!authorizer) return reply(withCors(message(500, 'Internal Server Error')));
      const header = authorizer.identitySource[0]?.slice('$request.header.'.length) ?? 'authorization';
      const outcome = await verifyJwt(authorizer, headerOf(facts, header), match.route.authorizationScopes);
      if (outcome.kind === 'deny') return reply(withCors(message(outcome.status, outcome.message)));
      ctx.authorizer = { context: {}, jwt: { claims: outcome.claims, scopes: outcome.scopes } };
    }
    if (match.route.authorizationType === 'CUSTOM') {
      const authorizer = match.route.authorizerId ? authorizers.get(match.route.authorizerId) : undefined;
      if (!authorizer) return reply(withCors(message(500, 'Internal Server Error')));
      const routeArn = executeApiArn(
        scope.region,
        scope.accountId,
        api.apiId,
        `${stage.stageName}/${method}/${routeSegments.join('/')}`,
      );
      const outcome = await authorize(authorizer, facts, ctx, scope, routeArn);
      if (outcome.kind === 'deny') return reply(withCors(message(outcome.status, outcome.message)));
      ctx.authorizer = {
        context: outcome.context,
        ...(outcome.principalId !== undefined ? { principalId: outcome.principalId } : {}),
      };
    }
    const answer =
      integration.integrationType === 'HTTP_PROXY'
        ? await httpProxy(integration, facts, match.pathParameters)
        : await lambdaProxy(integration, facts, ctx, scope, sourceArnPath(method, match.route.routeKey));
    reply(withCors(answer));

    function withCors(a: HttpAnswer): HttpAnswer {
      if (!cors || typeof origin !== 'string') return a;
      const added = corsHeaders(cors, origin);
      if (added.length === 0) return a;
      // With CORS configured, API Gateway's headers replace the integration's.
      return { ...a, headers: [...a.headers.filter(([n]) => !n.startsWith('access-control-')), ...added] };
    }
  }

  async function lambdaProxy(
    integration: IntegrationDoc,
    facts: HttpRequestFacts,
    ctx: V1Context,
    scope: { accountId: string; region: string },
    arnPath: string,
  ): Promise<HttpAnswer> {
    const functionArn = lambdaTargetOf(integration.integrationUri);
    if (!functionArn) return message(500, 'Internal Server Error');
    const v2 = integration.payloadFormatVersion === '2.0';
    const event = v2 ? buildV2Event(facts, ctx) : buildV1Event(facts, ctx);
    const sourceArn = executeApiArn(scope.region, scope.accountId, ctx.apiId, `${ctx.stage}/${arnPath}`);
    const arnParts = functionArn.split(':');
    try {
      const outcome = await deps.functions.invoke({
        accountId: arnParts[4] ?? scope.accountId,
        region: arnParts[3] ?? scope.region,
        functionName: functionArn,
        payload: Buffer.from(JSON.stringify(event)),
        caller: apiGatewayCaller(sourceArn, scope.accountId),
        requestId: undefined,
      });
      if (outcome.kind === 'function-error') return message(500, 'Internal Server Error');
      const mapped = v2 ? mapV2Response(outcome.payload) : mapV1Response(outcome.payload);
      return mapped ?? message(MALFORMED_RESPONSE_STATUS, 'Internal Server Error');
    } catch (err) {
      // No permission, no such function, throttled, too large: API Gateway's integration failure.
      warnOnce(`HTTP API ${ctx.apiId}: invoking ${functionArn} failed: ${(err as Error).message}`);
      return message(500, 'Internal Server Error');
    }
  }

  return {
    name: 'apigatewayv2-invoke',
    claims: (host, rawPath) => HOST_STYLE.test(host) || rawPath.startsWith(PATH_STYLE),
    handle: (req, res) => handle(req, res),
  };
}

/**
 * The end of the execute-api source ARN: `GET/items/{id}` (the request's method and the route's
 * path), or `$default` for the default route, as AWS names them in `aws:SourceArn`.
 */
function sourceArnPath(method: string, routeKey: string): string {
  return routeKey === '$default' ? '$default' : `${method}${routeKey.slice(routeKey.indexOf(' ') + 1)}`;
}

/** HTTP_PROXY: the request passed to the URL (path parameters substituted), the answer passed back. */
async function httpProxy(
  integration: IntegrationDoc,
  facts: HttpRequestFacts,
  params: Readonly<Record<string, string>>,
): Promise<HttpAnswer> {
  let url = integration.integrationUri.replace(/\{([^}+]+)\+?\}/g, (_m, name: string) => params[name] ?? '');
  if (facts.rawQuery) url += (url.includes('?') ? '&' : '?') + facts.rawQuery;
  const headers = new Headers();
  for (let i = 0; i + 1 < facts.rawHeaders.length; i += 2) {
    const name = (facts.rawHeaders[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    headers.append(name, facts.rawHeaders[i + 1] as string);
  }
  const method =
    integration.integrationMethod === 'ANY' ? facts.method : (integration.integrationMethod ?? facts.method);
  try {
    const response = await fetch(url, {
      method,
      headers,
      ...(facts.body.length > 0 && method !== 'GET' && method !== 'HEAD'
        ? { body: new Uint8Array(facts.body) }
        : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(integration.timeoutInMillis),
    });
    const out: Array<[string, string]> = [];
    response.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding' && name !== 'set-cookie')
        out.push([name, value]);
    });
    for (const c of response.headers.getSetCookie()) out.push(['set-cookie', c]);
    return { status: response.status, headers: out, body: Buffer.from(await response.arrayBuffer()) };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return message(504, 'Service Unavailable');
    return message(500, 'Internal Server Error');
  }
}

/**
 * The headers API Gateway adds before the integration sees the request (recorded in real
 * events): X-Forwarded-For (the client's address appended), -Port, -Proto and X-Amzn-Trace-Id.
 */
function withForwardingHeaders(req: IncomingMessage, listenerPort: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let trace: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === 'x-forwarded-for') forwardedFor = raw[i + 1];
    else if (name === 'x-amzn-trace-id') trace = raw[i + 1];
    else if (name !== 'x-forwarded-port' && name !== 'x-forwarded-proto')
      out.push(raw[i] as string, raw[i + 1] as string);
  }
  const ip = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  out.push(
    'X-Amzn-Trace-Id',
    trace ?? `Root=1-${epoch}-${randomBytes(12).toString('hex')}`,
    'X-Forwarded-For',
    forwardedFor ? `${forwardedFor}, ${ip}` : ip,
    'X-Forwarded-Port',
    listenerPort,
    'X-Forwarded-Proto',
    'http',
  );
  return out;
}

function port(req: IncomingMessage): string {
  return String(req.socket.localPort ?? '');
}

const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
]);

function message(status: number, text: string): HttpAnswer {
  return {
    status,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify({ message: text })),
  };
}

function send(res: ServerResponse, answer: HttpAnswer, requestId: string): void {
  const headers: Array<[string, string]> = [
    ...answer.headers.filter(
      ([n]) => n !== 'content-length' && n !== 'connection' && n !== 'transfer-encoding',
    ),
    ['content-length', String(answer.body.length)],
    ['apigw-requestid', requestId],
  ];
  // Naming the connection ourselves keeps Node from adding `Keep-Alive: timeout=N`, which AWS never sends.
  headers.push(['connection', res.shouldKeepAlive ? 'keep-alive' : 'close']);
  res.writeHead(answer.status, headers.flat());
  res.end(answer.body);
}
