/**
 * A lean HTTP/1.1 keep-alive client for the load generator: one request in flight per
 * connection, the request written as one buffer, the response parsed just enough (status,
 * headers as raw text, Content-Length or chunked body). It costs the client a few
 * microseconds per request where `http.request` costs tens, so the generator stays far from
 * being the bottleneck on a 2-core machine.
 */
import net from 'node:net';

export interface HttpResponse {
  status: number;
  /** Raw header block as received, without the status line. */
  head: string;
  body: Buffer;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class Connection {
  private socket: net.Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending:
    | { resolve: (r: HttpResponse) => void; reject: (e: Error) => void; status?: number; head?: string }
    | undefined;
  private headerEnd = -1;
  private bodyLength = -1;
  private chunked = false;
  closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.fail(err));
        resolve();
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('close', () => this.fail(new Error('connection closed by server')));
      this.socket = socket;
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  request(raw: Buffer): Promise<HttpResponse> {
    if (this.closed || !this.socket) return Promise.reject(new Error('connection is closed'));
    if (this.pending) return Promise.reject(new Error('connection is busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket?.write(raw);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private fail(err: Error): void {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const p = this.pending;
    if (!p) {
      this.fail(new Error('unexpected data from server'));
      return;
    }
    if (this.headerEnd < 0) {
      const at = this.buf.indexOf(CRLFCRLF);
      if (at < 0) return;
      this.headerEnd = at + 4;
      const headText = this.buf.toString('latin1', 0, at);
      const lineEnd = headText.indexOf('\r\n');
      p.status = Number(headText.slice(9, 12));
      p.head = lineEnd < 0 ? '' : headText.slice(lineEnd + 2);
      const cl = /(?:^|\r\n)content-length:\s*(\d+)/i.exec(p.head);
      this.chunked = /(?:^|\r\n)transfer-encoding:\s*chunked/i.test(p.head);
      this.bodyLength = cl ? Number(cl[1]) : this.chunked ? -1 : 0;
    }
    let body: Buffer | undefined;
    let consumed = 0;
    if (this.chunked) {
      const parsed = parseChunked(this.buf, this.headerEnd);
      if (!parsed) return;
      body = parsed.body;
      consumed = parsed.end;
    } else {
      if (this.buf.length < this.headerEnd + this.bodyLength) return;
      body = this.buf.subarray(this.headerEnd, this.headerEnd + this.bodyLength);
      consumed = this.headerEnd + this.bodyLength;
    }
    const response: HttpResponse = { status: p.status ?? 0, head: p.head ?? '', body };
    this.buf = consumed < this.buf.length ? this.buf.subarray(consumed) : Buffer.alloc(0);
    this.headerEnd = -1;
    this.pending = undefined;
    if (/(?:^|\r\n)connection:\s*close/i.test(response.head)) this.close();
    p.resolve(response);
  }
}

/** Decodes a complete chunked body starting at `from`; undefined while incomplete. */
function parseChunked(buf: Buffer, from: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // No trailers expected: the terminating CRLF follows.
      if (buf.length < dataStart + 2) return undefined;
      return { body: Buffer.concat(parts), end: dataStart + 2 };
    }
    if (buf.length < dataStart + size + 2) return undefined;
    parts.push(buf.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** A header's value from a raw head block (name matched case-insensitively), or undefined. */
export function headerOf(head: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\r\\n)${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1];
}
