/**
 * The invoke URLs of REST APIs: `http://<api-id>.execute-api.<anything>/<stage>/<path>` (by
 * Host, as AWS routes `<api-id>.execute-api.<region>.amazonaws.com`) and the path-style
 * `/_aws/execute-api/<api-id>/<stage>/<path>` for clients that cannot resolve such names.
 * The door claims a request only for an id of a REST API (HTTP APIs share the host space).
 *
 * A request is matched against the stage's deployed snapshot (rest-api-match.ts), turned into
 * the 1.0 proxy event (rest-proxy-event.ts) and run through the FunctionInvoker as
 * `apigateway.amazonaws.com` with the execute-api SourceArn, so the function's resource policy
 * decides as on AWS. Answers are API Gateway's: 403 `Missing Authentication Token` for an
 * unknown stage, resource or method; 500 `Internal server error` when API Gateway may not (or
 * cannot) invoke the function; 502 for a function error or a malformed proxy response; 504
 * past the integration's timeout.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FrontDoor } from '../../gateway/front-door.js';
import { BodyTooLargeError, readBody } from '../../gateway/read-body.js';
import { leaveBodyUnread } from '../../gateway/unread-body.js';
import type { RestApiDirectory } from '../../services/apigateway/directory.js';
import type { DeploymentSnapshot, MethodDoc } from '../../services/apigateway/model.js';
import { lambdaArnOfUri } from '../../services/apigateway/operations/integration-uri.js';
import { AwsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { FunctionInvocation, FunctionInvoker } from '../function-invoker.js';
import { apiGatewayCaller, executeApiArn } from './api-gateway-caller.js';
import { buildResourceTree, matchResource, type ResourceTree } from './rest-api-match.js';
import { createAuthorizerRunner } from './rest-authorizer.js';
import { buildRestProxyEvent } from './rest-proxy-event.js';
import { matchesBinary, readProxyResponse } from './rest-proxy-response.js';
import { answerStreamed } from './streamed-answer.js';

export const PATH_STYLE_PREFIX = '/_aws/execute-api/';
const HOST_MARK = '.execute-api.';
/** API Gateway's payload limit (Lambda's own 6 MB limit then applies to the event). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface RestApiDoorOptions {
  directory: RestApiDirectory;
  functions: FunctionInvoker;
  logger: Logger;
  bodyIdleTimeoutMs: number;
}

interface Target {
  apiId: string;
  stage: string;
  /** The path after the stage, as sent. */
  path: string;
  /** The path API Gateway reports (`/<stage><path>`). */
  fullPath: string;
}

export function createRestApiDoor(options: RestApiDoorOptions): FrontDoor {
  const { directory, functions, logger } = options;
  const warned = new Set<string>();
  const warnOnce = (message: string) => {
    if (warned.has(message) || warned.size >= 1000) return;
    warned.add(message);
    logger.warn(message);
  };
  const runAuthorizer = createAuthorizerRunner(functions);
  const trees = new WeakMap<DeploymentSnapshot, ResourceTree | null>();
  const treeOf = (snapshot: DeploymentSnapshot) => {
    let tree = trees.get(snapshot);
    if (tree === undefined) {
      tree = buildResourceTree(snapshot.resources) ?? null;
      trees.set(snapshot, tree);
    }
    return tree ?? undefined;
  };

  const idOfHost = (host: string) => {
    const at = host.indexOf(HOST_MARK);
    return at > 0 ? host.slice(0, at) : undefined;
  };
  const idOfPath = (rawPath: string) => {
    if (!rawPath.startsWith(PATH_STYLE_PREFIX)) return undefined;
    const end = rawPath.indexOf('/', PATH_STYLE_PREFIX.length);
    return rawPath.slice(PATH_STYLE_PREFIX.length, end === -1 ? undefined : end);
  };

  function targetOf(host: string, rawPath: string): Target | undefined {
    const byHost = idOfHost(host);
    let apiId: string;
    let rest: string;
    if (byHost !== undefined && directory.has(byHost)) {
      apiId = byHost;
      rest = rawPath;
    } else {
      const byPath = idOfPath(rawPath);
      if (byPath === undefined) return undefined;
      apiId = byPath;
      rest = rawPath.slice(PATH_STYLE_PREFIX.length + byPath.length);
    }
    const m = /^\/([^/]+)(.*)$/.exec(rest);
    if (!m) return { apiId, stage: '', path: '', fullPath: rest };
    return { apiId, stage: m[1] as string, path: m[2] as string, fullPath: rest };
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: { requestId: string },
  ): Promise<void> {
    const started = Date.now();
    const requestId = ctx.requestId;
    const extendedRequestId = randomBytes(12).toString('base64').replace(/[+/]/g, 'A');
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const target = (req.url ?? '/').split('?');
    const rawPath = target[0] ?? '/';
    const rawQuery = target.slice(1).join('?');
    const send = (status: number, headers: Record<string, string | string[]>, body: Buffer | string) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      res.writeHead(status, {
        ...headers,
        'x-amzn-RequestId': requestId,
        'x-amz-apigw-id': extendedRequestId,
        'content-length': String(bytes.length),
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    };
    const fail = (status: number, message: string, errorType?: string) =>
      send(
        status,
        {
          'content-type': 'application/json',
          ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
        },
        JSON.stringify({ message }),
      );
    const missingToken = () =>
      fail(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException');
    const internalError = () => fail(500, 'Internal server error', 'InternalServerErrorException');

    const where = targetOf(host, rawPath);
    const stage = where && where.stage !== '' ? directory.stage(where.apiId, where.stage) : undefined;
    if (!where || !stage) return drainThen(req, missingToken);
    const tree = treeOf(stage.snapshot);
    const match = tree && matchResource(tree, where.path);
    const methods = match?.resource.resourceMethods;
    const method: MethodDoc | undefined = methods?.[req.method ?? 'GET'] ?? methods?.ANY;
    if (!match || !method) return drainThen(req, missingToken);

    let body: Buffer;
    try {
      body = (
        await readBody(req, { limit: MAX_BODY_BYTES, idleTimeoutMs: options.bodyIdleTimeoutMs, hash: false })
      ).body;
    } catch (err) {
      if (err instanceof BodyTooLargeError) return fail(413, 'Request Too Long');
      res.destroy();
      return;
    }

    const authorizer =
      method.authorizationType === 'CUSTOM'
        ? stage.snapshot.authorizers?.find((a) => a.id === method.authorizerId)
        : undefined;
    const unsupported = unsupportedReason(method, authorizer?.type);
    if (unsupported) {
      return fail(
        500,
        `${unsupported} is not supported by Lambent (REST APIs run AWS_PROXY integrations to Lambda)`,
        'InternalServerErrorException',
      );
    }
    const integration = method.methodIntegration;
    const functionArn = lambdaArnOfUri(integration?.uri);
    // Lambda is invoked with POST; another integration method fails on AWS (recorded).
    if (!integration || !functionArn || integration.httpMethod !== 'POST') return internalError();

    const contentType = req.headers['content-type'];
    const event = buildRestProxyEvent({
      method: req.method ?? 'GET',
      path: where.path,
      fullPath: where.fullPath,
      rawQuery,
      rawHeaders: withForwardingHeaders(req),
      body,
      binaryBody: matchesBinary(stage.snapshot.binaryMediaTypes, contentType),
      sourceIp: clientIp(req),
      protocol: `HTTP/${req.httpVersion}`,
      domainName: host,
      requestId,
      extendedRequestId,
      timeEpochMs: started,
      apiId: stage.apiId,
      stage: stage.stageName,
      accountId: stage.accountId,
      deploymentId: stage.deploymentId,
      resourceId: match.resource.id,
      resourcePath: match.resource.path,
      pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
      stageVariables: stage.variables ?? null,
    });

    if (authorizer) {
      const eventPathValue = String(event.path);
      const verdict = await runAuthorizer(authorizer, {
        accountId: stage.accountId,
        region: stage.region,
        apiId: stage.apiId,
        stage: stage.stageName,
        methodArn: executeApiArn(
          stage.region,
          stage.accountId,
          stage.apiId,
          `${stage.stageName}/${req.method ?? 'GET'}${eventPathValue}`,
        ),
        proxyEvent: event,
        headers: lastValues(event.headers),
      });
      if (verdict.kind === 'unauthorized') return fail(401, 'Unauthorized', 'UnauthorizedException');
      if (verdict.kind === 'denied') {
        return send(
          403,
          { 'content-type': 'application/json', 'x-amzn-ErrorType': 'AccessDeniedException' },
          JSON.stringify({ Message: 'User is not authorized to access this resource' }),
        );
      }
      if (verdict.kind === 'error') {
        warnOnce(`API Gateway REST API ${stage.apiId} authorizer ${authorizer.id}: ${verdict.reason}`);
        return send(
          500,
          { 'content-type': 'application/json', 'x-amzn-ErrorType': 'AuthorizerConfigurationException' },
          JSON.stringify({ message: null }),
        );
      }
      (event.requestContext as Record<string, unknown>).authorizer = verdict.authorizer;
    }

    const sourceArn = executeApiArn(
      stage.region,
      stage.accountId,
      stage.apiId,
      `${stage.stageName}/${req.method ?? 'GET'}${match.resource.path}`,
    );
    const invocation: FunctionInvocation = {
      accountId: stage.accountId,
      region: stage.region,
      functionName: functionArn,
      payload: Buffer.from(JSON.stringify(event)),
      caller: apiGatewayCaller(sourceArn, stage.accountId),
      requestId: randomUUID(),
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), integration.timeoutInMillis);
    });
    let outcome: Awaited<ReturnType<FunctionInvoker['invoke']>> | 'timeout';
    try {
      if (integration.responseTransferMode === 'STREAM') {
        // InvokeWithResponseStream; the integration's timeout bounds the wait for the stream to
        // begin (the function's own timeout, the rest).
        const starting = functions.invokeStream(invocation);
        const run = await Promise.race([starting, timedOut]);
        if (run === 'timeout') {
          // Nobody will read it: once it starts, leaving its iteration cancels its queue (the
          // function runs to its end, its chunks dropped).
          starting.then(
            (late) => {
              const chunks = late.chunks[Symbol.asyncIterator]();
              void chunks.next().then(() => chunks.return?.(undefined));
            },
            () => {},
          );
          return fail(504, 'Endpoint request timed out');
        }
        clearTimeout(timer);
        return await answerStreamed(res, run, {
          multiValueHeaders: true,
          decorate: (out) => {
            out.set('x-amzn-RequestId', [requestId]);
            out.set('x-amz-apigw-id', [extendedRequestId]);
          },
          fail: () => fail(502, 'Internal server error'),
        });
      }
      outcome = await Promise.race([functions.invoke(invocation), timedOut]);
    } catch (err) {
      // Mid-stream, the head has left: cutting the connection is all that is left to say.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof AwsError) {
        if (err.code === 'TooManyRequestsException') return fail(429, 'Too Many Requests');
        if (err.code === 'RequestTooLargeException') return fail(413, 'Request Too Long');
        // No permission, no such function: API Gateway logs it and answers 500 (as on AWS).
        warnOnce(
          `API Gateway REST API ${stage.apiId} stage ${stage.stageName} cannot invoke ${functionArn}: ${err.code}: ${err.message}`,
        );
        return internalError();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (outcome === 'timeout') return fail(504, 'Endpoint request timed out');
    if (outcome.kind === 'function-error') return fail(502, 'Internal server error');
    const accept = req.headers.accept;
    const response = readProxyResponse(outcome.payload, {
      mediaTypes: stage.snapshot.binaryMediaTypes,
      accept,
    });
    if (!response) return fail(502, 'Internal server error');
    const headers: Record<string, string | string[]> = {};
    for (const { name, values } of response.headers.values()) {
      const lower = name.toLowerCase();
      // The framing is ours to write.
      if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
      headers[name] = values.length === 1 ? (values[0] as string) : values;
    }
    if (!response.headers.has('content-type')) headers['Content-Type'] = 'application/json';
    send(response.status, headers, response.body);
  }

  return {
    name: 'apigateway-rest',
    claims(host, rawPath) {
      const byHost = idOfHost(host);
      if (byHost !== undefined && directory.has(byHost)) return true;
      const byPath = idOfPath(rawPath);
      return byPath !== undefined && directory.has(byPath);
    },
    handle,
  };
}

/** What Lambent cannot run yet, named; undefined for an AWS_PROXY integration it runs. */
function unsupportedReason(method: MethodDoc, authorizerType: string | undefined): string | undefined {
  if (method.authorizationType === 'CUSTOM') {
    if (authorizerType !== 'TOKEN' && authorizerType !== 'REQUEST') {
      return `A ${authorizerType ?? 'missing'} authorizer`;
    }
  } else if (method.authorizationType !== 'NONE') {
    return `Method authorization type ${method.authorizationType}`;
  }
  if (method.apiKeyRequired) return 'A method requiring an API key';
  const type = method.methodIntegration?.type;
  if (type === 'AWS_PROXY') return undefined;
  if (type === 'AWS' || type === 'HTTP') return `Integration type ${type} (VTL mapping templates)`;
  if (type === 'HTTP_PROXY' || type === 'MOCK') return `Integration type ${type}`;
  return undefined;
}

/**
 * Hop-by-hop and framing headers API Gateway does not pass on (the recorded events have no
 * Connection or Content-Length, even for a POST with a body).
 */
const DROPPED_HEADERS = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
]);

/** The headers as received (less DROPPED_HEADERS) plus the X-Forwarded-* ones API Gateway adds. */
function withForwardingHeaders(req: IncomingMessage): string[] {
  const raw: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (!DROPPED_HEADERS.has(name.toLowerCase())) raw.push(name, req.rawHeaders[i + 1] as string);
  }
  const has = (name: string) => req.headers[name] !== undefined;
  const ip = clientIp(req);
  if (has('x-forwarded-for')) {
    const i = raw.findIndex((v, k) => k % 2 === 0 && v.toLowerCase() === 'x-forwarded-for');
    raw[i + 1] = `${raw[i + 1]}, ${ip}`;
  } else raw.push('X-Forwarded-For', ip);
  if (!has('x-forwarded-port')) raw.push('X-Forwarded-Port', String(req.socket.localPort ?? ''));
  if (!has('x-forwarded-proto')) raw.push('X-Forwarded-Proto', 'http');
  if (!has('x-amzn-trace-id')) {
    const epoch = Math.floor(Date.now() / 1000).toString(16);
    raw.push('X-Amzn-Trace-Id', `Root=1-${epoch}-${randomBytes(12).toString('hex')}`);
  }
  return raw;
}

/** The event's `headers` by lower-case name. */
function lastValues(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((headers ?? {}) as Record<string, string>)) out[k.toLowerCase()] = v;
  return out;
}

function clientIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** Answers a request refused before its body was read, leaving the body unread (unread-body.ts). */
function drainThen(req: IncomingMessage, answer: () => void): void {
  leaveBodyUnread(req);
  answer();
}
