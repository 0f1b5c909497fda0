/**
 * A sparse log-scale histogram for percentiles (p50, p99, p99.9 ...) of one metric minute.
 *
 * A positive value v falls in bucket floor(ln(v) / ln(GROWTH)); a bucket spans a factor of
 * GROWTH = 1.02, and a percentile answers the geometric middle of its bucket (clamped to the
 * exact minimum and maximum), so it is within ±1% of the value an exact rank would give.
 * Zero has its own count and negatives mirror the positives, so PutMetricData's signed values
 * are ranked too. Adding costs one Math.log and one Map update: cheap enough for every
 * invocation. Minutes merge by adding counts, so any period's percentiles come out of the
 * stored minutes. CloudWatch itself keeps ~10% wide bins, so this is finer than AWS.
 */
export const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);

export class LogHistogram {
  /** Bucket index → count, for positive values. */
  readonly pos = new Map<number, number>();
  /** Bucket index of |v| → count, for negative values. */
  readonly neg = new Map<number, number>();
  zero = 0;

  add(value: number, count = 1): void {
    if (value === 0) {
      this.zero += count;
      return;
    }
    const map = value > 0 ? this.pos : this.neg;
    const index = Math.floor(Math.log(Math.abs(value)) / LOG_GROWTH);
    map.set(index, (map.get(index) ?? 0) + count);
  }

  merge(other: LogHistogram): void {
    this.zero += other.zero;
    for (const [i, c] of other.pos) this.pos.set(i, (this.pos.get(i) ?? 0) + c);
    for (const [i, c] of other.neg) this.neg.set(i, (this.neg.get(i) ?? 0) + c);
  }

  get total(): number {
    let n = this.zero;
    for (const c of this.pos.values()) n += c;
    for (const c of this.neg.values()) n += c;
    return n;
  }

  /**
   * The value at percentile `p` (0..100) of the values added, clamped to [min, max] (which
   * the caller knows exactly); undefined when empty.
   */
  percentile(p: number, min: number, max: number): number | undefined {
    const total = this.total;
    if (total === 0) return undefined;
    if (p <= 0) return min;
    if (p >= 100) return max;
    const rank = (p / 100) * total;
    let seen = 0;
    const clamp = (v: number) => Math.min(max, Math.max(min, v));
    // Ascending order: most negative first, then zero, then positives.
    for (const i of [...this.neg.keys()].sort((a, b) => b - a)) {
      seen += this.neg.get(i) ?? 0;
      if (seen >= rank) return clamp(-middle(i));
    }
    seen += this.zero;
    if (seen >= rank && this.zero > 0) return clamp(0);
    for (const i of [...this.pos.keys()].sort((a, b) => a - b)) {
      seen += this.pos.get(i) ?? 0;
      if (seen >= rank) return clamp(middle(i));
    }
    return max;
  }

  toJSON(): { z?: number; p?: Array<[number, number]>; n?: Array<[number, number]> } {
    return {
      ...(this.zero ? { z: this.zero } : {}),
      ...(this.pos.size ? { p: [...this.pos] } : {}),
      ...(this.neg.size ? { n: [...this.neg] } : {}),
    };
  }

  static fromJSON(doc: {
    z?: number;
    p?: Array<[number, number]>;
    n?: Array<[number, number]>;
  }): LogHistogram {
    const h = new LogHistogram();
    h.zero = doc.z ?? 0;
    for (const [i, c] of doc.p ?? []) h.pos.set(i, c);
    for (const [i, c] of doc.n ?? []) h.neg.set(i, c);
    return h;
  }
}

/** The geometric middle of bucket i: GROWTH^(i + 0.5). */
function middle(i: number): number {
  return GROWTH ** (i + 0.5);
}
