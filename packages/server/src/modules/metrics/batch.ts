import type { Transaction } from "kysely";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { bucketStart, iso } from "./buckets.js";
import { ACTIVITY_EVENT, type ActivityItem, DASHBOARD_ACTIVITY_CHANNEL } from "./contract.js";
import { addFacts, type Fact } from "./rollups.js";

/** Rows per multi-row insert (well under SQLite's and PostgreSQL's bound-parameter limits). */
const ROWS_PER_INSERT = 500;

/**
 * What the metrics handlers of one transaction write together: the dispatcher runs up to a chunk
 * of deliveries in one transaction, and their rollups, active customers and feed lines go out as
 * one multi-row statement each (per table) when the last of them has run — not three to five
 * statements per event. Everything is written in that transaction, before its commit, so a
 * redelivery after a crash still finds nothing done.
 */
export class MetricsBatch {
  private facts: Fact[] = [];
  private customers = new Map<string, { day: string; customer_id: string }>();
  private lines = new Map<string, ActivityItem>();
  /** Outbox rows written for feed lines: sent at once after the commit (else by the sweep). */
  readonly outboxIds: string[] = [];
  /** The active customers written (remembered after the commit: see ActiveCustomers). */
  readonly customersWritten: { day: string; customer_id: string }[] = [];
  /** A headline figure moved in one of the batch's events. */
  big = false;
  /** The event types handled (crash points of the tests name them). */
  readonly types = new Set<string>();

  constructor(private readonly zone: string) {}

  addFacts(facts: readonly Fact[]): void {
    this.facts.push(...facts);
  }

  /** Marks a customer active on the business day of `at` (once per day). */
  customer(customerId: string | null | undefined, at: number): void {
    if (!customerId) return;
    const day = iso(bucketStart(at, "day", this.zone));
    this.customers.set(`${day}\u0000${customerId}`, { day, customer_id: customerId });
  }

  /** A feed line (its id is its event's, so a line is written once whatever the batch). */
  activity(item: ActivityItem): void {
    if (!this.lines.has(item.id)) this.lines.set(item.id, item);
  }

  /**
   * What the batch adds, not yet written, to `kpi` (with `dim`) on the business day starting at
   * `day`: a handler reading a day's total from the rollups adds it (the daily revenue goal).
   */
  pendingDay(kpi: string, dim: string, day: number): number {
    let sum = 0;
    for (const f of this.facts)
      if (f.kpi === kpi && (f.dim ?? "") === dim && bucketStart(f.at, "day", this.zone) === day)
        sum += f.value;
    return sum;
  }

  /** Writes what the handlers left (one statement per table) and empties the batch. */
  async write(trx: Transaction<Database>, outbox: Outbox): Promise<void> {
    const facts = this.facts;
    const customers = [...this.customers.values()];
    const lines = [...this.lines.values()];
    this.facts = [];
    this.customers = new Map();
    this.lines = new Map();
    await addFacts(trx, facts, this.zone);
    this.customersWritten.push(...customers);
    for (let i = 0; i < customers.length; i += ROWS_PER_INSERT)
      await trx
        .insertInto("metrics_customers")
        .values(customers.slice(i, i + ROWS_PER_INSERT))
        .onConflict((oc) => oc.columns(["day", "customer_id"]).doNothing())
        .execute();
    for (let i = 0; i < lines.length; i += ROWS_PER_INSERT) {
      const part = lines.slice(i, i + ROWS_PER_INSERT);
      const written = await trx
        .insertInto("metrics_activity")
        .values(part.map((item) => ({ ...item, data: JSON.stringify(item.data) })))
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("id")
        .execute();
      // a line already there (never, short of a repeated event id) is not announced twice
      const fresh = new Set(written.map((r) => r.id));
      const ids = await outbox.enqueue(
        trx,
        part
          .filter((item) => fresh.has(item.id))
          .map((item) => ({
            channel: DASHBOARD_ACTIVITY_CHANNEL,
            event: ACTIVITY_EVENT,
            data: item,
            key: `activity:${item.id}`,
          })),
      );
      this.outboxIds.push(...ids);
    }
  }
}
