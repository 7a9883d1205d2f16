import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker } from "../../broker/types.js";
import type { Database } from "../../store/schema.js";
import { bucketStart, iso } from "./buckets.js";
import { addFacts } from "./rollups.js";

/** At most this many products' presence is read per sample (bounded work per tick). */
const MAX_PRODUCTS = 500;

export interface ViewerDeps {
  db: Kysely<Database>;
  broker: Pick<Broker, "presence">;
  /** Whether `product:` channels exist here (the inventory module declares them). */
  hasProducts(): boolean;
  timeZone: string;
  logger: Logger;
}

/** The SKUs to look at: stocked items and priced ones (either module may be off). */
async function productSkus(db: Kysely<Database>): Promise<string[]> {
  const skus = new Set<string>();
  for (const read of [
    () =>
      db.selectFrom("inventory_items").select("sku").orderBy("sku").limit(MAX_PRODUCTS).execute(),
    () =>
      db.selectFrom("pricing_prices").select("sku").orderBy("sku").limit(MAX_PRODUCTS).execute(),
  ])
    try {
      for (const r of await read()) skus.add(r.sku);
    } catch {
      // that module's table is not here
    }
  return [...skus].sort().slice(0, MAX_PRODUCTS);
}

/**
 * Viewers — the top of the conversion funnel (viewers → reservations → sales): customers present
 * on a `product:{sku}` channel, sampled from presence (a job) and kept once per business day. A
 * customer first seen today adds 1 to the `viewers` rollup; the overview counts distinct viewers
 * of the period, and counts them among the day's active customers. A view shorter than the
 * sample interval can be missed (documented).
 * Returns how many viewers were new today.
 */
export async function sampleViewers(deps: ViewerDeps, now = Date.now()): Promise<number> {
  if (!deps.hasProducts()) return 0;
  const present = new Set<string>();
  for (const sku of await productSkus(deps.db))
    for (const m of await deps.broker.presence(`product:${sku}`))
      if (m.role === "customer") present.add(m.user);
  if (present.size === 0) return 0;
  const day = iso(bucketStart(now, "day", deps.timeZone));
  return deps.db.transaction().execute(async (trx) => {
    const added = await trx
      .insertInto("metrics_viewers")
      .values([...present].map((customer_id) => ({ day, customer_id })))
      .onConflict((oc) => oc.columns(["day", "customer_id"]).doNothing())
      .returning("customer_id")
      .execute();
    await addFacts(
      trx,
      added.map(() => ({ kpi: "viewers", value: 1, at: now })),
      deps.timeZone,
    );
    // a customer on a product page is an active customer of the day too (presence)
    if (added.length)
      await trx
        .insertInto("metrics_customers")
        .values(added.map((r) => ({ day, customer_id: r.customer_id })))
        .onConflict((oc) => oc.columns(["day", "customer_id"]).doNothing())
        .execute();
    return added.length;
  });
}

/** Distinct viewers on the business days starting in [from, to). */
export async function distinctViewers(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<number> {
  const row = await db
    .selectFrom("metrics_viewers")
    .select((eb) => eb.fn.count<number | string>("customer_id").distinct().as("n"))
    .where("day", ">=", iso(from))
    .where("day", "<", iso(to))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
