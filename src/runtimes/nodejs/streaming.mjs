// Response streaming (awslambda.streamifyResponse), buffered: the handler writes to a stream whose bytes
// are posted in one piece when it ends. Invoke (RequestResponse) returns the whole body either way.
// node:stream is loaded on the first streaming invocation only: it is the costliest built-in to load.

import { Module } from './builtins.mjs';

let BufferedResponseStream;

export function newBufferedResponseStream(highWaterMark) {
  if (!BufferedResponseStream) {
    const { Writable } = Module.createRequire(import.meta.url)('node:stream');
    BufferedResponseStream = class extends Writable {
      chunks = [];
      contentType = 'application/octet-stream';
      setContentType(contentType) {
        this.contentType = contentType;
      }
      _write(chunk, encoding, callback) {
        this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
        callback();
      }
    };
  }
  return new BufferedResponseStream(highWaterMark ? { highWaterMark } : {});
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
