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
import type { ProtocolCodec, ResponseData } from '../protocols/types.js';
import type { Service } from '../services/service.js';
import type { Config } from '../shared/config.js';
import { AwsError, ServiceException } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { validateInput } from '../shared/shapes.js';
import { detectService } from './detect-service.js';
import { BodyTooLargeError, readBody } from './read-body.js';
import type { SecretLookup } from './sigv4.js';
import { createSigningKeyCache, readCredentialScope, verifySigV4 } from './sigv4.js';
import { unknownServiceResponse } from './unknown-service.js';

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
  health(): Record<string, unknown>;
  /** Prometheus text exposition (format 0.0.4), served like health at /_lambent/metrics. */
  metrics?(): string;
  /** Decides every operation's IAM permission (src/iam/authorizer.ts). */
  authorizer: Authorizer;
  /** Who signs requests: the configured root keys, IAM users' keys, STS sessions (default: root keys only). */
  authenticator?: Authenticator;
}

export function createGateway({
  config,
  services,
  logger,
  health,
  metrics,
  authorizer,
  authenticator,
}: GatewayOptions): Gateway {
  const auth = authenticator ?? createAuthenticator(config.credentials);
  const lookup: SecretLookup = auth.lookup;
  const internalRoutes = services.flatMap((s) => s.internalRoutes ?? []);
  const keyCache = createSigningKeyCache();
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => handle(req, res));
  // Slow or stuck clients must not hold sockets forever.
  server.headersTimeout = 60_000;
  server.requestTimeout = 15 * 60_000;

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

    if (rawPath.startsWith('/_lambent/')) {
      if (rawPath === '/_lambent/health' && method === 'GET') {
        return sendJson(res, 200, health(), requestId);
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
    try {
      const scope = readCredentialScope(view);
      service = detectService(services, scope?.service, req.headers, rawPath);
      if (!service) {
        req.resume();
        return send(res, unknownServiceResponse(scope?.service, req.headers, requestId));
      }
      const routeReq = { method, rawPath, query: url.searchParams, headers: req.headers };
      let match = service.route(routeReq);
      if (!match && !service.routeBody) {
        req.resume();
        throw service.unknownOperation(method, rawPath);
      }
      const opLimit = match?.op.maxRequestBytes ?? config.maxRequestBytes;
      const limit = Math.min(opLimit, config.maxRequestBytes);
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw service.requestTooLarge(match?.op, limit);
        throw err;
      }
      // awsQuery names the operation in the form body (`Action`).
      match ??= service.routeBody?.(routeReq, body);
      if (!match) throw service.unknownOperation(method, rawPath);
      codec = match.codec ?? service.codec;
      const identity = verifySigV4(
        view,
        lookup,
        new Date(),
        () => createHash('sha256').update(body).digest('hex'),
        { parsed: scope, keyCache },
      );
      // Session credentials need their token and must not have expired (after the signature).
      const principal = auth.principalOf(identity, new Date());
      const input = codec.decode(
        match.op,
        { method, rawPath, query: url.searchParams, headers: req.headers, body },
        match.labels,
      );
      validateInput(match.op.input, input);
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
      send(res, codec.encode(match.op, (output ?? {}) as Record<string, unknown>, requestId));
    } catch (err) {
      const errorCodec =
        codec ?? service?.codecFor?.(req.headers) ?? service?.codec ?? fallbackCodec(services);
      if (err instanceof AwsError) {
        if (err.fault === 'server') logger.error(`request ${requestId} failed`, err);
        return send(res, errorCodec.encodeError(err, requestId));
      }
      logger.error(`request ${requestId} failed unexpectedly`, err);
      return send(res, errorCodec.encodeError(new ServiceException(), requestId));
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

function fallbackCodec(services: readonly Service[]) {
  const first = services[0];
  if (!first) throw new Error('no services registered');
  return first.codec;
}

function send(res: ServerResponse, data: ResponseData): void {
  const body = typeof data.body === 'string' ? Buffer.from(data.body) : data.body;
  const headers: Record<string, string> = { ...data.headers, 'content-length': String(body.length) };
  // Naming the connection ourselves keeps Node from adding `Keep-Alive: timeout=N`, which AWS never sends.
  if (res.shouldKeepAlive) headers.connection = 'keep-alive';
  res.writeHead(data.status, headers);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, doc: unknown, requestId: string): void {
  send(res, {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    body: JSON.stringify(doc),
  });
}
