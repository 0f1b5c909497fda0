/**
 * What a protocol codec and a service agree on. A service declares operations (shapes and
 * HTTP bindings) and plain handlers; a protocol turns HTTP into typed input and typed
 * output or AwsErrors back into HTTP. Neither knows the other's internals.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../iam/principal.js';
import type { AwsError } from '../shared/errors.js';
import type { StructureShape } from '../shared/shapes.js';
import type { ChunkSigning } from './aws-chunked/index.js';

export interface RequestView {
  method: string;
  /** Path as received, still percent-encoded, without the query string. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The input payload of an operation with `streamingInput`: the body as it arrives, with the
 * request's headers (which say how to decode and verify it: lengths, digests, encodings).
 */
export interface StreamedBody extends AsyncIterable<Buffer> {
  readonly headers: IncomingHttpHeaders;
  /**
   * For a body whose chunks are signed (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD…`):
   * what their signatures chain from, taken from the request the gateway verified.
   */
  readonly chunkSigning?: ChunkSigning;
}

export interface ResponseData {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  /**
   * A body sent as it is produced (chunked), after the headers: an event stream. `body` is then
   * empty. The gateway stops pulling when the client goes away (the iterator's `return`).
   */
  stream?: AsyncIterable<Uint8Array>;
  /**
   * The stream only reads what exists (an object's file): stop pulling it when the client goes
   * away, rather than running it to its end as a function's output must.
   */
  stopWhenClosed?: boolean;
}

/** Who is calling, where, and the ids of this request: passed to every handler. */
export interface RequestContext {
  requestId: string;
  accountId: string;
  region: string;
  accessKeyId: string;
  /** The authenticated caller: root, IAM user or role session (for STS and the policy evaluator). */
  principal: Principal;
  /** Base URL clients used to reach us, for URLs we hand out (e.g. Code.Location). */
  endpoint: string;
}

export interface OutputBindings {
  /** Output member → response header name. */
  headers?: Record<string, string>;
  /** Output member whose value is the HTTP status code. */
  statusCode?: string;
  /** Output member sent raw as the body (a blob), instead of a JSON document. */
  payload?: string;
  /**
   * Output member that is an event stream (`eventstream: true` in the model): an
   * `AsyncIterable<StreamEvent>` the codec frames as `application/vnd.amazon.eventstream`.
   */
  eventStream?: string;
}

/** One event of an event-stream output, as a service produces it (the codec frames it). */
export interface StreamEvent {
  /** The event's member name in the stream's union (`PayloadChunk`, `InvokeComplete`). */
  type: string;
  /** For an event whose payload member is a blob (`eventpayload: true`): its bytes. */
  payload?: Uint8Array;
  /** Otherwise the event's members, encoded as the protocol's document. */
  members?: Record<string, unknown>;
}

/**
 * What IAM checks before an operation runs (AWS's Service Authorization Reference): its
 * action and the resources it touches. Services declare it; the gateway's authorizer decides.
 */
export interface OperationAuthz<I = Record<string, unknown>> {
  /** E.g. `lambda:InvokeFunction`; default `<service's IAM prefix>:<operation name>`. */
  action?: string;
  /**
   * The ARNs the request touches (default `*`). Must not throw: for input the handler will
   * refuse anyway, answer `*`, which only a policy on every resource allows.
   */
  resources?(input: I, ctx: RequestContext): readonly string[];
  /** The service's own condition keys for this request (e.g. `lambda:FunctionUrlAuthType`). */
  context?(input: I, ctx: RequestContext): Record<string, string | readonly string[]>;
  /** Needs no permission at all (sts:GetCallerIdentity). */
  public?: boolean;
}

/**
 * The body limit of an operation that declares none: 256 KiB, which holds any control-plane
 * request's parameters and parses in a few milliseconds. Operations that carry data (code,
 * payloads, log batches, metric data) declare their own, as AWS documents them.
 */
export const DEFAULT_OPERATION_REQUEST_BYTES = 262_144;

export interface Operation<I = Record<string, unknown>, O = Record<string, unknown>> {
  name: string;
  http: { method: string; path: string; status: number };
  input: StructureShape;
  /** Input member sent raw as the body (a blob), instead of a JSON document. */
  inputPayload?: string;
  output?: OutputBindings;
  /** The output's shape, for protocols whose encoding needs it (query: maps, timestamps). */
  outputShape?: StructureShape;
  /** Largest request body accepted for this operation (default DEFAULT_OPERATION_REQUEST_BYTES). */
  maxRequestBytes?: number;
  authz?: OperationAuthz<I>;
  /**
   * The input payload member (`inputPayload`) is the request body as it arrives, an
   * `StreamedBody`, not a Buffer (S3's PutObject). The gateway authenticates the
   * headers first, so the request must declare its payload hash (`x-amz-content-sha256`) or
   * be presigned; holding the body to a declared hash is then the handler's job. The limit is
   * `maxRequestBytes` alone: such a body is never held in memory.
   */
  streamingInput?: boolean;
  handler: (input: I, ctx: RequestContext) => Promise<O> | O;
}

export interface ProtocolCodec {
  decode(op: Operation, req: RequestView, labels: Record<string, string>): Record<string, unknown>;
  /**
   * decode, for codecs that parse a large body in slices so that it does not hold up other
   * requests; throws SkeletonTooLargeError when a large body has too many small members.
   */
  decodeAsync?(
    op: Operation,
    req: RequestView,
    labels: Record<string, string>,
  ): Promise<Record<string, unknown>>;
  encode(op: Operation, output: Record<string, unknown>, requestId: string): ResponseData;
  encodeError(error: AwsError, requestId: string): ResponseData;
}

/** The operation a request names, with the raw (still encoded) URI labels of rest protocols. */
export interface RouteMatch {
  op: Operation;
  labels: Record<string, string>;
  /** The codec for this request, when the service speaks more than one protocol. */
  codec?: ProtocolCodec;
}
