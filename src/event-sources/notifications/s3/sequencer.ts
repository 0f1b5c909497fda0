/**
 * S3's `sequencer`: an upper-case hex string that orders the events of one key. AWS's look like
 * `0055AED6DCD90281E5` (18 digits); consumers compare two of one key by left-padding the shorter
 * with zeros and comparing as strings, which is why every value here has the same length.
 *
 * Lambent's value is the event time in milliseconds shifted left by 20 bits plus a counter, so
 * values increase across a process's life and across restarts (the clock moves on) and within one
 * millisecond (the counter). A clock that steps back is absorbed: a value is never below the last
 * one handed out; the S3 service passes the last stored sequencer in so that this also holds after
 * a restart onto an earlier clock.
 */

const COUNTER_BITS = 20n;
const DIGITS = 18;

export type Sequencer = (time: Date) => string;

export function createSequencer(lastIssued?: string): Sequencer {
  let last = lastIssued && /^[0-9A-F]{1,18}$/i.test(lastIssued) ? BigInt(`0x${lastIssued}`) : -1n;
  return (time: Date) => {
    const ms = time.getTime();
    // An invalid date counts as no clock at all: the value still increases.
    const fromClock = Number.isFinite(ms) && ms > 0 ? BigInt(Math.floor(ms)) << COUNTER_BITS : 0n;
    const next = fromClock > last ? fromClock : last + 1n;
    last = next;
    return next.toString(16).toUpperCase().padStart(DIGITS, '0');
  };
}

/** Orders two sequencers of one key as AWS documents (pad with zeros, compare as strings). */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padStart(width, '0');
  const pb = b.toUpperCase().padStart(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
