/** The part of a booking that says which time of which resource it claims. */
export interface ClaimSpan {
  resource_id: string;
  claim_from: number;
  claim_to: number;
  session: string;
}

/**
 * Times this node recently found taken, per resource, so that a rush for one slot is refused from
 * memory instead of with a database read per request (on PostgreSQL that round trip was most of
 * a refused hold). Only ever a refusal: a time remembered as taken is answered `slot_taken`; a
 * time not remembered is read as before, and the claims still decide every hold, so this can
 * never give a time twice. A time freed on this node (release, cancel, reschedule, expiry)
 * forgets its resource at once, after the commit; one freed on another node can be refused here
 * for up to `ttlMs` after it came back (SWITCHBOARD_APPOINTMENTS_TAKEN_CACHE_MS; 0 turns it off).
 */
export class RecentlyTaken {
  private readonly byResource = new Map<string, Map<string, number>>();
  private size = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 20_000,
  ) {}

  private static key(span: ClaimSpan): string {
    return `${span.claim_from}|${span.claim_to}|${span.session}`;
  }

  has(span: ClaimSpan, nowMs = Date.now()): boolean {
    if (this.ttlMs <= 0) return false;
    const until = this.byResource.get(span.resource_id)?.get(RecentlyTaken.key(span));
    return until !== undefined && until > nowMs;
  }

  remember(span: ClaimSpan, nowMs = Date.now()): void {
    if (this.ttlMs <= 0) return;
    if (this.size >= this.maxEntries) this.clear();
    let spans = this.byResource.get(span.resource_id);
    if (!spans) {
      spans = new Map();
      this.byResource.set(span.resource_id, spans);
    }
    const key = RecentlyTaken.key(span);
    if (!spans.has(key)) this.size++;
    spans.set(key, nowMs + this.ttlMs);
  }

  /** Some of the resource's time was freed: read it again. */
  forget(resourceId: string): void {
    const spans = this.byResource.get(resourceId);
    if (!spans) return;
    this.size -= spans.size;
    this.byResource.delete(resourceId);
  }

  clear(): void {
    this.byResource.clear();
    this.size = 0;
  }
}
