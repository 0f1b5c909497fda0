/** What the load generator sends: one HTTP endpoint, optionally SigV4-signed, and what counts as success. */
import type { SigningCredentials } from './sigv4.js';
import { Signer } from './sigv4.js';

export interface Target {
  host: string;
  port: number;
  method: 'GET' | 'POST';
  /** Encoded path as sent. */
  path: string;
  /** Extra lower-case headers (e.g. x-amz-invocation-type); `host` replaces `<host>:<port>`. */
  headers?: Record<string, string>;
  /**
   * The body; `{seq}` is replaced by a per-run sequence number and `{now}` by the send time
   * (ms since the epoch) of each request, which makes the body (and signature) unique.
   */
  body: string;
  /** Sign each request with SigV4 (the same cost for Lambent and its baselines). */
  sign?: SigningCredentials;
  /** The status a successful answer has. */
  expectStatus: number;
}

/** Builds raw request buffers for a target, signing each one when asked. */
export class RequestFactory {
  private readonly signer: Signer | undefined;
  private readonly templated: boolean;
  private readonly fixed: Buffer | undefined;
  private readonly hostHeader: string;
  private cached: Buffer | undefined;
  private cachedSecond = -1;
  seq = 0;

  constructor(private readonly t: Target) {
    this.signer = t.sign ? new Signer(t.sign) : undefined;
    this.templated = t.body.includes('{seq}') || t.body.includes('{now}');
    this.hostHeader = `${t.host}:${t.port}`;
    if (!this.signer && !this.templated) this.fixed = this.build(Buffer.from(t.body));
  }

  next(): Buffer {
    if (this.fixed) return this.fixed;
    if (!this.templated) {
      // Same bytes within one second: sign once per second (the server still verifies every
      // request). This keeps the client's cost per request as low as an unsigned client's.
      const second = Math.floor(Date.now() / 1000);
      if (second !== this.cachedSecond || !this.cached) {
        this.cached = this.build(Buffer.from(this.t.body));
        this.cachedSecond = second;
      }
      return this.cached;
    }
    const seq = this.seq++;
    const body = this.templated
      ? Buffer.from(this.t.body.replaceAll('{seq}', String(seq)).replaceAll('{now}', String(Date.now())))
      : Buffer.from(this.t.body);
    return this.build(body);
  }

  private build(body: Buffer): Buffer {
    const headers: Record<string, string> = {
      host: this.hostHeader,
      // A GET (the http case's browser-like requests) carries no body and so no content type.
      ...(this.t.method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...this.t.headers,
    };
    const signed = this.signer ? this.signer.sign(this.t.method, this.t.path, headers, body) : {};
    let head = `${this.t.method} ${this.t.path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries({ ...headers, ...signed })) head += `${k}: ${v}\r\n`;
    head += `content-length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }
}
