// console.* in Lambda's formats.
//
// Text: `<ISO time>\t<request id>\t<LEVEL>\t<util.format(...)>`, one record per line on stdout with every
// "\n" inside the record replaced by "\r" so a line-based log reader keeps it whole (what AWS's runtime
// does when it writes to stdout). JSON (AWS_LAMBDA_LOG_FORMAT=JSON): {"timestamp","level","requestId",
// "message",...}. AWS_LAMBDA_LOG_LEVEL filters (default: everything).
//
// When _LAMBDA_TELEMETRY_LOG_FD names a file descriptor, records go there instead, framed as on Lambda
// (4-byte type 0xa55a0002/3 | level mask, 4-byte length, 8-byte µs timestamp, message; big-endian), and
// keep their real newlines: a platform that reads that fd gets multi-line records exactly as CloudWatch has
// them.

import { fs, util } from './builtins.mjs';
import { intoError, toFormatted } from './errors.mjs';

const { writeSync } = fs;
const { format } = util;

const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');

export function setCurrentRequestId(id) {
  globalThis[REQUEST_ID] = id;
}

function currentRequestId() {
  return globalThis[REQUEST_ID];
}

const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1, tlvMask: 0b00100 },
  DEBUG: { name: 'DEBUG', priority: 2, tlvMask: 0b01000 },
  INFO: { name: 'INFO', priority: 3, tlvMask: 0b01100 },
  WARN: { name: 'WARN', priority: 4, tlvMask: 0b10000 },
  ERROR: { name: 'ERROR', priority: 5, tlvMask: 0b10100 },
  FATAL: { name: 'FATAL', priority: 6, tlvMask: 0b11000 },
});

function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

export function formatJsonMessage(requestId, timestamp, level, message, ...params) {
  const result = { timestamp, level: level.name, requestId };
  if (params.length === 0) {
    result.message = message;
    try {
      return JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = format(result.message);
      return JSON.stringify(result);
    }
  }
  result.message = format(message, ...params);
  for (const param of [message, ...params]) {
    if (param instanceof Error) {
      result.errorType = param?.constructor?.name ?? 'UnknownError';
      result.errorMessage = param.message;
      result.stackTrace = typeof param.stack === 'string' ? param.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(result);
}

function textToStdout(level, message, ...params) {
  const line = `${new Date().toISOString()}\t${currentRequestId()}\t${level.name}\t${format(message, ...params)}`;
  process.stdout.write(`${line.replace(/\n/g, '\r')}\n`);
}

function jsonToStdout(level, message, ...params) {
  const line = formatJsonMessage(currentRequestId(), new Date().toISOString(), level, message, ...params);
  process.stdout.write(`${line.replace(/\n/g, '\r')}\n`);
}

function framedWriter(fd, frameType, render) {
  const prefix = Buffer.alloc(16);
  return (level, message, ...params) => {
    const date = new Date();
    const bytes = Buffer.from(render(date.toISOString(), level, message, params), 'utf8');
    prefix.writeUInt32BE((frameType | level.tlvMask) >>> 0, 0);
    prefix.writeInt32BE(bytes.length, 4);
    prefix.writeBigInt64BE(BigInt(date.valueOf()) * 1000n, 8);
    writeSync(fd, prefix);
    writeSync(fd, bytes);
  };
}

export const structuredConsole = { logError: (_message, _err) => {} };

export function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  let log;
  const fdText = process.env._LAMBDA_TELEMETRY_LOG_FD;
  if (fdText != null) {
    delete process.env._LAMBDA_TELEMETRY_LOG_FD;
    const fd = Number.parseInt(fdText, 10);
    log = json
      ? framedWriter(fd, 0xa55a0002, (time, level, message, params) =>
          formatJsonMessage(currentRequestId(), time, level, message, ...params),
        )
      : framedWriter(
          fd,
          0xa55a0003,
          (time, level, message, params) =>
            `${time}\t${currentRequestId()}\t${level.name}\t${format(message, ...params)}\n`,
        );
  } else {
    log = json ? jsonToStdout : textToStdout;
  }

  const threshold = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const nop = () => {};
  const at = (level) => (level.priority >= threshold.priority ? (msg, ...p) => log(level, msg, ...p) : nop);
  console.trace = at(LEVELS.TRACE);
  console.debug = at(LEVELS.DEBUG);
  console.info = at(LEVELS.INFO);
  console.log = console.info;
  console.warn = at(LEVELS.WARN);
  console.error = at(LEVELS.ERROR);
  console.fatal = (msg, ...p) => log(LEVELS.FATAL, msg, ...p);

  structuredConsole.logError = json
    ? (_message, err) => console.error(intoError(err))
    : (message, err) => console.error(message, toFormatted(intoError(err)));
}
