import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { iso, segments } from "./buckets.js";

export interface Sum {
  sum: number;
  count: number;
  max: number;
}

export type Sums = Map<string, Sum>;
export const sumKey = (kpi: string, dim = "") => `${kpi}\u0000${dim}`;
export const EMPTY: Sum = { sum: 0, count: 0, max: 0 };

/**
 * Sums of the given KPIs over [from, to), per KPI and dim: whole days from the day rollups, the
 * edges from hours and minutes (buckets.ts `segments`). One grouped query per segment.
 */
export async function readSums(
  db: Kysely<Database>,
  kpis: readonly string[],
  from: number,
  to: number,
  zone: string,
): Promise<Sums> {
  const out: Sums = new Map();
  for (const s of segments(from, to, zone)) {
    const rows = await db
      .selectFrom("metrics_rollups")
      .select((eb) => [
        "kpi",
        "dim",
        eb.fn.sum<number | string>("sum_value").as("sum"),
        eb.fn.sum<number | string>("count").as("count"),
        eb.fn.max<number | string>("max_value").as("max"),
      ])
      .where("grain", "=", s.grain)
      .where("kpi", "in", kpis)
      .where("bucket", ">=", iso(s.from))
      .where("bucket", "<", iso(s.to))
      .groupBy(["kpi", "dim"])
      .execute();
    for (const r of rows) {
      const key = sumKey(r.kpi, r.dim);
      const had = out.get(key);
      const sum = Number(r.sum);
      const count = Number(r.count);
      const max = Number(r.max);
      out.set(
        key,
        had
          ? { sum: had.sum + sum, count: had.count + count, max: Math.max(had.max, max) }
          : { sum, count, max },
      );
    }
  }
  return out;
}

/** Distinct customers active on the business days starting in [from, to). */
export async function activeCustomers(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<number> {
  const row = await db
    .selectFrom("metrics_customers")
    .select((eb) => eb.fn.count<number | string>("customer_id").distinct().as("n"))
    .where("day", ">=", iso(from))
    .where("day", "<", iso(to))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
