import type { Socket } from 'node:net';

/** One invocation as the runtime sees it on `GET /runtime/invocation/next`. */
export interface Invocation {
  requestId: string;
  /** The event, passed through to the runtime byte for byte. */
  payload: Buffer;
  /** Absolute deadline, epoch milliseconds (`Lambda-Runtime-Deadline-Ms`). */
  deadlineMs: number;
  invokedFunctionArn: string;
  /** `Lambda-Runtime-Trace-Id`, e.g. `Root=1-...;Parent=...;Sampled=0`. */
  traceId?: string;
  /** The client context as JSON text (already base64-decoded from Invoke's `X-Amz-Client-Context`). */
  clientContext?: string;
  /** `{"cognitoIdentityId":...,"cognitoIdentityPoolId":...}` as JSON text. */
  cognitoIdentity?: string;
  /**
   * Where a streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) goes, chunk by
   * chunk as the runtime sends it. Without a sink a streamed response is buffered like any other
   * (what Invoke does with a streaming function); a buffered response never touches the sink.
   */
  stream?: ResponseSink;
}

/**
 * The receiving end of a streamed response: InvokeWithResponseStream's event stream, a function
 * URL in RESPONSE_STREAM mode. The endpoint stops reading the runtime's body while `write` says the
 * sink is full and goes on when it calls the `onDrain` callback: that is the backpressure that
 * reaches the handler's `responseStream.write()`.
 */
export interface ResponseSink {
  /** The runtime began streaming: its Content-Type. Called once, before the first chunk. */
  start(contentType: string | undefined): void;
  /** One chunk as it arrived; false: wait for `onDrain` before writing again. */
  write(chunk: Buffer): boolean;
  /** Runs `resume` once the sink can take more (at once if it already can). */
  onDrain(resume: () => void): void;
}

/**
 * What the runtime answered. `errorType` is the `Lambda-Runtime-Function-Error-Type` header the runtime
 * sent with `/error` (absent when it sent none), or a platform type such as `Function.ResponseSizeTooLarge`.
 */
export type InvocationResult =
  /** `streamedBytes`: present when the body went to the invocation's sink (payload then empty), its size. */
  | { kind: 'response'; payload: Buffer; contentType?: string; streamedBytes?: number }
  | { kind: 'error'; payload: Buffer; errorType?: string };

export type InitOutcome = { kind: 'ready' } | { kind: 'init-error'; payload: Buffer; errorType?: string };

export interface RuntimeEndpoint {
  /** `127.0.0.1:PORT`, the value for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  /** The token port (RuntimeEndpointOptions.token), if any. */
  readonly tokenPort?: number;
  /**
   * Resolves at the runtime's first `/next` (init done) or with the init error it posted to
   * `/runtime/init/error`; rejects with the reason given to `abort()`/`close()` if neither happened first.
   */
  readonly initialized: Promise<InitOutcome>;
  /**
   * Hands the invocation to the runtime's parked or next `/next`; resolves with its response or error.
   * One invocation at a time: a second call before the first settles rejects. After the runtime posted an
   * init error, resolves at once with that error (what Invoke returns after a failed init).
   */
  invoke(invocation: Invocation): Promise<InvocationResult>;
  /**
   * The environment died or timed out: the in-flight invocation's promise rejects with `reason`, later
   * `invoke()` calls reject with it too. The listener stays up (a dying runtime's late calls get AWS's
   * answers, not connection errors) until `close()`.
   */
  abort(reason: Error): void;
  /**
   * Also listens on a unix socket (Sandbox.runtimeSocket) that only `ownerUid` may connect to:
   * whoever reaches it is the environment's own runtime, so its connections are not authorized
   * further, and they skip the relay the TCP port needs.
   */
  listenUnix(socketPath: string, ownerUid: number): Promise<void>;
  /** Aborts (if not yet) and closes the listener and every connection. */
  close(): Promise<void>;
}

export interface RuntimeEndpointOptions {
  /**
   * Called once per accepted connection, before any byte of it is read; false refuses (the socket is
   * destroyed). Use with `peerUidOf` to accept only the environment's own sandbox uid.
   */
  authorize?: (socket: Socket) => boolean | Promise<boolean>;
  /** Largest response/error body accepted; default 6291556 bytes (6 MiB + 100), as Lambda. */
  maxResponseBytes?: number;
  /**
   * Largest streamed response forwarded to a sink; default 200 MiB, Lambda's documented maximum
   * for response streaming (20 MB before July 2025). Past it the rest is read and dropped and the
   * invocation fails with `Function.ResponseSizeTooLarge`.
   */
  maxStreamedResponseBytes?: number;
  /**
   * Also listen on a second port whose connections prove themselves with this secret instead of
   * `authorize`: the client writes `<token>\n` first, waits for one byte `K`, then speaks HTTP.
   * For Lambent's own bootstrap in a pre-started sandbox, which gets the token privately (never
   * in its environment); anything else keeps using `address`. Saves the /proc/net/tcp scan
   * (~4 ms per table here) on a cold start. A sandbox in a network namespace of its own reaches
   * only this port, through its relay, which sends the token for it.
   */
  token?: string;
  /**
   * Connections open at once on both ports (default 32): past it a new one is closed at once, so
   * a flood costs the server neither memory nor descriptors beyond this (nor, on the plain port,
   * a /proc/net/tcp scan per connection).
   */
  maxConnections?: number;
}
