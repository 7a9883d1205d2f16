import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../../store/schema.js";

import { BOOKINGS_SIGNAL, scopedSignalName } from "./names.js";

export { BOOKINGS_SIGNAL };

/** The services and resources whose own bookings some rule reads. */
export interface BookingScopes {
  services: string[];
  resources: string[];
}

/** Every booking ahead, and per scope under its signal name (`bookings_next_hours@service:cut`). */
export interface BookingCounts {
  total: number;
  scoped: Map<string, number>;
}

/** Appointments' durable events after which the count may have moved (its published contract). */
export const BOOKING_EVENTS = [
  "appointment.confirmed",
  "appointment.rescheduled",
  "appointment.cancelled",
  "appointment.no_show",
] as const;

const HOUR = 60 * 60 * 1000;

/**
 * Confirmed (or already checked-in) appointments starting in [now, now + hours): a read-only count on appointments'
 * table (its `appointments_starts` index; `starts_at` is ISO-8601 UTC, so text order is time
 * order). Pricing writes nothing there and imports none of appointments' files. Undefined when
 * appointments do not run on this server (no such table).
 */
export function createBookingsCounter(db: Kysely<Database>, hours: number, logger: Logger) {
  let missing = false;
  const ahead = (nowMs: number) =>
    db
      .selectFrom("appointments")
      .where("status", "in", ["confirmed", "checked_in"])
      .where("starts_at", ">=", new Date(nowMs).toISOString())
      .where("starts_at", "<", new Date(nowMs + hours * HOUR).toISOString());
  return async function countBookingsAhead(
    scopes: BookingScopes = { services: [], resources: [] },
    nowMs = Date.now(),
  ): Promise<BookingCounts | undefined> {
    if (missing) return undefined;
    try {
      const row = await ahead(nowMs)
        .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
        .executeTakeFirst();
      const scoped = new Map<string, number>();
      // one grouped read per kind, only for the services / resources some rule names
      if (scopes.services.length > 0) {
        for (const id of scopes.services)
          scoped.set(scopedSignalName(BOOKINGS_SIGNAL, { service: id }), 0);
        const rows = await ahead(nowMs)
          .where("service_id", "in", scopes.services)
          .select((eb) => ["service_id", eb.fn.countAll<number | string | bigint>().as("n")])
          .groupBy("service_id")
          .execute();
        for (const r of rows)
          scoped.set(scopedSignalName(BOOKINGS_SIGNAL, { service: r.service_id }), Number(r.n));
      }
      if (scopes.resources.length > 0) {
        for (const id of scopes.resources)
          scoped.set(scopedSignalName(BOOKINGS_SIGNAL, { resource: id }), 0);
        const rows = await ahead(nowMs)
          .where("resource_id", "in", scopes.resources)
          .select((eb) => ["resource_id", eb.fn.countAll<number | string | bigint>().as("n")])
          .groupBy("resource_id")
          .execute();
        for (const r of rows)
          scoped.set(scopedSignalName(BOOKINGS_SIGNAL, { resource: r.resource_id }), Number(r.n));
      }
      return { total: Number(row?.n ?? 0), scoped };
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
