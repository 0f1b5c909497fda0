/**
 * The front door of function URLs: `http://<url-id>.lambda-url.<region>.<anything>/...` (routed by
 * Host, as AWS routes `<url-id>.lambda-url.<region>.on.aws`) and the path style
 * `/_aws/lambda-url/<url-id>/...` on the same listener, for clients that cannot resolve such
 * names. One request: find the URL, answer a CORS preflight, read the body (6 MB, as AWS),
 * authenticate (AWS_IAM) or not (NONE), build the 2.0 event, invoke through the FunctionInvoker
 * (which checks the function's policy), map the answer. Errors are AWS's function URL answers,
 * never an API error shape. A RESPONSE_STREAM URL invokes with the response streamed and sends
 * the chunks as they come (streamed-answer.ts).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FrontDoor } from '../../gateway/front-door.js';
import { BodyTimeoutError, BodyTooLargeError, readBody } from '../../gateway/read-body.js';
import { createSigningKeyCache } from '../../gateway/sigv4.js';
import { leaveBodyUnread } from '../../gateway/unread-body.js';
import type { Authenticator } from '../../iam/authenticator.js';
import { anonymousPrincipal } from '../../iam/principal.js';
import { AwsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { FunctionInvocation, FunctionInvoker } from '../function-invoker.js';
import { applyCors, isPreflight, preflightHeaders } from './function-url-cors.js';
import type { FunctionUrlDirectory, FunctionUrlTarget } from './function-url-directory.js';
import { buildPayloadV2, type PayloadRoute } from './payload-v2.js';
import { mapResponseV2 } from './response-v2.js';
import { answerStreamed } from './streamed-answer.js';
import { authenticateIam, iamAuthorizerContext, UrlAuthError } from './url-auth.js';

/** AWS's function URL request limit (the event built from it must also fit Invoke's 6 MB). */
export const URL_BODY_LIMIT = 6 * 1024 * 1024;
export const PATH_PREFIX = '/_aws/lambda-url/';
const HOST = /^([a-z0-9]{32})\.lambda-url\.([a-z0-9-]+)\./;
const URL_ID = /^[a-z0-9]{32}$/;

const FORBIDDEN_MESSAGE =
  'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html';

export interface FunctionUrlDoorDeps {
  urls: FunctionUrlDirectory;
  functions: FunctionInvoker;
  authenticator: Authenticator;
  logger: Logger;
  bodyIdleTimeoutMs: number;
}

type Out = Map<string, string[]>;

export function createFunctionUrlDoor(deps: FunctionUrlDoorDeps): FrontDoor {
  const keyCache = createSigningKeyCache();

  function send(res: ServerResponse, status: number, headers: Out, body: Buffer | string, requestId: string) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    headers.set('x-amzn-requestid', [requestId]);
    headers.set('content-length', [String(bytes.length)]);
    for (const [name, values] of headers)
      res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    res.writeHead(status);
    res.end(bytes);
  }
  function sendError(
    res: ServerResponse,
    status: number,
    errorType: string | undefined,
    doc: unknown,
    requestId: string,
  ) {
    const headers: Out = new Map([['content-type', ['application/json']]]);
    if (errorType) headers.set('x-amzn-errortype', [errorType]);
    send(res, status, headers, typeof doc === 'string' ? doc : JSON.stringify(doc), requestId);
  }

  /** The URL id, the region it was addressed in (host style) and the path the function sees. */
  function locate(host: string, rawPath: string) {
    if (rawPath.startsWith(PATH_PREFIX)) {
      const rest = rawPath.slice(PATH_PREFIX.length);
      const slash = rest.indexOf('/');
      const urlId = slash === -1 ? rest : rest.slice(0, slash);
      return { urlId, region: undefined, path: slash === -1 ? '/' : rest.slice(slash), pathStyle: true };
    }
    const m = HOST.exec(host);
    return { urlId: m?.[1] ?? '', region: m?.[2], path: rawPath || '/', pathStyle: false };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const timeMs = Date.now();
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const where = locate(host, rawPath);
    const url = URL_ID.test(where.urlId) ? deps.urls.find(where.urlId) : undefined;
    if (!url || (where.region !== undefined && where.region !== url.region)) {
      // AWS answers a URL that does not exist as one the caller may not use (AWS-validated in
      // LocalStack's test_lambda_url_non_existing_url); one whose alias was deleted, as recorded.
      // Its body is not read (a stranger's gigabytes cost nothing); the connection closes after.
      leaveBodyUnread(req);
      const gone = !url && URL_ID.test(where.urlId) && deps.urls.retired(where.urlId);
      return sendError(
        res,
        403,
        'AccessDeniedException',
        { Message: gone ? FORBIDDEN_MESSAGE : null },
        requestId,
      );
    }
    const method = req.method ?? 'GET';
    const headers = req.headersDistinct;
    if (url.cors && isPreflight(method, headers)) {
      leaveBodyUnread(req);
      return send(res, 200, preflightHeaders(url.cors, headers), '', requestId);
    }

    let body: Buffer;
    let sha256: string | undefined;
    try {
      ({ body, sha256 } = await readBody(req, {
        limit: URL_BODY_LIMIT,
        idleTimeoutMs: deps.bodyIdleTimeoutMs,
        hash: url.authType === 'AWS_IAM',
      }));
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        return sendError(
          res,
          413,
          'RequestEntityTooLargeException',
          { Message: 'Request Entity Too Large' },
          requestId,
        );
      }
      if (err instanceof BodyTimeoutError) {
        res.setHeader('connection', 'close');
        return sendError(res, 408, undefined, { Message: 'Request Timeout' }, requestId);
      }
      // The client went away: nobody to answer.
      res.destroy();
      return;
    }

    const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    // One trace id for the request the handler sees and the response the client gets.
    const trace = traceId(timeMs);
    let route: PayloadRoute;
    let principal = anonymousPrincipal();
    try {
      route = routeOf(url, where, host, requestId);
      if (url.authType === 'AWS_IAM') {
        const caller = authenticateIam(
          { method, rawPath, rawQuery, headers },
          () => sha256 ?? '',
          deps.authenticator,
          keyCache,
          new Date(),
        );
        principal = caller.principal;
        route = { ...route, accountId: caller.accountId, authorizer: iamAuthorizerContext(caller) };
      }
    } catch (err) {
      if (err instanceof UrlAuthError)
        return sendError(res, 403, err.errorType, { Message: err.bodyMessage }, requestId);
      throw err;
    }

    const event = buildPayloadV2(
      {
        method,
        rawPath,
        rawQuery,
        headers: { ...headers, ...forwardedHeaders(req, sourceIp, trace) },
        body,
        sourceIp,
        protocol: `HTTP/${req.httpVersion}`,
        timeMs,
      },
      route,
    );
    const invocation: FunctionInvocation = {
      accountId: url.accountId,
      region: url.region,
      functionName: url.functionName,
      ...(url.qualifier ? { qualifier: url.qualifier } : {}),
      payload: Buffer.from(JSON.stringify(event)),
      requestId,
      caller: {
        principal,
        action: 'lambda:InvokeFunctionUrl',
        context: {
          'lambda:FunctionUrlAuthType': url.authType,
          ...(sourceIp ? { 'aws:SourceIp': sourceIp } : {}),
        },
      },
    };
    try {
      if (url.invokeMode === 'RESPONSE_STREAM') {
        const run = await deps.functions.invokeStream(invocation);
        return await answerStreamed(res, run, {
          decorate: (out) => {
            if (url.cors) applyCors(url.cors, headers, out);
            out.set('x-amzn-requestid', [requestId]);
            out.set('x-amzn-trace-id', [trace]);
          },
          fail: () => sendError(res, 502, undefined, 'Internal Server Error', requestId),
        });
      }
      const outcome = await deps.functions.invoke(invocation);
      const mapped = outcome.kind === 'response' ? mapResponseV2(outcome.payload) : undefined;
      if (!mapped) return sendError(res, 502, undefined, 'Internal Server Error', requestId);
      if (url.cors) applyCors(url.cors, headers, mapped.headers);
      mapped.headers.set('x-amzn-trace-id', [trace]);
      return send(res, mapped.status, mapped.headers, mapped.body, requestId);
    } catch (err) {
      // Mid-stream, the head has left: cutting the connection is all that is left to say.
      if (res.headersSent) {
        deps.logger.error(`function URL request ${requestId}: response stream failed`, err);
        res.destroy();
        return;
      }
      if (err instanceof AwsError) return sendInvokeError(res, err, requestId);
      throw err;
    }
  }

  /** Lambda's typed errors as a function URL reports them. */
  function sendInvokeError(res: ServerResponse, err: AwsError, requestId: string): void {
    switch (err.code) {
      // Not allowed by the policy, or the alias behind the URL is gone: both are "Forbidden".
      case 'AccessDeniedException':
      case 'ResourceNotFoundException':
        sendError(res, 403, 'AccessDeniedException', { Message: FORBIDDEN_MESSAGE }, requestId);
        return;
      case 'TooManyRequestsException':
        sendError(res, 429, 'TooManyRequestsException', { Message: err.message }, requestId);
        return;
      case 'RequestEntityTooLargeException':
        sendError(res, 413, 'RequestEntityTooLargeException', { Message: err.message }, requestId);
        return;
      default:
        if (err.fault === 'server') deps.logger.error(`function URL request ${requestId} failed`, err);
        sendError(res, 502, undefined, 'Internal Server Error', requestId);
        return;
    }
  }

  return {
    name: 'lambda-url',
    claims: (host, rawPath) => rawPath.startsWith(PATH_PREFIX) || HOST.test(host),
    handle: (req, res, { requestId }) => handle(req, res, requestId),
  };
}

function routeOf(
  url: FunctionUrlTarget,
  where: { path: string; pathStyle: boolean },
  host: string,
  requestId: string,
): PayloadRoute {
  return {
    routeKey: '$default',
    stage: '$default',
    apiId: url.urlId,
    // The path style has no host of its own: name the one the host style would have.
    domainName: where.pathStyle ? `${url.urlId}.lambda-url.${url.region}.localhost` : host,
    domainPrefix: url.urlId,
    accountId: 'anonymous',
    requestId,
    path: where.path,
  };
}

/** What AWS's load balancers add in front of the function (no TLS here, so no x-amzn-tls-*). */
function forwardedHeaders(req: IncomingMessage, sourceIp: string, trace: string): Record<string, string[]> {
  const prior = req.headersDistinct['x-forwarded-for'];
  return {
    'x-amzn-trace-id': [trace],
    'x-forwarded-for': [prior ? `${prior.join(',')}, ${sourceIp}` : sourceIp],
    'x-forwarded-port': [String(req.socket.localPort ?? '')],
    'x-forwarded-proto': ['http'],
  };
}

/** X-Ray's trace id format: `Root=1-<8 hex seconds>-<24 hex>`. */
function traceId(ms: number): string {
  return `Root=1-${Math.floor(ms / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}
