/**
 * Response streaming from the invoke layer: a streamed invocation is the ordinary one (same scheduler,
 * lease, START/END/REPORT, duration, Max Memory Used, metrics) with a sink in its request. The sink
 * here is a small bounded queue that is also an async iterable, so whoever answers the client (the
 * gateway's event stream, a function URL) pulls chunks as the runtime sends them, and a slow client
 * slows the runtime down instead of filling memory: past `highWaterMark` queued bytes the Runtime API
 * stops reading the runtime's body until the client has taken some.
 *
 * A client that goes away cancels the queue: later chunks are dropped (the function runs to its end
 * and is accounted as usual, as on Lambda).
 */
import type { ResponseSink } from '../sandbox/runtime-api/types.js';
import type { InvokeOutcome, InvokeRequest } from './environment.js';
import type { Invoker } from './invoker.js';
import type { FunctionTarget } from './launch.js';

/** Bytes queued between the runtime and a client before the runtime is held back. */
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

export class ChunkStream implements ResponseSink, AsyncIterable<Buffer> {
  /** The runtime's Content-Type, once it began streaming. */
  contentType: string | undefined;
  /** Resolves when the runtime begins a streamed response. */
  readonly started: Promise<void>;
  private markStarted: () => void = () => undefined;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private cancelled = false;
  private wake: (() => void) | null = null;
  private drainers: (() => void)[] = [];

  constructor(private readonly highWaterMark = DEFAULT_HIGH_WATER_MARK) {
    this.started = new Promise<void>((resolve) => {
      this.markStarted = resolve;
    });
  }

  /** Bytes written and not yet read. */
  get bufferedBytes(): number {
    return this.queued;
  }

  start(contentType: string | undefined): void {
    this.contentType = contentType;
    this.markStarted();
  }

  write(chunk: Buffer): boolean {
    if (this.cancelled || this.ended) return true;
    if (chunk.length === 0) return this.queued < this.highWaterMark;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.notify();
    return this.queued < this.highWaterMark;
  }

  onDrain(resume: () => void): void {
    if (this.cancelled || this.queued < this.highWaterMark) resume();
    else this.drainers.push(resume);
  }

  /** No more chunks: the iteration ends once the queue is empty. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The reader went away: drop what is queued and whatever comes, and let the runtime go on. */
  cancel(): void {
    this.cancelled = true;
    this.queue.length = 0;
    this.queued = 0;
    this.releaseDrainers();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    try {
      for (;;) {
        const chunk = this.queue.shift();
        if (chunk !== undefined) {
          this.queued -= chunk.length;
          if (this.queued < this.highWaterMark) this.releaseDrainers();
          yield chunk;
          continue;
        }
        if (this.ended || this.cancelled) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      // Left early (the client closed, or the consumer threw): nobody reads the rest.
      if (!this.ended || this.queue.length > 0) this.cancel();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private releaseDrainers(): void {
    const drainers = this.drainers;
    if (drainers.length === 0) return;
    this.drainers = [];
    for (const resume of drainers) resume();
  }
}

export interface StreamingInvocation {
  /**
   * Resolves once there is something to answer with: the runtime began streaming, or the invocation
   * ended (a buffered response, an error). Rejects with what `invoke` throws before running anything
   * (a throttle): the caller can still answer with an ordinary error then.
   */
  ready: Promise<void>;
  /** The response's bytes as the function writes them; a buffered response is one chunk. */
  chunks: ChunkStream;
  /** The invocation's end, as `Invoker.invoke` gives it (the function's error, if any, is in `result`). */
  outcome: Promise<InvokeOutcome & { coldStart: boolean }>;
}

/** Runs one invocation whose response is streamed (InvokeWithResponseStream, RESPONSE_STREAM URLs). */
export function invokeStreaming(
  invoker: Invoker,
  target: FunctionTarget,
  request: Omit<InvokeRequest, 'stream'>,
  highWaterMark?: number,
): StreamingInvocation {
  const chunks = new ChunkStream(highWaterMark);
  const outcome = invoker.invoke(target, { ...request, stream: chunks });
  const ended = outcome.then(
    ({ result }) => {
      // A function that does not stream answers in one piece: that is the stream's one chunk.
      if (result.kind === 'response' && result.streamedBytes === undefined) {
        if (result.contentType !== undefined) chunks.contentType = result.contentType;
        chunks.write(result.payload);
      }
      chunks.end();
    },
    (err: unknown) => {
      chunks.end();
      throw err;
    },
  );
  // Whoever awaits `ready` sees a rejection; the stream's own handling must not be unhandled.
  ended.catch(() => undefined);
  return { ready: Promise.race([chunks.started, ended]), chunks, outcome };
}
