/**
 * The gateway: one HTTP listener for every service. For each request it assigns a request
 * id, detects the service, finds the operation, reads the body within the operation's
 * limit, verifies SigV4, decodes, validates, calls the handler and encodes the answer.
 * Anything unexpected becomes AWS's 500 ServiceException, logged with its stack; a client's
 * mistake never crashes the process and never gets a 500.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Authenticator, createAuthenticator } from '../iam/authenticator.js';
import type { Authorizer } from '../iam/authorizer.js';
import { chunkSigningFor } from '../protocols/aws-chunked/index.js';
import { LARGE_JSON_DEFAULTS, SkeletonTooLargeError } from '../protocols/large-json.js';
import {
  DEFAULT_OPERATION_REQUEST_BYTES,
  type ProtocolCodec,
  type ResponseData,
  type StreamedBody,
} from '../protocols/types.js';
import type { Service } from '../services/service.js';
import { type Config, isLoopbackHost } from '../shared/config.js';
import {
  AwsError,
  MissingAuthenticationTokenException,
  ServiceException,
  ThrottlingException,
} from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { validateInput } from '../shared/shapes.js';
import { detectService } from './detect-service.js';
import type { FrontDoor } from './front-door.js';
import {
  BodyAbortedError,
  BodyBudgetError,
  BodyTimeoutError,
  BodyTooLargeError,
  createBodyBudget,
  declaredLength,
  type ReadBody,
  readBody,
  streamBody,
} from './read-body.js';
import type { SecretLookup, VerifiedIdentity } from './sigv4.js';
import { checkSigV4Headers, createSigningKeyCache, readCredentialScope } from './sigv4.js';
import { unknownServiceResponse } from './unknown-service.js';
import { leaveBodyUnread } from './unread-body.js';

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): void;
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  services: readonly Service[];
  logger: Logger;
  /**
   * The health document. `local`: asked from this machine (a loopback peer), which may see
   * details that name accounts' resources; others get counts.
   */
  health(view: { local: boolean }): Record<string, unknown>;
  /** Prometheus text exposition (format 0.0.4), served like health at /_lambent/metrics. */
  metrics?(): string;
  /** Decides every operation's IAM permission (src/iam/authorizer.ts). */
  authorizer: Authorizer;
  /** Who signs requests: the configured root keys, IAM users' keys, STS sessions (default: root keys only). */
  authenticator?: Authenticator;
  /** Function URLs and API Gateway invoke URLs, asked before any service (front-door.ts). */
  frontDoors?: readonly FrontDoor[];
}

export function createGateway({
  config,
  services,
  logger,
  health,
  metrics,
  authorizer,
  authenticator,
  frontDoors = [],
}: GatewayOptions): Gateway {
  const auth = authenticator ?? createAuthenticator(config.credentials);
  const lookup: SecretLookup = auth.lookup;
  const internalRoutes = services.flatMap((s) => s.internalRoutes ?? []);
  const keyCache = createSigningKeyCache();
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => handle(req, res));
  // Slow or stuck clients must not hold sockets forever: the head, then the whole request,
  // must arrive in time (Node answers 408 and closes); a stalled body is cut off sooner by
  // readBody's idle timeout.
  server.headersTimeout = config.gateway.headersTimeoutMs;
  server.requestTimeout = config.gateway.requestTimeoutMs;
  const pendingBodies = createBodyBudget(config.gateway.maxPendingBodyBytes);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (config.accessLog) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info(`${req.method} ${req.url} ${res.statusCode} ${ms.toFixed(2)}ms ${requestId}`);
      }
    });
    route(req, res, requestId).catch((err: unknown) => {
      logger.error(`unhandled error for request ${requestId}`, err);
      if (!res.headersSent) send(res, internalError(requestId));
      else res.destroy();
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    // The signature covers the query exactly as sent; URL parsing would re-encode it.
    const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);
    const method = req.method ?? 'GET';

    if (frontDoors.length > 0) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const door = frontDoors.find((d) => d.claims(host, rawPath));
      if (door) return door.handle(req, res, { requestId });
    }

    if (rawPath.startsWith('/_lambent/')) {
      if (rawPath === '/_lambent/health' && method === 'GET') {
        const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
        return sendJson(res, 200, health({ local: isLoopbackHost(peer) }), requestId);
      }
      if (rawPath === '/_lambent/metrics' && method === 'GET' && metrics) {
        return send(res, {
          status: 200,
          headers: {
            'content-type': 'text/plain; version=0.0.4; charset=utf-8',
            'x-amzn-requestid': requestId,
          },
          body: metrics(),
        });
      }
      const internal = internalRoutes.find((r) => r.method === method && rawPath.startsWith(r.prefix));
      if (internal) return internal.handle(req, res, url);
      return sendJson(res, 404, { message: 'Not Found' }, requestId);
    }

    // Repeated headers must stay apart: SigV4 joins them with ',' where Node would use ', '.
    const view = { method, rawPath, rawQuery, headers: req.headersDistinct };
    let service: Service | undefined;
    let codec: ProtocolCodec | undefined;
    let identityFromBody: () => VerifiedIdentity = () => {
      throw new MissingAuthenticationTokenException();
    };
    // Set when the body was not read to its end: the connection is not kept for another request.
    let refused = false;
    // An operation that takes its body as a stream: authenticated by its headers alone.
    let bodyStream: StreamedBody | undefined;
    try {
      const scope = readCredentialScope(view);
      service = detectService(services, scope?.service, req.headers, rawPath);
      if (!service) {
        refused = true;
        return send(res, unknownServiceResponse(scope?.service, req.headers, requestId), req);
      }
      const routeReq = { method, rawPath, query: url.searchParams, headers: req.headers };
      let match = service.route(routeReq);
      if (!match && !service.routeBody) {
        refused = true;
        throw service.unknownOperation(method, rawPath);
      }
      let identity: VerifiedIdentity;
      let body: Buffer;
      if (match?.op.streamingInput) {
        const limit = match.op.maxRequestBytes ?? DEFAULT_OPERATION_REQUEST_BYTES;
        const declared = declaredLength(req);
        if (declared !== undefined && declared > limit) throw service.requestTooLarge(match.op, limit);
        const pending = checkSigV4Headers(view, lookup, new Date(), { parsed: scope, keyCache });
        // Only S3 streams bodies; S3's words for a header-signed request without a payload hash.
        if (pending.needsBody) {
          throw new AwsError(
            'InvalidRequest',
            'Missing required header for this request: x-amz-content-sha256',
            400,
          );
        }
        pending.verifySignature();
        // The body is held to a declared hash by the handler as it reads (e.g. S3's object-body.ts).
        const claimed = String(req.headers['x-amz-content-sha256'] ?? '').toLowerCase();
        identity = pending.verify(() => claimed);
        body = Buffer.alloc(0);
        // Signed chunks chain from this request's signature, with its signing key.
        const secret =
          scope && claimed.startsWith('streaming-aws4-hmac-sha256-payload')
            ? lookup(scope.accessKeyId)?.secretAccessKey
            : undefined;
        bodyStream = {
          ...streamBody(req, { limit, idleTimeoutMs: config.gateway.bodyIdleTimeoutMs }),
          headers: req.headers,
          ...(scope && secret !== undefined ? { chunkSigning: chunkSigningFor(scope, secret) } : {}),
        };
        codec = match.codec ?? service.codec;
      } else {
        const opLimit = match?.op.maxRequestBytes ?? DEFAULT_OPERATION_REQUEST_BYTES;
        const limit = Math.min(opLimit, config.maxRequestBytes);
        const declared = declaredLength(req);
        if (declared !== undefined && declared > limit) throw service.requestTooLarge(match?.op, limit);
        // Everything about the signature that the headers can tell, before any body is held.
        const pending = checkSigV4Headers(view, lookup, new Date(), { parsed: scope, keyCache });
        // A declared payload hash lets the signature be checked now; the body is then held to it.
        if (!pending.needsBody) pending.verifySignature();
        const claim = pending.needsBody ? pendingBodies.claim() : undefined;
        let read: ReadBody;
        try {
          read = await readBody(req, {
            limit,
            idleTimeoutMs: config.gateway.bodyIdleTimeoutMs,
            hash: pending.needsBodyHash,
            ...(claim ? { claim } : {}),
          });
          const { body: bytes, sha256 } = read;
          identityFromBody = () =>
            pending.verify(() => sha256 ?? createHash('sha256').update(bytes).digest('hex'));
        } catch (err) {
          claim?.release();
          refused = true;
          if (err instanceof BodyTooLargeError) throw service.requestTooLarge(match?.op, limit);
          if (err instanceof BodyBudgetError)
            throw service.throttled?.() ?? new ThrottlingException('Rate exceeded');
          if (err instanceof BodyTimeoutError) throw new RequestTimeout();
          throw err;
        }
        body = read.body;
        // awsQuery names the operation in the form body (`Action`).
        match ??= service.routeBody?.(routeReq, body);
        if (!match) throw service.unknownOperation(method, rawPath);
        codec = match.codec ?? service.codec;
        try {
          identity = identityFromBody();
        } finally {
          claim?.release();
        }
      }
      // Session credentials need their token and must not have expired (after the signature).
      const principal = auth.principalOf(identity, new Date());
      const request = { method, rawPath, query: url.searchParams, headers: req.headers, body };
      let input: Record<string, unknown>;
      try {
        input = codec.decodeAsync
          ? await codec.decodeAsync(match.op, request, match.labels)
          : codec.decode(match.op, request, match.labels);
      } catch (err) {
        // The parameters besides a large blob must be small (AWS: the code plus 256 KiB).
        if (err instanceof SkeletonTooLargeError) {
          throw service.requestTooLarge(match.op, LARGE_JSON_DEFAULTS.skeletonLimit);
        }
        throw err;
      }
      validateInput(match.op.input, input);
      if (bodyStream && match.op.inputPayload) input[match.op.inputPayload] = bodyStream;
      const ctx = {
        requestId,
        accountId: identity.accountId,
        region: identity.region,
        accessKeyId: identity.accessKeyId,
        principal,
        endpoint: `http://${req.headers.host ?? `${config.host}:${config.port}`}`,
      };
      authorizer.check(service, match.op, input, ctx, {
        sourceIp: req.socket.remoteAddress,
        secure: false,
      });
      const output = await match.op.handler(input, ctx);
      const encoded = codec.encode(match.op, (output ?? {}) as Record<string, unknown>, requestId);
      if (encoded.stream) await sendStream(res, encoded, encoded.stream, logger, requestId);
      else send(res, encoded);
    } catch (thrown) {
      const err = streamedBodyError(thrown, service);
      const errorCodec =
        codec ?? service?.codecFor?.(req.headers) ?? service?.codec ?? fallbackCodec(services);
      // Refused before its body was read (or while reading it): the rest is not wanted. A
      // streamed body's sender is already authenticated: a small rest is read and dropped, as
      // clients (the JS SDK) wait to finish sending before they read the answer.
      const drain =
        bodyStream !== undefined &&
        !req.complete &&
        (declaredLength(req) ?? Infinity) <= DRAIN_STREAMED_BYTES;
      if (drain) req.resume();
      const unread = !drain && (refused || !req.complete) ? req : undefined;
      if (err instanceof AwsError) {
        if (err.fault === 'server') logger.error(`request ${requestId} failed`, err);
        return send(res, errorCodec.encodeError(err, requestId), unread);
      }
      logger.error(`request ${requestId} failed unexpectedly`, err);
      return send(res, errorCodec.encodeError(new ServiceException(), requestId), unread);
    }
  }

  function internalError(requestId: string): ResponseData {
    return fallbackCodec(services).encodeError(new ServiceException(), requestId);
  }

  return {
    handle,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeIdleConnections();
      }),
  };
}

/** A streamed body's failure, surfacing from the handler that pulled it, in AWS's words. */
function streamedBodyError(err: unknown, service: Service | undefined): unknown {
  if (err instanceof BodyTimeoutError) return new RequestTimeout();
  if (err instanceof BodyTooLargeError) return service?.requestTooLarge(undefined, 0) ?? err;
  // The client went away: no one reads the answer, and it is not the server's fault.
  if (err instanceof BodyAbortedError) {
    return new AwsError('IncompleteBody', 'The request body terminated unexpectedly', 400);
  }
  return err;
}

function fallbackCodec(services: readonly Service[]) {
  const first = services[0];
  if (!first) throw new Error('no services registered');
  return first.codec;
}

/**
 * Sends a response. `unread` is a request answered before its body was read in full: the rest
 * of that body is not read (unread-body.ts).
 */
function send(res: ServerResponse, data: ResponseData, unread?: IncomingMessage): void {
  const body = typeof data.body === 'string' ? Buffer.from(data.body) : data.body;
  // A HEAD answer (S3's HeadObject) names the length of the body a GET would send.
  const length =
    body.length === 0 && data.headers['content-length'] !== undefined
      ? data.headers['content-length']
      : String(body.length);
  const headers: Record<string, string> = { ...data.headers, 'content-length': length };
  if (unread) leaveBodyUnread(unread);
  // Naming the connection ourselves keeps Node from adding `Keep-Alive: timeout=N`, which AWS never sends.
  if (res.shouldKeepAlive) headers.connection = 'keep-alive';
  res.writeHead(data.status, headers);
  res.end(body);
}

/**
 * Sends an operation's streamed answer (an event stream): the headers at once, then each piece as it
 * is produced, chunked, waiting for the socket to drain between pieces (a slow client holds back the
 * producer, not our memory). A client that goes away (even before the first piece) stops the writing
 * but not the pulling: the producer runs to its end (a function finishes, is logged and accounted,
 * as on Lambda) and its pieces are dropped; a stream marked `stopWhenClosed` (a file being read)
 * is stopped instead. An error after the headers can only cut the connection.
 * Never throws.
 */
async function sendStream(
  res: ServerResponse,
  data: ResponseData,
  stream: AsyncIterable<Uint8Array>,
  logger: Logger,
  requestId: string,
): Promise<void> {
  let closed = res.destroyed || res.socket?.destroyed === true;
  let wakeOnClose: (() => void) | undefined;
  res.once('close', () => {
    closed = true;
    wakeOnClose?.();
  });
  if (!closed) {
    const headers: Record<string, string> = { ...data.headers };
    if (res.shouldKeepAlive) headers.connection = 'keep-alive';
    res.writeHead(data.status, headers);
    res.flushHeaders();
  }
  try {
    for await (const piece of stream) {
      if (closed && data.stopWhenClosed) break;
      if (closed || res.write(piece)) continue;
      await new Promise<void>((resolve) => {
        wakeOnClose = resolve;
        res.once('drain', resolve);
      });
      wakeOnClose = undefined;
    }
    if (!closed) res.end();
  } catch (err) {
    logger.error(`request ${requestId}: response stream failed`, err);
    res.destroy();
  }
}

/** The most of an authenticated streamed body read and dropped after an early answer (else the connection closes). */
const DRAIN_STREAMED_BYTES = 8 * 1024 * 1024;

/** S3's words for a body that stopped arriving: the only AWS wording for it we know. */
class RequestTimeout extends AwsError {
  constructor() {
    super(
      'RequestTimeout',
      'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
      400,
    );
  }
}

function sendJson(res: ServerResponse, status: number, doc: unknown, requestId: string): void {
  send(res, {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    body: JSON.stringify(doc),
  });
}
