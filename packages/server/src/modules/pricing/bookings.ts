import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../../store/schema.js";

/** The global signal rules read for "bookings in the next hours" (docs/pricing.md). */
export const BOOKINGS_SIGNAL = "bookings_next_hours";

/** Appointments' durable events after which the count may have moved (its published contract). */
export const BOOKING_EVENTS = [
  "appointment.confirmed",
  "appointment.rescheduled",
  "appointment.cancelled",
  "appointment.no_show",
] as const;

const HOUR = 60 * 60 * 1000;

/**
 * Confirmed appointments starting in [now, now + hours): a read-only count on appointments'
 * table (its `appointments_starts` index; `starts_at` is ISO-8601 UTC, so text order is time
 * order). Pricing writes nothing there and imports none of appointments' files. Undefined when
 * appointments do not run on this server (no such table).
 */
export function createBookingsCounter(db: Kysely<Database>, hours: number, logger: Logger) {
  let missing = false;
  return async function countBookingsAhead(nowMs = Date.now()): Promise<number | undefined> {
    if (missing) return undefined;
    try {
      const row = await db
        .selectFrom("appointments")
        .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
        .where("status", "=", "confirmed")
        .where("starts_at", ">=", new Date(nowMs).toISOString())
        .where("starts_at", "<", new Date(nowMs + hours * HOUR).toISOString())
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    } catch (err) {
      const text = String((err as { message?: unknown }).message ?? err);
      if (/no such table|does not exist/i.test(text)) {
        // appointments off (the table is theirs to create): stop asking, say so once
        missing = true;
        logger.info("pricing: no appointments table, bookings_next_hours is not sampled");
      } else logger.warn({ err }, "pricing: counting upcoming bookings failed");
      return undefined;
    }
  };
}
