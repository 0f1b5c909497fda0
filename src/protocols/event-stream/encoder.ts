/**
 * The `application/vnd.amazon.eventstream` message framing (AWS's event streams: Lambda's
 * InvokeWithResponseStream, S3 SelectObjectContent, Transcribe, Bedrock ...), encoding side:
 *
 *   total length (u32 BE) | headers length (u32 BE) | CRC32 of those 8 bytes |
 *   headers | payload | CRC32 of everything before it
 *
 * A header is name length (u8), name (UTF-8), value type (u8), value. Only string values (type 7:
 * u16 BE length, UTF-8 bytes) are written: the event, message and content types every AWS event
 * needs. Limits as the SDKs' decoders enforce them: 16 MiB per message, 128 KiB of headers.
 */
import { crc32 } from 'node:zlib';

const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;
const STRING_TYPE = 7;
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const MAX_HEADERS_BYTES = 128 * 1024;

/** One message with string headers (in the order given) and a raw payload. */
export function encodeMessage(headers: Readonly<Record<string, string>>, payload: Uint8Array): Buffer {
  const encoded: Buffer[] = [];
  let headersLength = 0;
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    if (nameBytes.length > 255) throw new RangeError(`event stream header name too long: ${name}`);
    if (valueBytes.length > 32_767) throw new RangeError(`event stream header ${name} too long`);
    const header = Buffer.allocUnsafe(1 + nameBytes.length + 3 + valueBytes.length);
    header.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(header, 1);
    let at = 1 + nameBytes.length;
    header.writeUInt8(STRING_TYPE, at);
    header.writeUInt16BE(valueBytes.length, at + 1);
    at += 3;
    valueBytes.copy(header, at);
    encoded.push(header);
    headersLength += header.length;
  }
  if (headersLength > MAX_HEADERS_BYTES) throw new RangeError('event stream headers too long');
  const total = PRELUDE_BYTES + headersLength + payload.length + CRC_BYTES;
  if (total > MAX_MESSAGE_BYTES) throw new RangeError(`event stream message of ${total} bytes`);
  const message = Buffer.allocUnsafe(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headersLength, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  let at = PRELUDE_BYTES;
  for (const header of encoded) {
    header.copy(message, at);
    at += header.length;
  }
  message.set(payload, at);
  at += payload.length;
  message.writeUInt32BE(crc32(message.subarray(0, at)), at);
  return message;
}

/** An event of a modelled event stream: `:event-type`, `:content-type`, `:message-type: event`. */
export function encodeEvent(eventType: string, contentType: string, payload: Uint8Array): Buffer {
  return encodeMessage(
    { ':event-type': eventType, ':content-type': contentType, ':message-type': 'event' },
    payload,
  );
}

/**
 * A payload larger than one message may carry is sent as several events of the same type (for
 * blob event payloads, whose chunks the reader concatenates anyway). Leaves room for headers.
 */
export const MAX_EVENT_PAYLOAD_BYTES = MAX_MESSAGE_BYTES - 64 * 1024;
