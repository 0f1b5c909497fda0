/**
 * Output values → the XML of the awsQuery protocol, built with fast-xml-parser's XMLBuilder
 * (which escapes text and attributes; hand-joined strings are where XML injection bugs live).
 * Lists are `<Name><member>…</member></Name>`, maps `<Name><entry><key/><value/></entry></Name>`,
 * timestamps ISO 8601 (UTC, `Z`), blobs base64, numbers and booleans as text. Members are
 * written in the order the handler produced them; without an output shape a plain object is
 * a structure (maps need the shape to be told apart).
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { Member, Shape } from '../../shared/shapes.js';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

export function buildXml(tree: Record<string, unknown>): string {
  return builder.build(tree) as string;
}

/** An ISO 8601 timestamp as AWS writes it: seconds precision unless there are milliseconds. */
export function isoTimestamp(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

type XmlNode = string | { [key: string]: XmlNode | XmlNode[] };

export function toXmlNode(value: unknown, shape?: Member | Shape): XmlNode | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return isoTimestamp(value);
  if (shape?.type === 'timestamp' && typeof value === 'number') return isoTimestamp(new Date(value * 1000));
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    const member = shape?.type === 'list' ? shape.member : undefined;
    const items = value.map((v) => toXmlNode(v, member)).filter((v) => v !== undefined);
    return items.length ? { member: items } : '';
  }
  const record = value as Record<string, unknown>;
  if (shape?.type === 'map') {
    const entries = Object.entries(record).flatMap(([k, v]) => {
      const node = toXmlNode(v, shape.value);
      return node === undefined ? [] : [{ key: k, value: node }];
    });
    return entries.length ? { entry: entries } : '';
  }
  const members = shape?.type === 'structure' ? shape.members : undefined;
  const out: Record<string, XmlNode> = {};
  for (const [k, v] of Object.entries(record)) {
    const node = toXmlNode(v, members?.[k]);
    if (node !== undefined) out[members?.[k]?.locationName ?? k] = node;
  }
  return out;
}
