/** Opaque pagination markers: base64url of a small JSON array of position fields. */
import { InvalidParameterValueException } from '../errors.js';

export function encodeMarker(position: string[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeMarker(marker: string | undefined): string[] {
  if (!marker) return [];
  try {
    const value = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  } catch {
    // fall through to AWS's error
  }
  throw new InvalidParameterValueException('Invalid pagination token.');
}
