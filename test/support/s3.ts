/** Raw S3 requests for what the SDK will not send (streamed bodies of a chosen shape, cut-off uploads). */
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from './sign.js';

/** SigV4 headers for an S3 request whose body is not hashed (`UNSIGNED-PAYLOAD`), as presigners and streaming uploaders send. */
export async function signS3(
  baseUrl: string,
  method: string,
  pathname: string,
  headers: Record<string, string> = {},
  region = 'us-east-1',
): Promise<Record<string, string>> {
  const u = new URL(baseUrl);
  const [pathOnly = '/', rawQuery = ''] = pathname.split('?');
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) query[k] = v;
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: pathOnly,
    query,
    headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
  });
  return signed.headers as Record<string, string>;
}

/** Starts a request and hands back the request to write the body into, and the response when it comes. */
export function openRequest(
  baseUrl: string,
  method: string,
  pathname: string,
  headers: Record<string, string>,
): { req: http.ClientRequest; response: Promise<{ status: number; body: string }> } {
  const u = new URL(baseUrl);
  const req = http.request({
    host: u.hostname,
    port: Number(u.port),
    method,
    path: pathname,
    headers,
    agent: false,
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, response };
}

/** `size` bytes of a repeating pattern, in 1 MiB pieces, as a generator (nothing held). */
export function* patternBytes(size: number, piece = 1024 * 1024): Generator<Buffer> {
  const block = Buffer.alloc(piece);
  for (let i = 0; i < piece; i++) block[i] = (i * 31 + 7) & 0xff;
  for (let sent = 0; sent < size; sent += piece) yield block.subarray(0, Math.min(piece, size - sent));
}
