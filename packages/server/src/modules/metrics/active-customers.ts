import { bucketStart, iso, nextBucket } from "./buckets.js";

/** Customers remembered per business day before the memory starts over (bounds its size). */
const MAX_REMEMBERED = 100_000;

/**
 * The customers this node has seen marked active (committed) per business day, so an event whose
 * only effect would be marking an already active customer active again gets no delivery at all:
 * a chatting customer's every message was a delivery, a dispatcher transaction and an insert that
 * changed nothing. Memory only: after a restart, or on another node, the first such event of a
 * customer is delivered again, and the insert (on conflict do nothing) still counts them once.
 */
export class ActiveCustomers {
  private days = new Map<string, Set<string>>();

  constructor(private readonly zone: string) {}

  /** The business day last asked about, as [start, end) in ms: most events are of today. */
  private today = { start: 0, end: 0, key: "" };

  dayOf(at: number): string {
    const t = this.today;
    if (at >= t.start && at < t.end) return t.key;
    const start = bucketStart(at, "day", this.zone);
    this.today = { start, end: nextBucket(start, "day", this.zone), key: iso(start) };
    return this.today.key;
  }

  /** Remembers customers whose activity on `day` committed. */
  add(entries: Iterable<{ day: string; customer_id: string }>): void {
    for (const { day, customer_id } of entries) {
      let set = this.days.get(day);
      if (!set) {
        // a new business day: the ones before it are not asked about again (events are now)
        if (this.days.size >= 2) this.days = new Map([...this.days].slice(-1));
        set = new Set();
        this.days.set(day, set);
      }
      if (set.size >= MAX_REMEMBERED) set.clear();
      set.add(customer_id);
    }
  }

  /** True when `customerId` is known active on the business day of `at` (an ISO time). */
  knows(customerId: string, at: string | undefined): boolean {
    if (at === undefined) return false;
    const ms = Date.parse(at);
    if (!Number.isFinite(ms)) return false;
    return this.days.get(this.dayOf(ms))?.has(customerId) ?? false;
  }
}
