/**
 * XML in and out for rest-xml, driven by the model's shapes: element names (`locationName`),
 * flattened and wrapped lists, ISO 8601 timestamps. Services hand plain values to the codec
 * and never see XML.
 */
import { XMLParser } from 'fast-xml-parser';
import type { Member, Shape } from '../../shared/shapes.js';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // S3 keys may hold a carriage return, which an XML parser would otherwise fold into \n.
  '\r': '&#13;',
};

/** `2009-10-12T17:50:30.000Z`, as S3 writes timestamps in documents. */
export function isoTimestamp(value: unknown): string {
  const d = value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value));
  return d.toISOString();
}

/** One element `<name>...</name>` for a value of a shape (a flattened list: one element per item). */
export function elementXml(name: string, shape: Shape, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (shape.type) {
    case 'structure': {
      const record = value as Record<string, unknown>;
      let inner = '';
      for (const [member, m] of Object.entries(shape.members)) {
        if (m.location) continue;
        inner += elementXml(m.locationName ?? member, m, record[member]);
      }
      return `<${name}>${inner}</${name}>`;
    }
    case 'list': {
      const items = value as unknown[];
      if (shape.flattened) {
        const itemName = shape.member.locationName ?? name;
        return items.map((item) => elementXml(itemName, shape.member, item)).join('');
      }
      const itemName = shape.member.locationName ?? 'member';
      return `<${name}>${items.map((item) => elementXml(itemName, shape.member, item)).join('')}</${name}>`;
    }
    case 'timestamp':
      return `<${name}>${isoTimestamp(value)}</${name}>`;
    case 'blob':
      return `<${name}>${Buffer.from(value as Uint8Array).toString('base64')}</${name}>`;
    default:
      return `<${name}>${escapeXml(String(value))}</${name}>`;
  }
}

/** A whole document: the declaration, then the root element carrying the namespace. */
export function documentXml(root: string, shape: Shape, value: unknown, xmlns: string | undefined): string {
  const element = elementXml(root, shape, value ?? {});
  const opened = xmlns ? element.replace(`<${root}>`, `<${root} xmlns="${xmlns}">`) : element;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${opened}`;
}

export class MalformedXmlError extends Error {}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  removeNSPrefix: true,
  processEntities: true,
  htmlEntities: false,
  // Every element may repeat: the shape, not the parser, decides what is a list.
  isArray: () => true,
});

/**
 * Parses a document and returns its root element's children read against `shape`, and the
 * root's name. Throws MalformedXmlError for text that is not XML or not one root element.
 */
export function parseDocument(body: Buffer, shape: Shape): { root: string; value: unknown } {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body.toString('utf8'), true) as Record<string, unknown>;
  } catch {
    throw new MalformedXmlError();
  }
  const roots = Object.keys(doc).filter((k) => k !== '#text');
  const root = roots[0];
  if (roots.length !== 1 || root === undefined) throw new MalformedXmlError();
  const nodes = doc[root] as unknown[];
  if (nodes.length !== 1) throw new MalformedXmlError();
  return { root, value: fromNode(shape, nodes[0]) };
}

function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    const text = (node as Record<string, unknown>)['#text'];
    if (Array.isArray(text)) return text.map(String).join('');
    if (text !== undefined) return String(text);
  }
  return '';
}

function fromNode(shape: Member | Shape, node: unknown): unknown {
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      if (!node || typeof node !== 'object') return out;
      const children = node as Record<string, unknown[]>;
      for (const [name, m] of Object.entries(shape.members)) {
        if (m.location) continue;
        const elementName = m.locationName ?? name;
        if (m.type === 'list' && m.flattened) {
          const items = children[m.member.locationName ?? elementName];
          if (items) out[name] = items.map((item) => fromNode(m.member, item));
          continue;
        }
        const found = children[elementName];
        if (found?.[0] !== undefined) out[name] = fromNode(m, found[0]);
      }
      return out;
    }
    case 'list': {
      const items =
        (node && typeof node === 'object'
          ? (node as Record<string, unknown[]>)[shape.member.locationName ?? 'member']
          : undefined) ?? [];
      return items.map((item) => fromNode(shape.member, item));
    }
    case 'boolean':
      return textOf(node).trim() === 'true';
    case 'integer':
    case 'double': {
      const n = Number(textOf(node).trim());
      if (!Number.isFinite(n)) throw new MalformedXmlError();
      return n;
    }
    case 'timestamp':
      return new Date(textOf(node).trim());
    default:
      return textOf(node);
  }
}
