import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { SignalSnapshot } from "./engine.js";
import type { PriceRow } from "./migrations.js";

/** Entries kept at most (oldest dropped first): a bound, not a working-set guess. */
const MAX_ENTRIES = 50_000;

/**
 * The per-node copy of price rows and signals that quotes read (the hot path: thousands per
 * second must not each run SQL). Consistency:
 * - a write on this node drops what it touched at once (`forget`), and a read that raced the
 *   write is not stored (the generation moved while it read);
 * - a write on another node shows here within `ttlMs` (the entry's age limit).
 * Writers (set, reprice, locks, order quotes) read the database, never this copy.
 */
export function createReadCache(db: Kysely<Database>, ttlMs: number) {
  let generation = 0;
  const rows = new Map<string, { at: number; row: PriceRow | null }>();
  const perSku = new Map<string, { at: number; values: Map<string, number> }>();
  let global: { at: number; values: Map<string, number> } | undefined;

  const fresh = (at: number) => Date.now() - at < ttlMs;
  function keep<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_ENTRIES) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }

  return {
    /** The item's row, or null when it has none (a miss is cached too: unknown SKUs are cheap). */
    async row(sku: string): Promise<PriceRow | null> {
      const hit = ttlMs > 0 ? rows.get(sku) : undefined;
      if (hit && fresh(hit.at)) return hit.row;
      const gen = generation;
      const at = Date.now();
      const row =
        (await db
          .selectFrom("pricing_prices")
          .selectAll()
          .where("sku", "=", sku)
          .executeTakeFirst()) ?? null;
      if (gen === generation && ttlMs > 0) keep(rows, sku, { at, row });
      return row;
    },

    /** Global and the item's own signals. */
    async signals(sku: string): Promise<SignalSnapshot> {
      const g = ttlMs > 0 ? global : undefined;
      const own = ttlMs > 0 ? perSku.get(sku) : undefined;
      if (g && fresh(g.at) && own && fresh(own.at))
        return { global: g.values, perSku: new Map([[sku, own.values]]) };
      const gen = generation;
      const at = Date.now();
      const found = await db
        .selectFrom("pricing_signals")
        .select(["name", "sku", "value"])
        .where("sku", "in", ["", sku])
        .execute();
      const gv = new Map<string, number>();
      const ov = new Map<string, number>();
      for (const s of found) (s.sku === "" ? gv : ov).set(s.name, s.value);
      if (gen === generation && ttlMs > 0) {
        global = { at, values: gv };
        keep(perSku, sku, { at, values: ov });
      }
      return { global: gv, perSku: new Map([[sku, ov]]) };
    },

    /** A write on this node touched these items (or every item, or a global signal). */
    forget(skus: string[] | "all"): void {
      generation++;
      if (skus === "all") {
        rows.clear();
        perSku.clear();
        global = undefined;
        return;
      }
      for (const s of skus) {
        rows.delete(s);
        perSku.delete(s);
      }
    },
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;
