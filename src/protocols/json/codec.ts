/**
 * The AWS JSON protocol, versions 1.0 and 1.1 (DynamoDB, Kinesis, CloudWatch Logs,
 * EventBridge, ...): every request is `POST /` with the operation named by
 * `X-Amz-Target: <Prefix>.<Operation>` and its input as one JSON document; the output is one
 * JSON document; errors are `{"__type": "<Code>", "message": "..."}` with the error's status.
 *
 * Wire facts kept here: the content type is `application/x-amz-json-1.0` or `-1.1`; blobs are
 * base64 strings; `timestamp` shapes are epoch seconds as numbers (services that model times
 * as `long` milliseconds, like CloudWatch Logs, simply use integer members); the protocol's
 * own errors (a target naming no operation, a body that is not a JSON object) come from the
 * Coral framework and carry its namespace and no message, as AWS sends them:
 * `{"__type":"com.amazon.coral.service#UnknownOperationException"}` and
 * `{"__type":"com.amazon.coral.service#SerializationException"}`.
 */

import type { AwsError } from '../../shared/errors.js';
import { SerializationException } from '../../shared/errors.js';
import { fromJson } from '../json-values.js';
import type { Operation, ProtocolCodec, RequestView, ResponseData } from '../types.js';

export type JsonVersion = '1.0' | '1.1';

/** Errors the JSON protocol itself raises; AWS names them in the Coral namespace. */
const CORAL_ERRORS = new Set(['UnknownOperationException', 'SerializationException']);
const CORAL_NAMESPACE = 'com.amazon.coral.service#';

/** Marks an error raised by the protocol layer itself, which AWS sends without a message. */
export const PROTOCOL_ERROR = Symbol('lambent.jsonProtocolError');

export function contentTypeOf(version: JsonVersion): string {
  return `application/x-amz-json-${version}`;
}

export function createJsonCodec(version: JsonVersion): ProtocolCodec {
  const contentType = contentTypeOf(version);

  function decode(op: Operation, req: RequestView): Record<string, unknown> {
    const doc = parseDocument(req.body);
    const input: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(op.input.members)) {
      if (name in doc) input[name] = fromJson(member, doc[name], name);
    }
    return input;
  }

  function encode(_op: Operation, output: Record<string, unknown>, requestId: string): ResponseData {
    return {
      status: 200,
      headers: { 'x-amzn-requestid': requestId, 'content-type': contentType },
      body: JSON.stringify(output, toJsonValue),
    };
  }

  function encodeError(error: AwsError, requestId: string): ResponseData {
    const coral = CORAL_ERRORS.has(error.code);
    const type = coral ? `${CORAL_NAMESPACE}${error.code}` : error.code;
    const silent = (error as { [PROTOCOL_ERROR]?: boolean })[PROTOCOL_ERROR] === true;
    const body: Record<string, unknown> = { __type: type };
    if (!silent && error.message) body[coral ? 'Message' : error.messageKey] = error.message;
    Object.assign(body, error.fields);
    return {
      status: error.status,
      headers: { 'x-amzn-requestid': requestId, 'content-type': contentType, ...error.headers },
      body: JSON.stringify(body),
    };
  }

  return { decode, encode, encodeError };
}

/** A protocol-level error: sent with its Coral type and no message, as AWS does. */
export function protocolError<E extends AwsError>(error: E): E {
  Object.defineProperty(error, PROTOCOL_ERROR, { value: true });
  return error;
}

function parseDocument(body: Buffer): Record<string, unknown> {
  let doc: unknown;
  try {
    // AWS rejects an empty body too: the SDKs and the CLI always send at least `{}`.
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw protocolError(new SerializationException('The request body is not valid JSON'));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw protocolError(new SerializationException('The request body is not a JSON object'));
  }
  return doc as Record<string, unknown>;
}

/** Buffers become base64 (blobs); Dates epoch seconds (timestamps). */
function toJsonValue(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return raw.getTime() / 1000;
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
