import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker } from "../../broker/types.js";
import type { Namespaces } from "../../gateway/namespaces.js";
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
 * Viewers — the top of the conversion funnel (viewers → reservations → sales): customers on a
 * `product:{sku}` channel, kept once per business day. Two sources: each subscribe a customer is
 * allowed (`watchProductViews`, so a view shorter than the sample interval counts too), and a
 * sample of presence (a job: catches viewers of another node whose joins this node never saw).
 * A customer first seen today adds 1 to the `viewers` rollup; the overview counts distinct
 * viewers of the period, and counts them among the day's active customers.
 * Returns how many viewers were new today.
 */
export async function sampleViewers(deps: ViewerDeps, now = Date.now()): Promise<number> {
  if (!deps.hasProducts()) return 0;
  const present = new Set<string>();
  for (const sku of await productSkus(deps.db))
    for (const m of await deps.broker.presence(`product:${sku}`))
      if (m.role === "customer") present.add(m.user);
  return recordViewers(deps.db, [...present], now, deps.timeZone);
}

/** Records customers as viewers of the business day of `now`; returns how many were new today. */
export async function recordViewers(
  db: Kysely<Database>,
  customers: readonly string[],
  now: number,
  timeZone: string,
): Promise<number> {
  if (customers.length === 0) return 0;
  const day = iso(bucketStart(now, "day", timeZone));
  return db.transaction().execute(async (trx) => {
    const added = await trx
      .insertInto("metrics_viewers")
      .values(customers.map((customer_id) => ({ day, customer_id })))
      .onConflict((oc) => oc.columns(["day", "customer_id"]).doNothing())
      .returning("customer_id")
      .execute();
    await addFacts(
      trx,
      added.map(() => ({ kpi: "viewers", value: 1, at: now })),
      timeZone,
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

/** Joins wait this long to be written together (a storm of shoppers: one small transaction). */
const JOIN_BATCH_MS = 250;
/** At most this many customers wait in memory for the next write. */
const MAX_WAITING = 10_000;

/**
 * Counts a customer as a viewer when they subscribe to a product page (the product namespace's
 * policy allowed it), not only when a presence sample finds them there: a view shorter than the
 * sample interval is not missed. Wraps the namespace's policy (it still decides); the viewers are
 * written in batches. Returns false when there is no product namespace here.
 */
export function watchProductViews(
  namespaces: Pick<Namespaces, "get" | "setPolicy">,
  record: (customers: string[]) => Promise<void>,
  logger: Logger,
): boolean {
  const product = namespaces.get("product");
  if (!product) return false;
  const decide = product.policy;
  const waiting = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const write = () => {
    timer = undefined;
    const customers = [...waiting];
    waiting.clear();
    record(customers).catch((err: unknown) =>
      logger.warn({ err }, "product viewers not recorded (the presence sample still counts them)"),
    );
  };
  namespaces.setPolicy("product", async (c) => {
    const allowed = await decide(c);
    if (allowed && c.action === "subscribe" && c.identity.role === "customer") {
      if (waiting.size < MAX_WAITING) waiting.add(c.identity.user);
      if (!timer) {
        timer = setTimeout(write, JOIN_BATCH_MS);
        timer.unref();
      }
    }
    return allowed;
  });
  return true;
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
