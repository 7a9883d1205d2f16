import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { MetricsSettings } from "./config.js";

const DAY = 86_400_000;

/** Deletes rollups, customer and viewer days, feed lines, old bookings and order marks past their retention (SWITCHBOARD_METRICS_RETENTION_*). */
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
  const v = await db
    .deleteFrom("metrics_viewers")
    .where("day", "<", before(retention.dayDays))
    .executeTakeFirst();
  // bookings are only needed until their customer arrives; orders until they may be refunded
  const b = await db
    .deleteFrom("metrics_bookings")
    .where("starts_at", "<", before(retention.activityDays))
    .executeTakeFirst();
  const o = await db
    .deleteFrom("metrics_order_revenue")
    .where("at", "<", before(retention.dayDays))
    .executeTakeFirst();
  return (
    deleted +
    Number(c.numDeletedRows) +
    Number(a.numDeletedRows) +
    Number(v.numDeletedRows) +
    Number(b.numDeletedRows) +
    Number(o.numDeletedRows)
  );
}
