/**
 * The Runtime API's own answers, byte for byte as AWS's Runtime Interface Emulator writes them
 * (Go `json.Encoder`: `{"errorMessage":..,"errorType":..}` plus a newline, `Content-Type: application/json`).
 */
import type { ServerResponse } from 'node:http';
import type { RuntimeStateName } from './runtime-state.js';

/** Lambda's payload limit: 6 MiB plus 100 bytes (RIE `interop.MaxPayloadSize`). */
export const MAX_PAYLOAD_SIZE = 6 * 1024 * 1024 + 100;

/** Response streaming's limit: 200 MiB (Lambda's documented default since July 2025; 20 MiB before). */
export const MAX_STREAMED_PAYLOAD_SIZE = 200 * 1024 * 1024;

const JSON_TYPE = 'application/json';

function jsonBody(value: unknown): Buffer {
  // Go escapes <, > and & in JSON strings; none of our messages contain them but keep the bytes equal.
  const text = JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return Buffer.from(`${text}\n`);
}

export function errorBody(errorType: string, errorMessage: string): Buffer {
  return jsonBody({ errorMessage, errorType });
}

const ACCEPTED_BODY = jsonBody({ status: 'OK' });
const INVALID_REQUEST_ID_BODY = errorBody('InvalidRequestID', 'Invalid request ID');
const NOT_FOUND_BODY = Buffer.from('404 page not found\n');

function send(res: ServerResponse, status: number, body: Buffer, contentType = JSON_TYPE): void {
  res.writeHead(status, ['Content-Type', contentType, 'Content-Length', String(body.length)]);
  res.end(body);
}

/** 202 for an accepted response, error or init error. */
export function renderAccepted(res: ServerResponse): void {
  send(res, 202, ACCEPTED_BODY);
}

/** 400: the request id is not the one of the invocation the runtime is working on. */
export function renderInvalidRequestId(res: ServerResponse): void {
  send(res, 400, INVALID_REQUEST_ID_BODY);
}

/** 403: the call is not allowed in the runtime's current state (double response, init error after ready, ...). */
export function renderInvalidStateTransition(
  res: ServerResponse,
  from: RuntimeStateName,
  to: RuntimeStateName,
): void {
  send(
    res,
    403,
    errorBody(
      'InvalidStateTransition',
      `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`,
    ),
  );
}

/** 413 to the runtime; the invocation itself fails with `Function.ResponseSizeTooLarge`. */
export function renderRequestEntityTooLarge(res: ServerResponse, limit: number): void {
  send(
    res,
    413,
    errorBody('RequestEntityTooLarge', `Exceeded maximum allowed payload size (${limit} bytes).`),
  );
}

/** 400 for a `Lambda-Runtime-Function-Response-Mode` other than `streaming`. */
export function renderInvalidResponseMode(res: ServerResponse): void {
  send(res, 400, errorBody('InvalidFunctionResponseMode', 'Invalid function response mode'));
}

/** What the invoker gets when the function's response was too large (as recorded from AWS). */
export function responseTooLargePayload(limit: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).`,
      errorType: 'Function.ResponseSizeTooLarge',
    }),
  );
}

export function renderNotFound(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  send(res, 404, NOT_FOUND_BODY, 'text/plain; charset=utf-8');
}

export function renderMethodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, ['Allow', allow, 'Content-Length', '0']);
  res.end();
}
