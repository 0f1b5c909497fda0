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

/**
 * One page of `all` after the marker's item (found by `keyOf`), at most `limit` items, and the
 * marker of the next page when there is one.
 */
export function pageOf<T>(
  all: readonly T[],
  marker: string | undefined,
  limit: number,
  keyOf: (item: T) => string,
): { items: T[]; nextMarker?: string } {
  const [after] = decodeMarker(marker);
  const start = after === undefined ? 0 : all.findIndex((item) => keyOf(item) === after) + 1;
  const items = all.slice(start, start + limit);
  const last = items[items.length - 1];
  return {
    items,
    ...(start + limit < all.length && last !== undefined ? { nextMarker: encodeMarker([keyOf(last)]) } : {}),
  };
}
