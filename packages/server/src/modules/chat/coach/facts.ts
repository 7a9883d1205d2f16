import type { Kysely } from "kysely";
import { DateTime } from "luxon";
import type { Database } from "../../../store/schema.js";
import { computeOverview } from "../../metrics/index.js";

/**
 * One day's figures (days are the business's dates, in its time zone; bookings count by the
 * resource's local day).
 */
export interface DayFigures {
  date: string;
  /** Confirmed (kept) bookings that day. */
  bookings: number;
  noShows: number;
  cancelled: number;
  ordersCreated: number;
  unitsSold: number;
}

export interface PriceFigure {
  sku: string;
  amountMinor: number;
  currency: string;
}

/**
 * The business's own numbers the coach may quote. `sqlFacts` reads bookings, orders, units sold
 * and prices directly, and revenue through the metrics module's overview (computeOverview) —
 * never units times today's price: without a recorded amount there is no revenue to quote.
 */
export interface BusinessFacts {
  day(date: string): Promise<DayFigures>;
  /** Kept bookings per local hour of the day (24 numbers), dates inclusive. */
  bookingsByHour(from: string, to: string): Promise<number[]>;
  prices(limit: number): Promise<PriceFigure[]>;
  /** Chat ratings (1–5) of conversations resolved in the period. */
  ratings(from: string, to: string): Promise<{ count: number; average?: number }>;
  /**
   * Revenue of the 7 days up to `asOf` and the 7 before, per currency, from the metrics module's
   * overview (its rollups of real sales); empty when it has none (or is switched off).
   */
  revenue(asOf: Date): Promise<RevenueFigure[]>;
}

export interface RevenueFigure {
  currency: string;
  /** Minor units. */
  value: number;
  previous: number | null;
  from: string;
  to: string;
}

/** Reads a table another module owns; a module switched off reads as no rows. */
async function rows<T>(read: () => Promise<T[]>): Promise<T[]> {
  try {
    return await read();
  } catch {
    return [];
  }
}

const KEPT = ["confirmed", "completed"];

/** The instants a local day runs between, as stored timestamps (UTC ISO): [start, end). */
export function dayBounds(date: string, timeZone: string): { start: string; end: string } {
  const start = DateTime.fromISO(date, { zone: timeZone }).startOf("day");
  const iso = (d: DateTime) => d.toUTC().toISO() ?? `${date}T00:00:00.000Z`;
  return { start: iso(start), end: iso(start.plus({ days: 1 })) };
}

function localHour(iso: string, timeZone: string): number {
  try {
    const h = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", hour12: false, timeZone })
      .format(new Date(iso))
      .slice(0, 2);
    return Number(h) % 24;
  } catch {
    return new Date(iso).getUTCHours();
  }
}

/** The facts from the database, days in the business's time zone (`timeZone`, IANA). */
export function sqlFacts(db: Kysely<Database>, timeZone = "UTC"): BusinessFacts {
  return {
    async day(date) {
      const { start, end } = dayBounds(date, timeZone);
      const bookings = await rows(() =>
        db.selectFrom("appointments").select("status").where("day", "=", date).execute(),
      );
      const orders = await rows(() =>
        db
          .selectFrom("orders")
          .select("id")
          .where("created_at", ">=", start)
          .where("created_at", "<", end)
          .execute(),
      );
      const sales = await rows(() =>
        db
          .selectFrom("inventory_history")
          .select(["delta_on_hand", "delta_reserved", "kind"])
          .where("reason", "=", "sale")
          .where("at", ">=", start)
          .where("at", "<", end)
          .execute(),
      );
      return {
        date,
        bookings: bookings.filter((b) => KEPT.includes(b.status)).length,
        noShows: bookings.filter((b) => b.status === "no_show").length,
        cancelled: bookings.filter((b) => b.status === "cancelled").length,
        ordersCreated: orders.length,
        unitsSold: sales.reduce((n, s) => n + Math.max(0, -s.delta_on_hand), 0),
      };
    },

    async bookingsByHour(from, to) {
      const list = await rows(() =>
        db
          .selectFrom("appointments")
          .select(["starts_at", "time_zone", "status"])
          .where("day", ">=", from)
          .where("day", "<=", to)
          .execute(),
      );
      const hours = Array.from({ length: 24 }, () => 0);
      for (const b of list)
        if (KEPT.includes(b.status) || b.status === "no_show")
          hours[localHour(b.starts_at, b.time_zone)] =
            (hours[localHour(b.starts_at, b.time_zone)] ?? 0) + 1;
      return hours;
    },

    async prices(limit) {
      const list = await rows(() =>
        db
          .selectFrom("pricing_prices")
          .select(["sku", "amount", "currency"])
          .orderBy("sku")
          .limit(limit)
          .execute(),
      );
      return list.map((p) => ({ sku: p.sku, amountMinor: p.amount, currency: p.currency }));
    },

    async ratings(from, to) {
      const list = await rows(() =>
        db
          .selectFrom("chat_conversations")
          .select("rating")
          .where("rating", "is not", null)
          .where("resolved_at", ">=", dayBounds(from, timeZone).start)
          .where("resolved_at", "<", dayBounds(to, timeZone).end)
          .execute(),
      );
      const values = list.map((r) => r.rating).filter((r): r is number => r !== null);
      if (values.length === 0) return { count: 0 };
      const average = Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
      return { count: values.length, average };
    },

    async revenue(asOf) {
      try {
        // the business's days, like the coach's other figures and the dashboard
        const o = await computeOverview(db, { period: "7d", timeZone, now: asOf.getTime() });
        return o.revenue
          .filter((r) => r.value !== null && r.value > 0)
          .map((r) => ({
            currency: r.currency,
            value: r.value ?? 0,
            previous: r.previous,
            from: o.from.slice(0, 10),
            to: o.to.slice(0, 10),
          }));
      } catch {
        return [];
      }
    },
  };
}
