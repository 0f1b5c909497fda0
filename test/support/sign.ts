/** Signing with the real SigV4 signer (@smithy/signature-v4) for requests the SDK would not send. */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';

/** Node-crypto SHA-256 / HMAC-SHA-256 in the shape the smithy signer expects. */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export interface SignedFetchOptions {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  service?: string;
  signingDate?: Date;
}

/** Signs `pathname` on `baseUrl` and sends it with fetch. */
export async function signedFetch(
  baseUrl: string,
  pathname: string,
  options: SignedFetchOptions = {},
): Promise<Response> {
  const u = new URL(baseUrl);
  const method = options.method ?? 'GET';
  const signer = new SignatureV4({
    service: options.service ?? 'lambda',
    region: 'us-east-1',
    credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: pathname,
      query: {},
      headers: { host: u.host, 'content-type': 'application/json', ...options.headers },
      body: options.body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return fetch(`${baseUrl}${pathname}`, {
    method,
    headers: signed.headers as Record<string, string>,
    body:
      method === 'GET' || options.body === undefined ? undefined : new Uint8Array(Buffer.from(options.body)),
  });
}
