// Response streaming (awslambda.streamifyResponse): the handler's responseStream is a Writable whose bytes
// go to the Runtime API as they are written, in one chunked POST with
// `Lambda-Runtime-Function-Response-Mode: streaming`. The request's head leaves with the first write (so
// setContentType still counts before it); a write's callback waits for the socket to drain, which is how a
// slow client holds the handler back. An error after the head has left ends the body with the error in
// its trailers. node:stream is loaded on the first streaming invocation only: it is the costliest built-in
// to load.

import { Module } from './builtins.mjs';

let ResponseStream;

/** The handler's responseStream for one invocation, writing through `client` (a RapidClient). */
export function newResponseStream(client, requestId, highWaterMark) {
  if (!ResponseStream) {
    const { Writable } = Module.createRequire(import.meta.url)('node:stream');
    ResponseStream = class extends Writable {
      contentType = 'application/octet-stream';
      #client;
      #requestId;
      #writer = null;
      #closed = false;

      constructor(client, requestId, options) {
        super(options);
        this.#client = client;
        this.#requestId = requestId;
      }

      setContentType(contentType) {
        this.contentType = contentType;
      }

      /** True once the response's head has gone to the Runtime API (an error must then go in trailers). */
      get headSent() {
        return this.#writer !== null;
      }

      #open() {
        this.#writer ??= this.#client.streamResponse(this.#requestId, this.contentType);
        return this.#writer;
      }

      _write(chunk, encoding, callback) {
        if (this.#closed) return callback();
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
        this.#open().write(bytes, callback);
      }

      _final(callback) {
        if (this.#closed) return callback();
        this.#closed = true;
        this.#open().end(undefined, callback);
      }

      /** Ends the response with the error in its trailers; later writes are dropped. */
      fail(errorType, errorBody) {
        if (this.#closed) return;
        this.#closed = true;
        this.#open().end({ errorType, errorBody }, () => {});
      }
    };
  }
  return new ResponseStream(client, requestId, highWaterMark ? { highWaterMark } : {});
}

// biome-ignore lint/complexity/noStaticOnlyClass: AWS's API is a class, awslambda.HttpResponseStream.from()
export class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType('application/vnd.awslambda.http-integration-response');
    underlyingStream.write(JSON.stringify(prelude));
    underlyingStream.write(new Uint8Array(8)); // the 8 NUL bytes that end the prelude
    return underlyingStream;
  }
}
