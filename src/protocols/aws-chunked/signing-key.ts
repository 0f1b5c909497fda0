/**
 * SigV4's signing key, kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"), and the chunk-signing context built from a request the gateway verified.
 * The gateway's key cache (src/gateway/sigv4.ts) derives the same key; this stands alone so the
 * body reader and its tests need no gateway internals.
 */

import { createHmac } from 'node:crypto';
import type { ChunkSigning } from './upload-headers.js';

export function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  let key = createHmac('sha256', `AWS4${secretAccessKey}`).update(date, 'utf8').digest();
  for (const part of [region, service, 'aws4_request'])
    key = createHmac('sha256', key).update(part, 'utf8').digest();
  return key;
}

/** From a verified request's parsed Authorization (sigv4's SigV4Auth has these fields). */
export function chunkSigningFor(
  auth: { signature: string; amzDate: string; scope: string; date: string; region: string; service: string },
  secretAccessKey: string,
): ChunkSigning {
  return {
    signingKey: deriveSigningKey(secretAccessKey, auth.date, auth.region, auth.service),
    seedSignature: auth.signature,
    amzDate: auth.amzDate,
    scope: auth.scope,
  };
}
