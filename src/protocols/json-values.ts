/**
 * JSON values → the model's types, shared by the JSON-based protocols (rest-json, json):
 * base64 strings become Buffers for blobs; unknown structure members are dropped; null is
 * treated as absent.
 */
import { SerializationException } from '../shared/errors.js';
import type { Member, Shape } from '../shared/shapes.js';
import { LongJsonString } from './large-json.js';

export function fromJson(shape: Member | Shape, value: unknown, at: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.type) {
    case 'blob':
      if (value instanceof LongJsonString) return value.bytes();
      if (typeof value !== 'string') throw new SerializationException(`Expected base64 string at ${at}`);
      return Buffer.from(value, 'base64');
    case 'list':
      return Array.isArray(value) ? value.map((v) => fromJson(shape.member, v, at)) : value;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromJson(shape.value, v, at)]),
      );
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const member = shape.members[k];
        // Unknown members are ignored, as AWS's JSON deserialisers do.
        if (member) out[k] = fromJson(member, v, `${at}.${k}`);
      }
      return out;
    }
    default:
      return value instanceof LongJsonString ? value.text() : value;
  }
}
