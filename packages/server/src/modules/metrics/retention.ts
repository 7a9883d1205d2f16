import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { MetricsSettings } from "./config.js";

const DAY = 86_400_000;

/** Deletes rollups, customer days and feed lines past their retention (SWITCHBOARD_METRICS_RETENTION_*). */
export async function pruneOld(
  db: Kysely<Database>,
  { retention }: MetricsSettings,
  now = Date.now(),
): Promise<number> {
  const before = (days: number) => new Date(now - days * DAY).toISOString();
  let deleted = 0;
  for (const [grain, days] of [
    ["minute", retention.minuteDays],
    ["hour", retention.hourDays],
    ["day", retention.dayDays],
  ] as const) {
    const r = await db
      .deleteFrom("metrics_rollups")
      .where("grain", "=", grain)
      .where("bucket", "<", before(days))
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  const c = await db
    .deleteFrom("metrics_customers")
    .where("day", "<", before(retention.dayDays))
    .executeTakeFirst();
  const a = await db
    .deleteFrom("metrics_activity")
    .where("at", "<", before(retention.activityDays))
    .executeTakeFirst();
  return deleted + Number(c.numDeletedRows) + Number(a.numDeletedRows);
}
