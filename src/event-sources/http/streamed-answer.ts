/**
 * A streamed HTTP answer — a RESPONSE_STREAM function URL's, or a REST API method's whose
 * integration has `responseTransferMode: STREAM`: the function's chunks go to the client as they arrive
 * (chunked transfer encoding, waiting for the socket to drain between chunks so that a slow client
 * holds the handler back through the invoke layer's bounded queue).
 *
 * - With `awslambda.HttpResponseStream.from` the stream starts with a JSON prelude and 8 NUL bytes:
 *   the prelude gives the status line and headers (cookies as separate Set-Cookie lines), the rest
 *   is the body.
 * - Without one, the answer is 200 with the stream's own content type (the Node runtime's default
 *   is `application/octet-stream`), and the bytes are the body as they are: a function that does
 *   not stream (Python, or a Node handler without streamifyResponse) has its returned JSON sent
 *   verbatim, not mapped as BUFFERED maps it, as AWS does.
 * - A failure before anything was sent (no chunk, an invalid prelude) is the 502 BUFFERED gives;
 *   after the head left, the connection is cut without the final chunk, so the client sees a
 *   truncated response rather than a complete one.
 * - A client that leaves stops the writing: the queue is cancelled and the function runs to its end,
 *   accounted as usual, its later chunks dropped.
 */
import type { ServerResponse } from 'node:http';
import type { StreamedInvocation } from '../function-invoker.js';
import { PRELUDE_CONTENT_TYPE, splitPrelude } from './stream-prelude.js';

/** The Content-Type of a stream that named none (the Node runtime's default). */
const DEFAULT_STREAM_TYPE = 'application/octet-stream';

export interface StreamAnswer {
  /** Adds the door's own headers (CORS, ids) to the head (mutates `headers`). */
  decorate(headers: Map<string, string[]>): void;
  /** The 502 of a function that failed before its first byte. */
  fail(): void;
  /** The prelude's `multiValueHeaders` count (API Gateway's format; function URLs ignore them). */
  multiValueHeaders?: boolean;
}

export async function answerStreamed(
  res: ServerResponse,
  run: StreamedInvocation,
  answer: StreamAnswer,
): Promise<void> {
  const chunks = run.chunks[Symbol.asyncIterator]();
  // Leaving early cancels the invoke layer's queue (ChunkStream's iterator does that in its finally).
  const stop = () => void chunks.return?.(undefined);
  const first = await chunks.next();
  if (first.done) {
    const { error } = await run.completion;
    if (error) return answer.fail();
    return writeHead(
      res,
      200,
      new Map([['content-type', [run.contentType() ?? DEFAULT_STREAM_TYPE]]]),
      answer,
      () => res.end(),
    );
  }
  let status = 200;
  let headers = new Map<string, string[]>();
  let body: Buffer = first.value;
  if (run.contentType() === PRELUDE_CONTENT_TYPE) {
    const split = await splitPrelude(first.value, () => chunks.next(), {
      multiValueHeaders: answer.multiValueHeaders === true,
    });
    if (split.kind === 'invalid') {
      stop();
      return answer.fail();
    }
    ({ status, headers } = split.head);
    body = split.rest;
  } else {
    headers.set('content-type', [run.contentType() ?? DEFAULT_STREAM_TYPE]);
  }

  let closed = false;
  let wake: (() => void) | undefined;
  res.once('close', () => {
    closed = true;
    wake?.();
  });
  const write = async (bytes: Buffer): Promise<void> => {
    if (closed || bytes.length === 0 || res.write(bytes)) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      res.once('drain', resolve);
    });
    wake = undefined;
  };
  writeHead(res, status, headers, answer, () => res.flushHeaders());
  await write(body);
  while (!closed) {
    const next = await chunks.next();
    if (next.done) break;
    await write(next.value);
  }
  if (closed) {
    stop();
    return;
  }
  const { error } = await run.completion;
  if (error) res.destroy();
  else res.end();
}

function writeHead(
  res: ServerResponse,
  status: number,
  headers: Map<string, string[]>,
  answer: StreamAnswer,
  then: () => void,
): void {
  answer.decorate(headers);
  // The framing is this connection's (chunked), not the function's to choose.
  for (const hop of ['transfer-encoding', 'connection', 'keep-alive']) headers.delete(hop);
  for (const [name, values] of headers)
    res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
  res.writeHead(status);
  then();
}
