/** The sequencer orders the events of one key: increasing, fixed width, past a clock that steps back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSequencers, createSequencer } from './sequencer.js';

test('increasing hex of AWS’s length, within a millisecond and when the clock steps back', () => {
  const next = createSequencer();
  const t = new Date('2025-01-21T23:20:27.123Z');
  const values = [
    next(t),
    next(t),
    next(new Date(t.getTime() + 1)),
    next(new Date(t.getTime() - 60_000)),
    next(t),
  ];
  for (const v of values) assert.match(v, /^[0-9A-F]{18}$/);
  for (let i = 1; i < values.length; i++) {
    assert.equal(
      compareSequencers(values[i - 1] ?? '', values[i] ?? ''),
      -1,
      `${values[i - 1]} < ${values[i]}`,
    );
    assert.ok((values[i - 1] ?? '') < (values[i] ?? ''), 'plain string order agrees');
  }
});

test('resumes after the last stored value (a restart onto an earlier clock)', () => {
  const first = createSequencer();
  const last = first(new Date('2030-01-01T00:00:00Z'));
  const resumed = createSequencer(last);
  assert.equal(compareSequencers(last, resumed(new Date('2025-01-01T00:00:00Z'))), -1);
  // A stored value that is not a sequencer is ignored rather than trusted.
  assert.match(createSequencer('not-hex')(new Date(0)), /^0{18}$/);
  const afterInvalid = createSequencer(last)(new Date(Number.NaN));
  assert.equal(compareSequencers(last, afterInvalid), -1);
});

test('compareSequencers pads the shorter with zeros, as AWS documents', () => {
  assert.equal(compareSequencers('0055AED6DCD90281E5', '55AED6DCD90281E6'), -1);
  assert.equal(compareSequencers('00A', 'a'), 0);
  assert.equal(compareSequencers('0062E99A88DC407460', '0055AED6DCD90281E5'), 1);
});
