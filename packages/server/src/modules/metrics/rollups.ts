import { sql, type Transaction } from "kysely";
import type { Database } from "../../store/schema.js";
import { bucketStart, iso } from "./buckets.js";
import type { MetricsRollupRow } from "./migrations.js";
import type { Step } from "./names.js";

/** One measurement an event adds: `value` to the KPI's sum (and 1 to its count) at `at`. */
export interface Fact {
  kpi: string;
  /** A currency, `agent:{id}`, or "" (the total). */
  dim?: string;
  value: number;
  at: number;
}

const GRAINS: readonly Step[] = ["minute", "hour", "day"];

/**
 * Adds facts to their minute, hour and day buckets: one INSERT … ON CONFLICT DO UPDATE for all of
 * them (per 500 rows) (the same on SQLite and PostgreSQL), in the handler's transaction, so the counts commit
 * exactly with the event marked done — a redelivery after a crash finds nothing to redo.
 */
export async function addFacts(
  trx: Transaction<Database>,
  facts: readonly Fact[],
  zone: string,
): Promise<void> {
  if (facts.length === 0) return;
  // one row per key: PostgreSQL refuses to update a row twice in one statement
  const rows = new Map<string, MetricsRollupRow>();
  for (const f of facts)
    for (const grain of GRAINS) {
      const bucket = iso(bucketStart(f.at, grain, zone));
      const dim = f.dim ?? "";
      const key = `${grain}\u0000${f.kpi}\u0000${bucket}\u0000${dim}`;
      const row = rows.get(key);
      if (row) {
        row.sum_value += f.value;
        row.count += 1;
        row.max_value = Math.max(row.max_value, f.value);
      } else
        rows.set(key, {
          grain,
          kpi: f.kpi,
          bucket,
          dim,
          sum_value: f.value,
          count: 1,
          max_value: f.value,
        });
    }
  const ref = (c: string) => sql.ref(c);
  const all = [...rows.values()];
  // a batch's facts in few statements, each well under the bound-parameter limits
  for (let i = 0; i < all.length; i += 500)
    await trx
      .insertInto("metrics_rollups")
      .values(all.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(["grain", "kpi", "bucket", "dim"]).doUpdateSet({
          sum_value: sql<number>`${ref("metrics_rollups.sum_value")} + ${ref("excluded.sum_value")}`,
          count: sql<number>`${ref("metrics_rollups.count")} + ${ref("excluded.count")}`,
          max_value: sql<number>`case when ${ref("excluded.max_value")} > ${ref("metrics_rollups.max_value")} then ${ref("excluded.max_value")} else ${ref("metrics_rollups.max_value")} end`,
        }),
      )
      .execute();
}
