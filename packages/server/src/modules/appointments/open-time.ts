import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { datesBetween, dayIn, windowsOn } from "./calendar.js";
import type { DayHours, WeeklyHours } from "./contract.js";

/**
 * Minutes of working time of every resource within [fromMs, toMs): each resource's weekly hours
 * in its own zone, its exceptions applied. What bookings are measured against (utilization);
 * the surface other modules read, so they never read this module's tables.
 */
export async function openMinutesBetween(
  db: Kysely<Database>,
  fromMs: number,
  toMs: number,
): Promise<number> {
  if (toMs <= fromMs) return 0;
  const resources = await db
    .selectFrom("appointment_resources")
    .select(["id", "time_zone", "hours"])
    .execute();
  if (resources.length === 0) return 0;
  const exceptions = await db
    .selectFrom("appointment_exceptions")
    .select(["resource_id", "date", "hours"])
    .execute();
  let ms = 0;
  for (const r of resources) {
    const weekly = JSON.parse(r.hours) as WeeklyHours;
    const own = new Map(
      exceptions
        .filter((e) => e.resource_id === r.id)
        .map((e) => [e.date, JSON.parse(e.hours) as DayHours]),
    );
    for (const date of datesBetween(dayIn(fromMs, r.time_zone), dayIn(toMs - 1, r.time_zone)))
      for (const [a, b] of windowsOn(date, r.time_zone, weekly, own))
        ms += Math.max(0, Math.min(b, toMs) - Math.max(a, fromMs));
  }
  return Math.round(ms / 60_000);
}
