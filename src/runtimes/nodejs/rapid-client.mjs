// A minimal HTTP/1.1 client for the Lambda Runtime API over one keep-alive connection.
//
// Why not node:http: this sits on every invocation's path and in every cold start; a single socket with
// pipelined requests (the response POST and the next GET leave together) costs a fraction of http.Agent.
// The socket is unref'd whenever no request is outstanding, so it never keeps the event loop alive while
// a handler runs: callback handlers rely on the loop draining ('beforeExit'), as on Lambda.

import { fs, net } from './builtins.mjs';

const { connect } = net;

/**
 * Lambent's own way in, where the platform provides it: the Runtime API's unix socket bound into the
 * sandbox (sandbox/linux/sandbox.ts RUNTIME_SOCKET). Connections there skip the relay that carries
 * AWS_LAMBDA_RUNTIME_API's TCP port into the sandbox's network namespace: one hop less per call.
 */
const RUNTIME_SOCKET = '/var/rapid/runtime.sock';

const NEXT_PATH = '/2018-06-01/runtime/invocation/next';
const INVOCATION_PATH = '/2018-06-01/runtime/invocation/';
const INIT_ERROR_PATH = '/2018-06-01/runtime/init/error';
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * A pre-started runtime's private way in (pool.mjs): a second port of the same Runtime API where the
 * connection proves itself with a token instead of the server scanning /proc/net/tcp for its uid.
 */
let tokenRoute = null;

export function useTokenRoute(port, token) {
  tokenRoute = { port, token };
}

export class RapidClient {
  #host;
  #port;
  #hostHeader;
  #socket = null;
  /** RUNTIME_SOCKET when it exists (looked for at construction: a pooled runtime gets it at assignment). */
  #socketPath = null;
  /** FIFO of requests sent and not yet answered: { resolve, reject, head } */
  #pending = [];
  /** Bytes received and not yet consumed. */
  #buf = null;
  /** The response being read: { status, headers, length, chunked, chunks, have } */
  #cur = null;

  constructor(address) {
    if (!address) throw new Error('AWS_LAMBDA_RUNTIME_API is not set');
    const colon = address.lastIndexOf(':');
    this.#host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    this.#port = Number(address.slice(colon + 1));
    this.#hostHeader = address;
    if (fs.existsSync(RUNTIME_SOCKET)) this.#socketPath = RUNTIME_SOCKET;
    // Connect now: the handshake overlaps with loading the handler.
    this.#connect().unref();
  }

  /** Writes made between cork() and uncork() leave in one packet (the response POST and the next GET). */
  cork() {
    (this.#socket ?? this.#connect()).cork();
  }

  uncork() {
    this.#socket?.uncork();
  }

  /** Long-polls the next invocation: { headers (lower-case names), body (Buffer) }. */
  next() {
    return this.#request(`GET ${NEXT_PATH} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n\r\n`, null).then(
      (res) => {
        if (res.status !== 200) {
          throw new Error(
            `Failed to get next invocation, HTTP ${res.status}: ${res.body.toString('utf8').trim()}`,
          );
        }
        return res;
      },
    );
  }

  postResponse(requestId, body, contentType = 'application/json', extraHeaders = '') {
    const path = `${INVOCATION_PATH}${encodeURIComponent(requestId)}/response`;
    return this.#post(path, `Content-Type: ${contentType}\r\n${extraHeaders}`, body);
  }

  /**
   * Starts a streamed response (one chunked POST, `Lambda-Runtime-Function-Response-Mode: streaming`):
   * returns { write(bytes, callback), end(error | undefined, callback) }. Each callback runs once the
   * socket has taken the bytes (after 'drain' when its buffer is full): the handler's backpressure.
   * `end` with { errorType, errorBody } sends the error in the trailers.
   */
  streamResponse(requestId, contentType) {
    const path = `${INVOCATION_PATH}${encodeURIComponent(requestId)}/response`;
    const socket = this.#socket ?? this.#connect();
    if (this.#pending.length === 0) socket.ref();
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\nContent-Type: ${headerSafe(contentType)}\r\n` +
        'Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n' +
        'Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n',
      'latin1',
    );
    // The 202 comes after the last chunk; nobody waits for it but the FIFO of answers.
    new Promise((resolve, reject) => this.#pending.push({ resolve, reject })).catch(() => {});
    const written = (ok, callback) => {
      if (ok || socket.destroyed) return callback();
      const go = () => {
        socket.off('drain', go);
        socket.off('close', go);
        callback();
      };
      socket.on('drain', go);
      socket.on('close', go);
    };
    return {
      write(bytes, callback) {
        if (bytes.length === 0) return callback();
        socket.cork();
        socket.write(`${bytes.length.toString(16)}\r\n`, 'latin1');
        socket.write(bytes);
        const ok = socket.write('\r\n', 'latin1');
        socket.uncork();
        written(ok, callback);
      },
      end(error, callback) {
        let tail = '0\r\n';
        if (error) {
          tail +=
            `Lambda-Runtime-Function-Error-Type: ${headerSafe(error.errorType ?? 'Unhandled')}\r\n` +
            `Lambda-Runtime-Function-Error-Body: ${Buffer.from(error.errorBody).toString('base64')}\r\n`;
        }
        written(socket.write(`${tail}\r\n`, 'latin1'), callback);
      },
    };
  }

  postError(requestId, body, errorType) {
    const path = `${INVOCATION_PATH}${encodeURIComponent(requestId)}/error`;
    return this.#post(path, errorHeaders(errorType), body);
  }

  postInitError(body, errorType) {
    return this.#post(INIT_ERROR_PATH, errorHeaders(errorType), body);
  }

  #post(path, headers, body) {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n${headers}Content-Length: ${length}\r\n\r\n`;
    return this.#request(head, body);
  }

  #request(head, body) {
    const socket = this.#socket ?? this.#connect();
    if (this.#pending.length === 0) socket.ref();
    if (body === null) socket.write(head, 'latin1');
    else if (typeof body === 'string') socket.write(head + body, 'utf8');
    else {
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body);
      socket.uncork();
    }
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  #connect() {
    const route = this.#socketPath ? null : tokenRoute;
    const socket = this.#socketPath
      ? connect({ path: this.#socketPath })
      : connect({ host: this.#host, port: route ? route.port : this.#port, noDelay: true });
    if (route) {
      // Token first; everything else waits (corked) for the server's one-byte go-ahead.
      socket.write(`${route.token}\n`, 'latin1');
      socket.cork();
      let acked = false;
      socket.on('data', (chunk) => {
        if (acked) return this.#onData(chunk);
        acked = true;
        if (chunk[0] !== 0x4b) return this.#fail(socket, new Error('Runtime API refused the token'));
        socket.uncork();
        if (chunk.length > 1) this.#onData(chunk.subarray(1));
      });
    } else {
      socket.on('data', (chunk) => this.#onData(chunk));
    }
    const fail = (err) => this.#fail(socket, err);
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('Runtime API connection closed')));
    this.#socket = socket;
    return socket;
  }

  #fail(socket, err) {
    if (this.#socket !== socket) return;
    this.#socket = null;
    this.#buf = null;
    const cur = this.#cur;
    this.#cur = null;
    // A body delimited by the connection's end is complete now.
    if (cur && cur.length === -1 && !cur.chunked) this.#complete(cur, concat(cur.chunks, cur.have));
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(err);
    socket.destroy();
  }

  #onData(chunk) {
    let buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
    this.#buf = null;
    while (buf !== null && buf.length > 0) {
      let cur = this.#cur;
      if (cur === null) {
        const end = buf.indexOf(CRLFCRLF);
        if (end === -1) break;
        cur = parseHead(buf.toString('utf8', 0, end));
        buf = end + 4 < buf.length ? buf.subarray(end + 4) : null;
        if (cur.status >= 100 && cur.status < 200) continue; // 100 Continue and friends
        if (cur.length === 0 || cur.status === 204 || cur.status === 304) {
          this.#complete(cur, Buffer.alloc(0));
          continue;
        }
        this.#cur = cur;
        if (buf === null) break;
      }
      if (cur.chunked) {
        const rest = this.#readChunked(cur, buf);
        if (this.#cur === cur) {
          this.#buf = rest; // the message goes on in the next packet
          return;
        }
        buf = rest;
      } else if (cur.length === -1) {
        cur.chunks.push(buf);
        cur.have += buf.length;
        buf = null;
      } else {
        const need = cur.length - cur.have;
        if (cur.have === 0 && buf.length >= need) {
          // The common case: the whole body in hand, no copy.
          const body = buf.subarray(0, need);
          buf = buf.length > need ? buf.subarray(need) : null;
          this.#cur = null;
          this.#complete(cur, body);
        } else if (buf.length >= need) {
          cur.chunks.push(buf.subarray(0, need));
          buf = buf.length > need ? buf.subarray(need) : null;
          this.#cur = null;
          this.#complete(cur, Buffer.concat(cur.chunks, cur.length));
        } else {
          cur.chunks.push(buf);
          cur.have += buf.length;
          buf = null;
        }
      }
    }
    this.#buf = buf;
  }

  /** Consumes chunked framing from `buf`; returns the bytes it did not consume (or null). */
  #readChunked(cur, buf) {
    let pos = 0;
    while (pos < buf.length) {
      if (cur.phase === 'data') {
        const take = Math.min(cur.chunkLeft, buf.length - pos);
        cur.chunks.push(buf.subarray(pos, pos + take));
        cur.have += take;
        cur.chunkLeft -= take;
        pos += take;
        if (cur.chunkLeft === 0) cur.phase = 'crlf';
        continue;
      }
      if (cur.phase === 'crlf') {
        if (buf.length - pos < 2) break;
        pos += 2;
        cur.phase = 'size';
        continue;
      }
      const eol = buf.indexOf('\r\n', pos);
      if (eol === -1) break;
      if (cur.phase === 'size') {
        const size = Number.parseInt(buf.toString('latin1', pos, eol), 16);
        pos = eol + 2;
        if (size > 0) {
          cur.chunkLeft = size;
          cur.phase = 'data';
        } else {
          cur.phase = 'trailers';
        }
        continue;
      }
      // Trailer lines, up to an empty one.
      const empty = eol === pos;
      pos = eol + 2;
      if (empty) {
        this.#cur = null;
        this.#complete(cur, concat(cur.chunks, cur.have));
        break;
      }
    }
    return pos < buf.length ? buf.subarray(pos) : null;
  }

  #complete(cur, body) {
    const p = this.#pending.shift();
    if (this.#pending.length === 0) this.#socket?.unref();
    p?.resolve({ status: cur.status, headers: cur.headers, body });
  }
}

function headerSafe(value) {
  return String(value).replace(/[\r\n]/g, ' ');
}

function errorHeaders(errorType) {
  const type = errorType ? `Lambda-Runtime-Function-Error-Type: ${headerSafe(errorType)}\r\n` : '';
  return `Content-Type: application/json\r\n${type}`;
}

function parseHead(text) {
  // Runs on every invocation: a hand-rolled scan, no split/regex.
  const space = text.indexOf(' ');
  const status = Number(text.slice(space + 1, space + 4));
  const headers = {};
  let pos = text.indexOf('\r\n') + 2;
  while (pos > 1 && pos < text.length) {
    let eol = text.indexOf('\r\n', pos);
    if (eol === -1) eol = text.length;
    const colon = text.indexOf(':', pos);
    if (colon > pos && colon < eol) {
      let value = colon + 1;
      while (text.charCodeAt(value) === 32 || text.charCodeAt(value) === 9) value++;
      let end = eol;
      while (end > value && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
      headers[text.slice(pos, colon).toLowerCase()] = text.slice(value, end);
    }
    pos = eol + 2;
  }
  const te = headers['transfer-encoding'];
  const chunked = te?.toLowerCase().includes('chunked') === true;
  const cl = headers['content-length'];
  const length = chunked ? -1 : cl !== undefined ? Number(cl) : -1;
  return { status, headers, length, chunked, chunks: [], have: 0, phase: 'size', chunkLeft: 0 };
}

function concat(chunks, size) {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
