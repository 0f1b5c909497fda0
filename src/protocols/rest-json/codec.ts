/**
 * The rest-json protocol (Lambda, API Gateway v2, ...): members bound to the URI, query
 * string and headers, the rest as a JSON document (blobs base64), errors as JSON with an
 * `x-amzn-ErrorType` header.
 */

import type { AwsError } from '../../shared/errors.js';
import { SerializationException } from '../../shared/errors.js';
import type { Shape } from '../../shared/shapes.js';
import { encodeEvent, MAX_EVENT_PAYLOAD_BYTES } from '../event-stream/encoder.js';
import { fromJson } from '../json-values.js';
import { parseLargeJson } from '../large-json.js';
import type { Operation, ProtocolCodec, RequestView, ResponseData, StreamEvent } from '../types.js';

export function createRestJsonCodec(): ProtocolCodec {
  return { decode, decodeAsync, encode, encodeError };
}

/** Bodies past this are parsed in slices (large-json.ts); below it JSON.parse takes a few ms at most. */
const LARGE_BODY = 256 * 1024;

async function decodeAsync(
  op: Operation,
  req: RequestView,
  labels: Record<string, string>,
): Promise<Record<string, unknown>> {
  // An input payload (Invoke's) is the body itself, not a JSON document.
  if (req.body.length <= LARGE_BODY || op.inputPayload !== undefined) {
    return decode(op, req, labels);
  }
  const doc = await parseLargeJson(req.body);
  return decode(op, req, labels, asObject(doc));
}

function decode(
  op: Operation,
  req: RequestView,
  labels: Record<string, string>,
  parsed?: Record<string, unknown>,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  let bodyMembers = false;
  for (const [name, member] of Object.entries(op.input.members)) {
    const key = member.locationName ?? name;
    switch (member.location) {
      case 'uri': {
        const raw = labels[key];
        if (raw !== undefined) input[name] = scalarFromString(member, safeDecode(raw), name);
        break;
      }
      case 'querystring': {
        if (member.type === 'list') {
          const all = req.query.getAll(key);
          if (all.length) input[name] = all.map((v) => scalarFromString(member.member, v, name));
        } else {
          const v = req.query.get(key);
          if (v !== null) input[name] = scalarFromString(member, v, name);
        }
        break;
      }
      case 'header': {
        const v = req.headers[key.toLowerCase()];
        if (typeof v === 'string') input[name] = scalarFromString(member, v, name);
        break;
      }
      default:
        if (name === op.inputPayload) input[name] = req.body;
        else bodyMembers = true;
    }
  }
  if (bodyMembers && req.body.length > 0) {
    const doc = parsed ?? parseJson(req.body);
    for (const [name, member] of Object.entries(op.input.members)) {
      // A body member may travel under another name (API Gateway's PutIntegration sends
      // `integrationHttpMethod` as `httpMethod`, whose own name is a URI label).
      const key = member.locationName ?? name;
      if (member.location || name === op.inputPayload || !(key in doc)) continue;
      input[name] = fromJson(member, doc[key], name);
    }
  }
  return input;
}

function parseJson(body: Buffer): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SerializationException('Could not parse request body into json: the body is not valid JSON');
  }
  return asObject(doc);
}

function asObject(doc: unknown): Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new SerializationException('Could not parse request body into json: expected a JSON object');
  }
  return doc as Record<string, unknown>;
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function scalarFromString(shape: Shape, value: string, at: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'double': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new SerializationException(`Unable to parse '${value}' as a number for ${at}`);
      }
      return n;
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') {
        throw new SerializationException(`Unable to parse '${value}' as a boolean for ${at}`);
      }
      return value === 'true';
    default:
      return value;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function encode(op: Operation, output: Record<string, unknown>, requestId: string): ResponseData {
  const bindings = op.output ?? {};
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  let status = op.http.status;
  const doc: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(output)) {
    if (value === undefined) continue;
    const header = bindings.headers?.[name];
    if (header) headers[header] = String(value);
    else if (name === bindings.statusCode) status = Number(value);
    else if (name !== bindings.payload) doc[name] = value;
  }
  if (bindings.eventStream) {
    const events = output[bindings.eventStream] as AsyncIterable<StreamEvent> | undefined;
    return {
      status,
      headers: { ...headers, 'content-type': EVENT_STREAM_TYPE },
      body: Buffer.alloc(0),
      ...(events ? { stream: frameEvents(events) } : {}),
    };
  }
  if (bindings.payload) {
    const payload = output[bindings.payload];
    return { status, headers, body: Buffer.isBuffer(payload) ? payload : Buffer.alloc(0) };
  }
  if (status === 204) return { status, headers, body: '' };
  return { status, headers: { ...headers, ...JSON_HEADERS }, body: JSON.stringify(doc, toJsonValue) };
}

const EVENT_STREAM_TYPE = 'application/vnd.amazon.eventstream';

/** Each event one message; a blob payload past one message's size goes as several events of its type. */
async function* frameEvents(events: AsyncIterable<StreamEvent>): AsyncGenerator<Buffer, void, undefined> {
  for await (const event of events) {
    if (event.payload !== undefined) {
      const bytes = event.payload;
      for (let at = 0; at < bytes.length || at === 0; at += MAX_EVENT_PAYLOAD_BYTES) {
        const piece = bytes.subarray(at, Math.min(bytes.length, at + MAX_EVENT_PAYLOAD_BYTES));
        yield encodeEvent(event.type, 'application/octet-stream', piece);
        if (bytes.length === 0) break;
      }
    } else {
      const doc = JSON.stringify(event.members ?? {}, toJsonValue);
      yield encodeEvent(event.type, 'application/json', Buffer.from(doc));
    }
  }
}

/** Buffers become base64 (blobs); Dates ISO strings. */
function toJsonValue(this: unknown, _key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

function encodeError(error: AwsError, requestId: string): ResponseData {
  // Fields may override the message (AWS sends `"Message": null` for some errors).
  const body = { [error.messageKey]: error.message, ...error.fields };
  return {
    status: error.status,
    headers: {
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
      ...JSON_HEADERS,
      ...error.headers,
    },
    body: JSON.stringify(body),
  };
}
