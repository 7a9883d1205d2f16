/**
 * Token buckets per client address, for the HTTP fallback's endpoints: a POST or a poll is cheap
 * to send and costs the server a parse, a lookup and maybe a broker relay before any session
 * limit can apply (a POST naming no real stream never reaches one). One bucket per address on
 * this node; buckets that have refilled are forgotten, so memory follows the addresses active in
 * the last few seconds, and is capped outright.
 */
export interface IpRate {
  /** Tokens per second; 0 turns the limit off. */
  perSecond: number;
  /** Most tokens a bucket holds (a burst). */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Past this many tracked addresses, full buckets are swept at once, and all if that is not enough. */
const MAX_TRACKED = 100_000;

export class IpBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt = 0;

  constructor(private readonly rate: IpRate) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `ip`: 0 when allowed, else milliseconds until a token is there. */
  take(ip: string, now: number = Date.now()): number {
    const { perSecond, burst } = this.rate;
    if (perSecond <= 0) return 0;
    this.sweep(now);
    let bucket = this.buckets.get(ip);
    if (!bucket) {
      bucket = { tokens: burst, at: now };
      this.buckets.set(ip, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / perSecond));
  }

  /** Forgets buckets that would be full by now (every few seconds, or when too many are held). */
  private sweep(now: number): void {
    const { perSecond, burst } = this.rate;
    const refillMs = (burst * 1000) / perSecond;
    if (now - this.sweptAt < Math.max(1000, refillMs) && this.buckets.size < MAX_TRACKED) return;
    this.sweptAt = now;
    for (const [ip, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * perSecond) / 1000 >= burst) this.buckets.delete(ip);
    }
    // A flood from more addresses than that: forgetting them all only makes the limit kinder,
    // and keeps this sweep from running on every request.
    if (this.buckets.size >= MAX_TRACKED) this.buckets.clear();
  }
}
