/**
 * The one place inflated bytes are counted. Every entry's data passes through `meter()`
 * before it reaches any sink (disk or /dev/null), so the limit holds on what was actually
 * inflated, never on what the headers claim, and a chunk that would cross the limit is
 * never passed on: the bytes written can not exceed the limit.
 */
import { Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import { Rejected } from './entry-rules.js';
import { unzippedTooLarge } from './errors.js';

/** Shared by all entries of one archive. */
export class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

/**
 * Counts an entry's inflated bytes against the budget (and against `entryCap`, used for
 * symlink targets), and checks the CRC-32 at the end: yauzl does not, and a corrupt
 * archive must not become a function whose code is silently different from what was sent.
 */
export function meter(
  budget: ByteBudget,
  expectedCrc32: number,
  entryCap = Number.POSITIVE_INFINITY,
): Transform {
  let crc = 0;
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (budget.used + chunk.length > budget.limit) return callback(unzippedTooLarge(budget.limit));
      bytes += chunk.length;
      if (bytes > entryCap) return callback(new Rejected('entry larger than allowed'));
      budget.used += chunk.length;
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
    flush(callback) {
      callback(crc === expectedCrc32 ? null : new Rejected('CRC-32 mismatch'));
    },
  });
}
