import assert from 'node:assert/strict';
import { test } from 'node:test';
import { platformLog } from './log-format.js';
import { type LogEvent, MAX_EVENT_BYTES, OutputCapture, type OutputGate } from './output-capture.js';

function capture(gate?: OutputGate): { c: OutputCapture; events: LogEvent[] } {
  const events: LogEvent[] = [];
  return { c: new OutputCapture((e) => events.push(e), gate), events };
}

test('a line over 256 KB becomes events of 262,118 bytes (CloudWatch limit less 26), the rest in the next', () => {
  const { c, events } = capture();
  const line = 'a'.repeat(MAX_EVENT_BYTES * 2 + 1000);
  c.write('stdout', Buffer.from(`${line}\nnext\n`));
  assert.deepEqual(
    events.map((e) => Buffer.byteLength(e.message)),
    [MAX_EVENT_BYTES, MAX_EVENT_BYTES, 1000, 4],
  );
  assert.equal(MAX_EVENT_BYTES, 262_118);
});

test('a long line written in pieces is cut as it grows, never inside a UTF-8 character', () => {
  const { c, events } = capture();
  const piece = Buffer.from('é€'.repeat(10_000)); // 2- and 3-byte characters
  let written = '';
  for (let i = 0; i < 20; i++) {
    c.write('stderr', piece);
    written += piece.toString();
  }
  c.flushPartial();
  assert.ok(events.length >= 2);
  for (const e of events) {
    assert.ok(Buffer.byteLength(e.message) <= MAX_EVENT_BYTES);
    assert.ok(!e.message.includes('\ufffd'), 'no character split');
  }
  assert.equal(events.map((e) => e.message).join(''), written);
  // Full events until the last: the line continues where the previous event stopped.
  for (const e of events.slice(0, -1)) assert.ok(Buffer.byteLength(e.message) > MAX_EVENT_BYTES - 3);
});

test('dropped output is not decoded, the interrupted line is dropped whole, and the stream says how many bytes', () => {
  let open = true;
  const gate: OutputGate = {
    admit: () => open,
    notice: (bytes) => platformLog('Text').logsDropped(bytes, 'test'),
  };
  const { c, events } = capture(gate);
  c.write('stdout', Buffer.from('kept\nhalf a li'));
  open = false;
  c.write('stdout', Buffer.from('ne that is dropped\n'.repeat(10)));
  open = true;
  c.write('stdout', Buffer.from('rest of a dropped line\nafter\n'));
  c.flushPartial();
  const messages = events.map((e) => e.message);
  assert.equal(messages[0], 'kept');
  const dropped = 'half a li'.length + 'ne that is dropped\n'.length * 10 + 'rest of a dropped line\n'.length;
  assert.equal(messages[1], `LOGS DROPPED: ${dropped} bytes of function output were not kept: test`);
  assert.equal(messages[2], 'after');
  assert.equal(messages.length, 3);
});

test('a drop at the end of an invocation is told by flushPartial (before END)', () => {
  const gate: OutputGate = {
    admit: () => false,
    notice: (bytes) => platformLog('JSON').logsDropped(bytes, 'rate'),
  };
  const { c, events } = capture(gate);
  c.write('stdout', Buffer.alloc(1000, 0x61));
  c.line('END RequestId: x'); // platform lines pass the gate
  c.flushPartial();
  c.flushPartial(); // told once
  assert.equal(events.length, 2);
  const record = JSON.parse(events[1]?.message ?? '');
  assert.equal(record.type, 'platform.logsDropped');
  assert.deepEqual(record.record, { reason: 'rate', droppedBytes: 1000 });
});
