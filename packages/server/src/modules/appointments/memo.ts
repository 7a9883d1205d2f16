/**
 * A short-lived in-process cache of what the hold path reads on every request (services,
 * resources). A change made on this node clears it at once; another node's change shows here
 * after at most `ttlMs`. Only what exists is kept: a miss is asked again next time, so something
 * created on another node is never refused for the cache's sake. Staleness can never double
 * book: the claims in the database decide, not this.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { until: number; value: Promise<V | undefined> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 5000,
  ) {}

  get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (this.ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    const nowMs = Date.now();
    if (hit && hit.until > nowMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load().then(
      (v) => {
        if (v === undefined) this.entries.delete(key);
        return v;
      },
      (err: unknown) => {
        this.entries.delete(key);
        throw err;
      },
    );
    this.entries.set(key, { until: nowMs + this.ttlMs, value });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
