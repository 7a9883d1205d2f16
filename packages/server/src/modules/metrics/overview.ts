import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { openMinutesBetween } from "../appointments/index.js";
import { dayStartBefore, daysEarlier, iso, nextBucket } from "./buckets.js";
import type { AgentFigures, Overview, Trend } from "./contract.js";
import type { Period } from "./names.js";
import { activeCustomers, EMPTY, readSums, type Sums, sumKey } from "./sums.js";
import { distinctViewers } from "./viewers.js";

/** KPIs the overview reads from the rollups. */
const KPIS = [
  "revenue",
  "orders",
  "orders_completed",
  "bookings",
  "cancellations",
  "no_shows",
  "reservations",
  "sales",
  "chats",
  "satisfaction",
  "wait",
  "first_response",
  "resolution",
  "lateness",
] as const;

const DAYS: Record<Period, number> = { today: 1, "7d": 7, "30d": 30 };

export interface OverviewOptions {
  period: Period;
  /** The business's IANA zone (its "today"). */
  timeZone: string;
  /** The clock (tests pass a fixed one); default now. */
  now?: number;
}

export function trend(value: number | null, previous: number | null): Trend {
  const change =
    value === null || previous === null || previous === 0 ? null : (value - previous) / previous;
  const direction =
    value === null || previous === null || value === previous
      ? "flat"
      : value > previous
        ? "up"
        : "down";
  return { value, previous, change, direction };
}

const total = (s: Sums, kpi: string, dim = "") => (s.get(sumKey(kpi, dim)) ?? EMPTY).sum;
const average = (s: Sums, kpi: string, dim = "") => {
  const v = s.get(sumKey(kpi, dim)) ?? EMPTY;
  return v.count ? v.sum / v.count : null;
};
const longest = (s: Sums, kpi: "wait" | "lateness") => {
  const v = s.get(sumKey(kpi)) ?? EMPTY;
  return v.count ? v.max : null;
};
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/**
 * The owner's figures for a period and their trend against the same length just before it:
 * `today` is local midnight → now against yesterday's midnight → the same time yesterday, `7d` and
 * `30d` the last 7 or 30 local days (today included) against the 7 or 30 before, up to the same
 * time of day. Read from the rollups only (a few grouped queries), so it is cheap enough for the
 * live dashboard; the REST route, `dashboard:overview` and the AI coach all call this.
 */
export async function computeOverview(
  db: Kysely<Database>,
  { period, timeZone: zone, now = Date.now() }: OverviewOptions,
): Promise<Overview> {
  const days = DAYS[period];
  const from = dayStartBefore(now, days - 1, zone);
  const previousFrom = dayStartBefore(now, 2 * days - 1, zone);
  const previousTo = daysEarlier(now, days, zone);
  const [cur, prev] = await Promise.all([
    readSums(db, KPIS, from, now, zone),
    readSums(db, KPIS, previousFrom, previousTo, zone),
  ]);
  // utilization: the period's whole days, future slots of today included (they are booked)
  const end = nextBucket(dayStartBefore(now, 0, zone), "day", zone);
  const previousEnd = nextBucket(dayStartBefore(previousTo, 0, zone), "day", zone);
  const [booked, bookedBefore, open, openBefore, active, activeBefore, viewers, viewersBefore] =
    await Promise.all([
      readSums(db, ["booked_minutes"], from, end, zone),
      readSums(db, ["booked_minutes"], previousFrom, from, zone),
      openMinutesBetween(db, from, end),
      openMinutesBetween(db, previousFrom, from),
      activeCustomers(db, from, end),
      activeCustomers(db, previousFrom, previousEnd),
      distinctViewers(db, from, end),
      distinctViewers(db, previousFrom, previousEnd),
    ]);

  const t = (kpi: string) => trend(total(cur, kpi), total(prev, kpi));
  const a = (kpi: string) => trend(average(cur, kpi), average(prev, kpi));
  const currencies = new Set<string>();
  for (const s of [cur, prev])
    for (const key of s.keys()) {
      const [kpi, dim] = key.split("\u0000");
      if (kpi === "revenue" && dim) currencies.add(dim);
    }
  const agents = new Set<string>();
  for (const key of cur.keys()) {
    const dim = key.split("\u0000")[1] ?? "";
    if (dim.startsWith("agent:")) agents.add(dim.slice(6));
  }
  const agentRows: AgentFigures[] = [...agents].sort().map((agentId) => {
    const dim = `agent:${agentId}`;
    return {
      agentId,
      chats: (cur.get(sumKey("chats", dim)) ?? EMPTY).count,
      resolved: (cur.get(sumKey("resolution", dim)) ?? EMPTY).count,
      ratings: (cur.get(sumKey("satisfaction", dim)) ?? EMPTY).count,
      satisfaction: average(cur, "satisfaction", dim),
      firstResponseMs: average(cur, "first_response", dim),
      resolutionMs: average(cur, "resolution", dim),
    };
  });

  return {
    period,
    timeZone: zone,
    from: iso(from),
    to: iso(now),
    previousFrom: iso(previousFrom),
    previousTo: iso(previousTo),
    revenue: [...currencies].sort().map((currency) => ({
      currency,
      ...trend(total(cur, "revenue", currency), total(prev, "revenue", currency)),
    })),
    orders: t("orders"),
    ordersCompleted: t("orders_completed"),
    bookings: t("bookings"),
    cancellations: t("cancellations"),
    noShows: t("no_shows"),
    viewers: trend(viewers, viewersBefore),
    reservationRate: trend(
      ratio(total(cur, "reservations"), viewers),
      ratio(total(prev, "reservations"), viewersBefore),
    ),
    reservations: t("reservations"),
    sales: t("sales"),
    conversion: trend(
      ratio(total(cur, "sales"), total(cur, "reservations")),
      ratio(total(prev, "sales"), total(prev, "reservations")),
    ),
    chats: t("chats"),
    satisfaction: {
      ...a("satisfaction"),
      count: (cur.get(sumKey("satisfaction")) ?? EMPTY).count,
    },
    avgWaitMs: a("wait"),
    longestWaitMs: trend(longest(cur, "wait"), longest(prev, "wait")),
    avgLatenessMs: a("lateness"),
    longestLatenessMs: trend(longest(cur, "lateness"), longest(prev, "lateness")),
    firstResponseMs: a("first_response"),
    resolutionMs: a("resolution"),
    utilization: trend(
      ratio(total(booked, "booked_minutes"), open),
      ratio(total(bookedBefore, "booked_minutes"), openBefore),
    ),
    activeCustomers: trend(active, activeBefore),
    agents: agentRows,
    computedAt: new Date().toISOString(),
  };
}
