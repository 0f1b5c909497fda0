/**
 * A lean SigV4 signer for the load generator: header form, the signing key cached per day,
 * one SHA-256 of the body and two HMACs per request. It signs exactly what the SDKs sign for a
 * rest-json call (host, x-amz-date, the other x-amz-* and content-type headers) so the server
 * does the same verification work as for SDK traffic. The benchmark checks it against the
 * server, which rejects anything it would not accept from the SDK.
 */
import { createHash, createHmac } from 'node:crypto';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export class Signer {
  private day = '';
  private key: Buffer = Buffer.alloc(0);
  private second = -1;
  private amzDate = '';

  constructor(private readonly c: SigningCredentials) {}

  /**
   * Returns the headers to add (x-amz-date, authorization). `headers` are the lower-case
   * headers that will be sent, including host; `path` is the encoded path as sent.
   */
  sign(method: string, path: string, headers: Record<string, string>, body: Buffer): Record<string, string> {
    const nowSec = Math.floor(Date.now() / 1000);
    if (nowSec !== this.second) {
      this.second = nowSec;
      this.amzDate = `${new Date(nowSec * 1000).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
    }
    const amzDate = this.amzDate;
    const day = amzDate.slice(0, 8);
    if (day !== this.day) {
      this.day = day;
      const kDate = hmac(`AWS4${this.c.secretAccessKey}`, day);
      const kRegion = hmac(kDate, this.c.region);
      const kService = hmac(kRegion, this.c.service);
      this.key = hmac(kService, 'aws4_request');
    }
    const all: Record<string, string> = { ...headers, 'x-amz-date': amzDate };
    const names = Object.keys(all)
      .filter((n) => n === 'host' || n === 'content-type' || n.startsWith('x-amz-'))
      .sort();
    const canonicalHeaders = names.map((n) => `${n}:${String(all[n]).trim()}\n`).join('');
    const signedHeaders = names.join(';');
    // Non-S3 services encode each path segment once more (the SDK's uriEscapePath).
    const canonicalPath = path
      .split('/')
      .map((s) => encodeURIComponent(s))
      .join('/');
    const canonicalRequest = `${method}\n${canonicalPath}\n\n${canonicalHeaders}\n${signedHeaders}\n${sha256(body)}`;
    const scope = `${day}/${this.c.region}/${this.c.service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonicalRequest)}`;
    const signature = createHmac('sha256', this.key).update(stringToSign).digest('hex');
    return {
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.c.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }
}
