/**
 * IAM and STS identifiers in AWS's formats: unique ids are a 4-letter prefix (AIDA user,
 * AROA role, ANPA managed policy, AKIA access key, ASIA temporary access key) and base-32
 * upper-case characters; secrets are 40 characters of base64; session tokens are long opaque
 * base64 strings.
 */
import { randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(n: number): string {
  const bytes = randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += BASE32[(bytes[i] as number) & 31];
  return out;
}

/** `AIDA…`, `AROA…`, `ANPA…`: 21 characters, as AWS's unique ids are. */
export const uniqueId = (prefix: 'AIDA' | 'AROA' | 'ANPA'): string => `${prefix}${base32(17)}`;

/** `AKIA…` (long-term) or `ASIA…` (temporary): 20 characters. */
export const accessKeyId = (prefix: 'AKIA' | 'ASIA'): string => `${prefix}${base32(16)}`;

/** 40 characters of base64, as AWS secret access keys are. */
export function secretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

/** An opaque session token; its value means nothing, the store maps it to its session. */
export function sessionToken(): string {
  return `IQoJb3JpZ2luX2VjE${randomBytes(240).toString('base64')}`;
}
