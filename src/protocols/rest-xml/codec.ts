/**
 * The rest-xml protocol (S3): members bound to URI labels, the query string, headers and
 * header maps (`x-amz-meta-*`), one payload member as the body (a blob, or a structure sent as
 * an XML document), other members as an XML document whose root the service names; errors as
 * S3's `<Error><Code/><Message/>...<RequestId/><HostId/></Error>`.
 */
import type { AwsError } from '../../shared/errors.js';
import type { Member, StructureShape } from '../../shared/shapes.js';
import type { Operation, ProtocolCodec, RequestView, ResponseData } from '../types.js';
import { documentXml, escapeXml, MalformedXmlError, parseDocument } from './xml.js';

export interface RestXmlOptions {
  /** The namespace of documents (`http://s3.amazonaws.com/doc/2006-03-01/`). */
  xmlns: string;
  /** Root element of each operation's output document, when the output is not a payload structure. */
  outputRoots: Readonly<Record<string, string>>;
  /** The error for a request document that is not well-formed XML (S3: MalformedXML). */
  malformedXml(): AwsError;
  /** The error for a header or label whose value is not of its type (S3: InvalidArgument). */
  invalidValue(name: string, value: string): AwsError;
  /** A value for `x-amz-id-2` and `<HostId>`. */
  hostId(requestId: string): string;
}

export function createRestXmlCodec(options: RestXmlOptions): ProtocolCodec {
  function decode(op: Operation, req: RequestView, labels: Record<string, string>): Record<string, unknown> {
    const input: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(op.input.members)) {
      const key = member.locationName ?? name;
      switch (member.location) {
        case 'uri': {
          const raw = labels[key];
          if (raw !== undefined) input[name] = scalar(member, safeDecode(raw), key);
          break;
        }
        case 'querystring': {
          if (member.type === 'list') {
            const all = req.query.getAll(key);
            if (all.length) input[name] = all.map((v) => scalar(member.member, v, key));
          } else {
            const v = req.query.get(key);
            if (v !== null) input[name] = scalar(member, v, key);
          }
          break;
        }
        case 'header': {
          const v = req.headers[key.toLowerCase()];
          const text = Array.isArray(v) ? v.join(',') : v;
          if (text !== undefined) input[name] = scalar(member, text, key);
          break;
        }
        case 'headers': {
          const prefix = key.toLowerCase();
          const map: Record<string, string> = {};
          let any = false;
          for (const [header, v] of Object.entries(req.headers)) {
            if (!header.startsWith(prefix) || v === undefined) continue;
            map[header.slice(prefix.length)] = Array.isArray(v) ? v.join(',') : v;
            any = true;
          }
          if (any) input[name] = map;
          break;
        }
        default:
          if (name === op.inputPayload) {
            if (member.type === 'structure') {
              if (req.body.length > 0) input[name] = parsePayload(member, req.body);
            } else {
              input[name] = req.body;
            }
          }
      }
    }
    return input;
  }

  function parsePayload(shape: Member, body: Buffer): unknown {
    try {
      return parseDocument(body, shape).value;
    } catch (err) {
      if (err instanceof MalformedXmlError) throw options.malformedXml();
      throw err;
    }
  }

  function scalar(shape: Member, value: string, name: string): unknown {
    switch (shape.type) {
      case 'integer':
      case 'double': {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) throw options.invalidValue(name, value);
        return n;
      }
      case 'boolean':
        return value.toLowerCase() === 'true';
      case 'timestamp': {
        // Conditional headers with an unparseable date are ignored by S3, not refused.
        const t = Date.parse(value);
        return Number.isNaN(t) ? undefined : new Date(t);
      }
      default:
        return value;
    }
  }

  function encode(op: Operation, output: Record<string, unknown>, requestId: string): ResponseData {
    const shape: StructureShape = op.outputShape ?? { type: 'structure', members: {} };
    const headers: Record<string, string> = {
      'x-amz-request-id': requestId,
      'x-amz-id-2': options.hostId(requestId),
    };
    let status = op.http.status;
    const payloadName = op.output?.payload;
    for (const [name, member] of Object.entries(shape.members)) {
      const value = output[name];
      if (value === undefined || value === null) continue;
      const key = member.locationName ?? name;
      if (member.location === 'header') {
        headers[key.toLowerCase()] = headerValue(member, value);
      } else if (member.location === 'headers') {
        for (const [k, v] of Object.entries(value as Record<string, string>)) {
          headers[`${key.toLowerCase()}${k}`] = String(v);
        }
      }
    }
    const statusMember = op.output?.statusCode;
    if (statusMember && typeof output[statusMember] === 'number') status = output[statusMember] as number;
    if (payloadName) {
      const member = shape.members[payloadName];
      const value = output[payloadName];
      if (member?.type === 'structure') {
        return xmlResponse(
          status,
          headers,
          documentXml(member.locationName ?? payloadName, member, value, options.xmlns),
        );
      }
      if (value && typeof value === 'object' && Symbol.asyncIterator in value) {
        return {
          status,
          headers,
          body: Buffer.alloc(0),
          stream: value as AsyncIterable<Uint8Array>,
          stopWhenClosed: true,
        };
      }
      return { status, headers, body: Buffer.isBuffer(value) ? value : Buffer.alloc(0) };
    }
    const root = options.outputRoots[op.name];
    if (!root) return { status, headers, body: Buffer.alloc(0) };
    const only = Object.entries(shape.members).filter(([, m]) => !m.location);
    // A document that is one value (S3's `<LocationConstraint>eu-west-1</LocationConstraint>`).
    if (only.length === 1 && only[0]?.[0] === root) {
      const value = output[root];
      const text = value === undefined || value === null ? '' : escapeXml(String(value));
      return xmlResponse(
        status,
        headers,
        `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${options.xmlns}">${text}</${root}>`,
      );
    }
    return xmlResponse(status, headers, documentXml(root, shape, output, options.xmlns));
  }

  function encodeError(error: AwsError, requestId: string): ResponseData {
    let inner = `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>`;
    for (const [k, v] of Object.entries(error.fields)) {
      if (v !== undefined && v !== null) inner += `<${k}>${escapeXml(String(v))}</${k}>`;
    }
    const hostId = options.hostId(requestId);
    inner += `<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId>`;
    return {
      status: error.status,
      headers: {
        'content-type': 'application/xml',
        'x-amz-request-id': requestId,
        'x-amz-id-2': hostId,
        ...error.headers,
      },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${inner}</Error>`,
    };
  }

  return { decode, encode, encodeError };
}

function xmlResponse(status: number, headers: Record<string, string>, body: string): ResponseData {
  return { status, headers: { ...headers, 'content-type': 'application/xml' }, body };
}

/** Timestamps in headers are HTTP dates (`Wed, 21 Oct 2015 07:28:00 GMT`). */
function headerValue(member: Member, value: unknown): string {
  if (member.type === 'timestamp') {
    const d = value instanceof Date ? value : new Date(value as string | number);
    return d.toUTCString();
  }
  return String(value);
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
