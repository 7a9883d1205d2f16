/**
 * A log-linear latency histogram in the spirit of HdrHistogram: values are recorded in whole
 * microseconds; values below 256 µs are exact, larger ones fall in buckets 1/128 of their
 * power of two wide (under 0.8% relative error). Fixed size, so recording never allocates,
 * and histograms from several load processes merge by adding counts.
 */
const SUB = 128;
const EXACT = 256;
const MAX_EXP = 23; // 256 << 23 ≈ 2.1e9 µs ≈ 36 minutes: anything above is clamped
const SIZE = EXACT + MAX_EXP * SUB;
const MAX_VALUE = 2 ** 31 - 1;

export function bucketOf(micros: number): number {
  const v = micros <= 0 ? 0 : micros >= MAX_VALUE ? MAX_VALUE : Math.floor(micros);
  if (v < EXACT) return v;
  const e = 31 - Math.clz32(v) - 7; // ≥ 1, so that v >>> e lies in [128, 256)
  return EXACT + (e - 1) * SUB + ((v >>> e) - SUB);
}

/** The representative value (midpoint) of a bucket, in microseconds. */
export function bucketValue(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const e = Math.floor((bucket - EXACT) / SUB) + 1;
  const m = ((bucket - EXACT) % SUB) + SUB;
  return m * 2 ** e + 2 ** (e - 1);
}

/** Sparse form for IPC: [bucket, count] pairs. */
export type HistogramSnapshot = Array<[number, number]>;

export class Histogram {
  private counts = new Float64Array(SIZE);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Records one value in milliseconds. */
  recordMs(ms: number): void {
    this.recordMicros(ms * 1000);
  }

  recordMicros(micros: number): void {
    this.counts[bucketOf(micros)]! += 1;
    this.count += 1;
    if (micros < this.min) this.min = micros;
    if (micros > this.max) this.max = micros;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  /** The value at percentile p (0–100), in milliseconds; NaN when empty. */
  percentileMs(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const v = Math.min(Math.max(bucketValue(i), this.min), this.max);
        return v / 1000;
      }
    }
    return this.max / 1000;
  }

  snapshot(): HistogramSnapshot {
    const out: HistogramSnapshot = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) out.push([i, this.counts[i]!]);
    return out;
  }

  /** Adds a snapshot taken elsewhere, with that histogram's exact min and max when known. */
  merge(snap: HistogramSnapshot, min?: number, max?: number): void {
    if (snap.length === 0) return;
    for (const [bucket, n] of snap) {
      this.counts[bucket]! += n;
      this.count += n;
    }
    const lo = min ?? bucketValue(snap[0]![0]);
    const hi = max ?? bucketValue(snap[snap.length - 1]![0]);
    if (lo < this.min) this.min = lo;
    if (hi > this.max) this.max = hi;
  }
}
