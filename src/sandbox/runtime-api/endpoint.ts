/**
 * The Lambda Runtime API 2018-06-01 for ONE execution environment: its own listener on 127.0.0.1 with
 * its own port, so an environment only ever sees its own invocations and a dead environment's parked
 * `/next` cannot swallow another's event.
 *
 * Implements: GET /runtime/invocation/next (long poll), POST /runtime/invocation/{id}/response,
 * POST /runtime/invocation/{id}/error, POST /runtime/init/error, with the status codes and bodies of AWS's
 * Runtime Interface Emulator for misuse (400 InvalidRequestID, 403 InvalidStateTransition,
 * 413 RequestEntityTooLarge). Response streaming (`Lambda-Runtime-Function-Response-Mode: streaming`,
 * chunked): forwarded chunk by chunk to the invocation's sink when it has one (with backpressure, up to
 * 200 MiB), else buffered within the 6 MB limit; an error in its trailers fails the invocation.
 * Not implemented: the Extensions, Logs and Telemetry APIs, `/runtime/restore/*` (SnapStart).
 */
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { REQUESTED_STATE, type RuntimeStateName, transition } from './runtime-state.js';
import type {
  InitOutcome,
  Invocation,
  InvocationResult,
  RuntimeEndpoint,
  RuntimeEndpointOptions,
} from './types.js';
import {
  MAX_PAYLOAD_SIZE,
  MAX_STREAMED_PAYLOAD_SIZE,
  renderAccepted,
  renderInvalidRequestId,
  renderInvalidResponseMode,
  renderInvalidStateTransition,
  renderMethodNotAllowed,
  renderNotFound,
  renderRequestEntityTooLarge,
  responseTooLargePayload,
} from './wire.js';

const NEXT_PATH = '/2018-06-01/runtime/invocation/next';
const INVOCATION_PREFIX = '/2018-06-01/runtime/invocation/';
const INIT_ERROR_PATH = '/2018-06-01/runtime/init/error';

/** A runtime needs one or two connections; its relay (Linux) carries 8 at most. */
const DEFAULT_MAX_CONNECTIONS = 32;

const ERROR_TYPE_HEADER = 'lambda-runtime-function-error-type';
const RESPONSE_MODE_HEADER = 'lambda-runtime-function-response-mode';
const ERROR_BODY_TRAILER = 'lambda-runtime-function-error-body';

interface InFlight {
  readonly invocation: Invocation;
  /** Header list for `/next`, built once (a re-poll hands out the same invocation again). */
  readonly headers: string[];
  readonly resolve: (result: InvocationResult) => void;
  readonly reject: (reason: Error) => void;
  delivered: boolean;
}

export async function createRuntimeEndpoint(options: RuntimeEndpointOptions = {}): Promise<RuntimeEndpoint> {
  const endpoint = new Endpoint(options);
  await endpoint.listen();
  return endpoint;
}

class Endpoint implements RuntimeEndpoint {
  address = '';
  tokenPort: number | undefined;
  readonly initialized: Promise<InitOutcome>;

  private readonly maxBytes: number;
  private readonly maxStreamedBytes: number;
  private readonly maxConnections: number;
  private readonly authorize: RuntimeEndpointOptions['authorize'];
  private readonly token: Buffer | undefined;
  private readonly tokenNet: NetServer | undefined;
  private readonly http = createHttpServer();
  private readonly net = createNetServer({ pauseOnConnect: false });
  /** The unix socket only the environment's sandbox reaches (listenUnix). */
  private unixNet: NetServer | undefined;
  private readonly sockets = new Set<Socket>();

  private state: RuntimeStateName = 'Started';
  /** The invocation handed to invoke() and not yet answered (delivered or waiting for a `/next`). */
  private inflight: InFlight | null = null;
  /** The request id responses are accepted for: set on delivery, released by the runtime's next `/next`. */
  private currentId: string | null = null;
  private parked: ServerResponse | null = null;
  /**
   * A `/next` that arrived while a response body was still being read (a pipelined GET right behind its
   * POST): served once the body is in, as a server handling one request per connection at a time would.
   */
  private deferredNext: ServerResponse | null = null;
  private initError: { payload: Buffer; errorType?: string } | null = null;
  private aborted: Error | null = null;
  private settleInit: ((outcome: InitOutcome) => void) | null = null;
  private failInit: ((reason: Error) => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: RuntimeEndpointOptions) {
    this.maxBytes = options.maxResponseBytes ?? MAX_PAYLOAD_SIZE;
    this.maxStreamedBytes = options.maxStreamedResponseBytes ?? MAX_STREAMED_PAYLOAD_SIZE;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.authorize = options.authorize;
    if (options.token) {
      this.token = Buffer.from(`${options.token}\n`);
      this.tokenNet = createNetServer({ pauseOnConnect: false });
      this.tokenNet.on('connection', (socket: Socket) => this.onTokenConnection(socket));
    }
    this.initialized = new Promise<InitOutcome>((resolve, reject) => {
      this.settleInit = resolve;
      this.failInit = reject;
    });
    // Nobody may be waiting on it when the environment dies; that must not be an unhandled rejection.
    this.initialized.catch(() => {});
    // A parked /next can wait for hours; no idle or request timeouts on these connections.
    this.http.keepAliveTimeout = 0;
    this.http.requestTimeout = 0;
    this.http.headersTimeout = 0;
    this.http.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    this.net.on('connection', (socket: Socket) => this.onConnection(socket));
  }

  async listen(): Promise<void> {
    const listen = (server: NetServer) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0 }, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    const [port, tokenPort] = await Promise.all([
      listen(this.net),
      this.tokenNet ? listen(this.tokenNet) : undefined,
    ]);
    this.address = `127.0.0.1:${port}`;
    this.tokenPort = tokenPort;
  }

  async listenUnix(socketPath: string, ownerUid: number): Promise<void> {
    if (this.unixNet || this.closing) throw new Error('RuntimeEndpoint: cannot listen on a unix socket now');
    const server = createNetServer({ pauseOnConnect: false });
    server.on('connection', (socket: Socket) => {
      if (this.closing || this.sockets.size >= this.maxConnections) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.http.emit('connection', socket);
    });
    this.unixNet = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(socketPath, 0o600);
    fs.chownSync(socketPath, ownerUid, ownerUid);
  }

  /** The token port: the first bytes must be exactly the token line, or the connection is dropped. */
  private onTokenConnection(socket: Socket): void {
    const expected = this.token;
    if (this.closing || !expected || this.sockets.size >= this.maxConnections) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    let got: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), 10_000);
    const onData = (chunk: Buffer) => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      if (got.length < expected.length) return;
      clearTimeout(timer);
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      if (this.closing) {
        socket.destroy();
        return;
      }
      // The client sends nothing more until this byte: no HTTP byte was read here.
      socket.write('K');
      this.http.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
  }

  invoke(invocation: Invocation): Promise<InvocationResult> {
    if (this.aborted) return Promise.reject(this.aborted);
    if (this.initError) {
      const { payload, errorType } = this.initError;
      return Promise.resolve({ kind: 'error', payload, errorType });
    }
    if (this.inflight) {
      return Promise.reject(new Error('RuntimeEndpoint: an invocation is already in flight'));
    }
    return new Promise<InvocationResult>((resolve, reject) => {
      const flight: InFlight = {
        invocation,
        headers: nextHeaders(invocation),
        resolve,
        reject,
        delivered: false,
      };
      this.inflight = flight;
      const parked = this.parked;
      if (parked) {
        this.parked = null;
        if (usable(parked)) this.deliver(parked, flight);
      }
    });
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = reason;
    const flight = this.inflight;
    this.inflight = null;
    this.currentId = null;
    if (this.failInit) this.failInit(reason);
    this.settleInit = null;
    this.failInit = null;
    flight?.reject(reason);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.abort(new Error('RuntimeEndpoint closed'));
    this.closing = new Promise<void>((resolve) => {
      this.tokenNet?.close();
      this.unixNet?.close();
      this.net.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      this.parked = null;
      this.deferredNext = null;
    });
    return this.closing;
  }

  private onConnection(socket: Socket): void {
    if (this.closing || this.sockets.size >= this.maxConnections) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (!this.authorize) {
      this.http.emit('connection', socket);
      return;
    }
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.authorize(socket);
    } catch {
      socket.destroy();
      return;
    }
    if (verdict === true) {
      this.http.emit('connection', socket);
    } else if (verdict === false) {
      socket.destroy();
    } else {
      // Not a byte is parsed until the verdict is in: bytes wait in the kernel while paused.
      socket.pause();
      verdict.then(
        (ok) => {
          if (!ok || this.closing || socket.destroyed) {
            socket.destroy();
            return;
          }
          this.http.emit('connection', socket);
          socket.resume();
        },
        () => socket.destroy(),
      );
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === NEXT_PATH) {
      if (req.method !== 'GET') {
        renderMethodNotAllowed(res, 'GET');
        return;
      }
      this.onNext(res);
      return;
    }
    if (path.startsWith(INVOCATION_PREFIX)) {
      const rest = path.slice(INVOCATION_PREFIX.length);
      const slash = rest.indexOf('/');
      const action = slash === -1 ? '' : rest.slice(slash + 1);
      if (slash > 0 && (action === 'response' || action === 'error')) {
        if (req.method !== 'POST') {
          renderMethodNotAllowed(res, 'POST');
          return;
        }
        this.onResult(req, res, decodeSegment(rest.slice(0, slash)), action);
        return;
      }
    } else if (path === INIT_ERROR_PATH) {
      if (req.method !== 'POST') {
        renderMethodNotAllowed(res, 'POST');
        return;
      }
      this.onInitError(req, res);
      return;
    }
    renderNotFound(res);
  }

  private onNext(res: ServerResponse): void {
    const from = this.state;
    if (from === 'InvocationResponse' || from === 'InvocationErrorResponse') {
      this.deferredNext?.destroy();
      this.deferredNext = res;
      return;
    }
    const to = transition(from, 'next');
    if (!to) {
      renderInvalidStateTransition(res, from, REQUESTED_STATE.next);
      return;
    }
    // A new /next after a response releases the answered invocation's id (the emulator's Release).
    if (from === 'RuntimeResponseSentState') this.currentId = null;
    this.state = to;
    if (this.settleInit) {
      this.settleInit({ kind: 'ready' });
      this.settleInit = null;
      this.failInit = null;
    }
    const flight = this.inflight;
    if (flight) {
      this.deliver(res, flight);
      return;
    }
    const previous = this.parked;
    // One runtime polls once at a time; a second poll replaces a stale one rather than queueing behind it.
    if (previous && previous !== res) previous.destroy();
    this.parked = res;
  }

  private deliver(res: ServerResponse, flight: InFlight): void {
    flight.delivered = true;
    this.currentId = flight.invocation.requestId;
    res.writeHead(200, flight.headers);
    res.end(flight.invocation.payload);
  }

  private onResult(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    action: 'response' | 'error',
  ): void {
    // The request id is checked before the state, as the emulator's middleware does.
    if (id === '' || id !== this.currentId) {
      renderInvalidRequestId(res);
      return;
    }
    const from = this.state;
    const to = transition(from, action);
    if (!to) {
      renderInvalidStateTransition(res, from, REQUESTED_STATE[action]);
      return;
    }
    const mode = action === 'response' ? req.headers[RESPONSE_MODE_HEADER] : undefined;
    if (mode !== undefined && mode !== 'streaming') {
      this.state = transition(to, 'sent') ?? to;
      this.finish({
        kind: 'error',
        errorType: 'Runtime.InvalidResponseModeHeader',
        payload: Buffer.from(
          JSON.stringify({
            errorMessage: 'Invalid function response mode',
            errorType: 'Runtime.InvalidResponseModeHeader',
          }),
        ),
      });
      renderInvalidResponseMode(res);
      return;
    }
    this.state = to;
    const sink = mode === 'streaming' ? this.inflight?.invocation.stream : undefined;
    if (sink) {
      this.forwardStream(req, res, sink, to);
      return;
    }
    readBody(
      req,
      this.maxBytes,
      (body) => {
        this.state = transition(to, 'sent') ?? to;
        if (body === null) {
          this.finish({
            kind: 'error',
            errorType: 'Function.ResponseSizeTooLarge',
            payload: responseTooLargePayload(this.maxBytes),
          });
          renderRequestEntityTooLarge(res, this.maxBytes);
          this.serveDeferredNext();
          return;
        }
        if (action === 'error') {
          const errorType = headerValue(req.headers[ERROR_TYPE_HEADER]);
          this.finish({ kind: 'error', payload: body, errorType });
        } else {
          const trailerError = mode === 'streaming' ? streamingError(req) : undefined;
          if (trailerError) this.finish(trailerError);
          else
            this.finish({
              kind: 'response',
              payload: body,
              contentType: headerValue(req.headers['content-type']),
            });
        }
        renderAccepted(res);
        this.serveDeferredNext();
      },
      () => {
        if (this.state === to) this.state = transition(to, 'bodyAborted') ?? 'Ready';
        this.serveDeferredNext();
      },
    );
  }

  /**
   * A streamed response with somewhere to go: each chunk is handed on as it arrives, the request is
   * paused while the sink is full. The invocation ends with the body (its trailers may carry an error).
   * A body cut off half-way leaves the invocation open, as a buffered one: the runtime's exit or the
   * timeout ends it.
   */
  private forwardStream(
    req: IncomingMessage,
    res: ServerResponse,
    sink: NonNullable<Invocation['stream']>,
    to: RuntimeStateName,
  ): void {
    const limit = this.maxStreamedBytes;
    const contentType = headerValue(req.headers['content-type']);
    sink.start(contentType);
    let size = 0;
    const resume = () => req.resume();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return; // read on, so the runtime can finish its request and read our 413
      if (!sink.write(chunk)) {
        req.pause();
        sink.onDrain(resume);
      }
    });
    req.on('end', () => {
      this.state = transition(to, 'sent') ?? to;
      if (size > limit) {
        this.finish({
          kind: 'error',
          errorType: 'Function.ResponseSizeTooLarge',
          payload: responseTooLargePayload(limit),
        });
        renderRequestEntityTooLarge(res, limit);
      } else {
        this.finish(
          streamingError(req) ?? {
            kind: 'response',
            payload: Buffer.alloc(0),
            streamedBytes: size,
            ...(contentType !== undefined ? { contentType } : {}),
          },
        );
        renderAccepted(res);
      }
      this.serveDeferredNext();
    });
    req.on('close', () => {
      if (req.complete) return;
      if (this.state === to) this.state = transition(to, 'bodyAborted') ?? 'Ready';
      this.serveDeferredNext();
    });
  }

  private serveDeferredNext(): void {
    const deferred = this.deferredNext;
    if (!deferred) return;
    this.deferredNext = null;
    if (usable(deferred)) this.onNext(deferred);
  }

  private onInitError(req: IncomingMessage, res: ServerResponse): void {
    const from = this.state;
    const to = transition(from, 'initError');
    if (!to) {
      renderInvalidStateTransition(res, from, REQUESTED_STATE.initError);
      return;
    }
    this.state = to;
    const errorType = headerValue(req.headers[ERROR_TYPE_HEADER]);
    readBody(
      req,
      this.maxBytes,
      (body) => {
        const payload = body ?? responseTooLargePayload(this.maxBytes);
        this.initError = { payload, errorType };
        if (this.settleInit) this.settleInit({ kind: 'init-error', payload, errorType });
        this.settleInit = null;
        this.failInit = null;
        // An invocation already waiting gets the init error, as Invoke does after a failed init.
        this.finish({ kind: 'error', payload, errorType });
        renderAccepted(res);
      },
      () => {},
    );
  }

  private finish(result: InvocationResult): void {
    const flight = this.inflight;
    if (!flight) return;
    this.inflight = null;
    flight.resolve(result);
  }
}

/** The `/next` response headers, in the order the emulator writes them. */
function nextHeaders(inv: Invocation): string[] {
  const headers = ['Lambda-Runtime-Aws-Request-Id', inv.requestId];
  if (inv.traceId) headers.push('Lambda-Runtime-Trace-Id', headerSafe(inv.traceId));
  if (inv.clientContext) headers.push('Lambda-Runtime-Client-Context', headerSafe(inv.clientContext));
  if (inv.cognitoIdentity) headers.push('Lambda-Runtime-Cognito-Identity', headerSafe(inv.cognitoIdentity));
  headers.push(
    'Lambda-Runtime-Invoked-Function-Arn',
    inv.invokedFunctionArn,
    'Lambda-Runtime-Deadline-Ms',
    String(inv.deadlineMs),
    'Content-Type',
    'application/json',
    'Content-Length',
    String(inv.payload.length),
  );
  return headers;
}

/**
 * Header values travel as bytes; Node only takes Latin-1 strings. Send UTF-8 bytes (what AWS sends for
 * a non-ASCII client context) and never a line break.
 */
function headerSafe(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for the ASCII range on purpose
  return /^[\x00-\x7f]*$/.test(flat) ? flat : Buffer.from(flat, 'utf8').toString('latin1');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function usable(res: ServerResponse): boolean {
  // A pipelined request's response gets its socket only when the one before it has finished.
  const socket = res.socket ?? res.req.socket;
  return !res.destroyed && !res.writableEnded && !socket.destroyed;
}

/** A streamed response may end with an error in its trailers instead of a body. */
function streamingError(req: IncomingMessage): InvocationResult | undefined {
  const errorType = headerValue(req.trailers[ERROR_TYPE_HEADER]);
  if (!errorType) return undefined;
  const body = headerValue(req.trailers[ERROR_BODY_TRAILER]);
  return { kind: 'error', errorType, payload: body ? Buffer.from(body, 'base64') : Buffer.alloc(0) };
}

/**
 * Reads a body up to `limit` bytes; past it, keeps reading (so the runtime can read our 413) but drops
 * the bytes and hands `null`. `onAbort` runs when the connection breaks before the end.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  onEnd: (body: Buffer | null) => void,
  onAbort: () => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else chunks.length = 0;
  });
  req.on('end', () => {
    if (size > limit) onEnd(null);
    else onEnd(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
  req.on('close', () => {
    if (!req.complete) onAbort();
  });
}
