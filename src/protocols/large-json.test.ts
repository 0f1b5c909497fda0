import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SerializationException } from '../shared/errors.js';
import { LongJsonString, parseLargeJson, SkeletonTooLargeError } from './large-json.js';

const small = { longString: 16, skeletonLimit: 1024, slice: 8 };

describe('parseLargeJson', () => {
  test('long strings become LongJsonStrings; the rest parses as JSON.parse would', async () => {
    const zip = randomBytes(1000);
    const body = Buffer.from(
      JSON.stringify({ A: 1, B: 'short', Code: { ZipFile: zip.toString('base64') }, L: [true, null] }),
    );
    const doc = (await parseLargeJson(body, small)) as Record<string, unknown>;
    assert.equal(doc.A, 1);
    assert.equal(doc.B, 'short');
    assert.deepEqual(doc.L, [true, null]);
    const long = (doc.Code as Record<string, unknown>).ZipFile;
    assert.ok(long instanceof LongJsonString);
    assert.deepEqual(long.bytes(), zip);
    assert.equal(long.text(), zip.toString('base64'));
  });

  test('escaped and non-base64 long strings keep their text', async () => {
    const text = 'a "quoted" \\ back\\slash and é, long enough to be cut out';
    const doc = (await parseLargeJson(
      Buffer.from(JSON.stringify({ T: text, U: `${'x'.repeat(40)}!` })),
      small,
    )) as Record<string, LongJsonString>;
    assert.equal(doc.T?.text(), text);
    assert.equal(doc.U?.text(), `${'x'.repeat(40)}!`);
  });

  test('a placeholder-looking string in the body is just a string', async () => {
    const doc = (await parseLargeJson(
      Buffer.from('{"A":"\\u00000:0","B":"yyyyyyyyyyyyyyyyyyyyyyyy"}'),
      small,
    )) as Record<string, unknown>;
    assert.equal(doc.A, '\u00000:0');
  });

  test('malformed JSON is a SerializationException', async () => {
    await assert.rejects(parseLargeJson(Buffer.from('{"A": "unterminated'), small), SerializationException);
    await assert.rejects(parseLargeJson(Buffer.from('{"A": 1,}'), small), SerializationException);
  });

  test('too many small members: SkeletonTooLargeError, found before the whole body is walked', async () => {
    const members = Array.from({ length: 10_000 }, (_, i) => `"K${i}":"v"`).join(',');
    await assert.rejects(parseLargeJson(Buffer.from(`{${members}}`), small), SkeletonTooLargeError);
  });
});
