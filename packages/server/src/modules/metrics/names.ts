/**
 * What a client of the metrics module needs at run time without zod: error codes, channel and
 * event names, the KPIs (`@switchboard/server/names/metrics`). contract.ts re-exports all of it.
 */

/** Codes the metrics module answers with, beyond the transport's. */
export const metricsErrors = {
  invalid_series_range: {
    status: 400,
    description:
      "The series range is empty (to not after from) or has more points than allowed (widen the step).",
  },
  unknown_alert_rule: { status: 404, description: "No metrics alert rule of this name." },
} as const;
export type MetricsErrorCodes = typeof metricsErrors;

/** The owner's live overview (core `dashboard:` namespace, admins only). */
export const DASHBOARD_OVERVIEW_CHANNEL = "dashboard:overview";
/** Event on dashboard:overview: today's Overview, at the interval and at once on a big change. */
export const OVERVIEW_EVENT = "overview";
/** The persisted activity feed, live. */
export const DASHBOARD_ACTIVITY_CHANNEL = "dashboard:activity";
/** Event on dashboard:activity: one ActivityItem. */
export const ACTIVITY_EVENT = "activity";

/** Durable domain event the metrics module emits: a business alert (notifications turns it into one). */
export const METRICS_ALERT_EVENT = "metrics.alert";

/** The periods of the overview; each is compared with the same length just before it. */
export const PERIODS = ["today", "7d", "30d"] as const;
export type Period = (typeof PERIODS)[number];

/** Bucket sizes of the rollups (in the business's time zone) and of a series. */
export const STEPS = ["minute", "hour", "day"] as const;
export type Step = (typeof STEPS)[number];

/**
 * KPIs a series can be drawn for. Counts and sums add up per bucket; `satisfaction`, `wait`,
 * `first_response`, `resolution` and `lateness` are averages (sum ÷ count of the bucket);
 * `viewers` counts customers first seen on a product page that day.
 */
export const SERIES_KPIS = [
  "revenue",
  "orders",
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
  "booked_minutes",
  "lateness",
  "viewers",
] as const;
export type SeriesKpi = (typeof SERIES_KPIS)[number];

/** KPIs peak hours can be found for (counts and sums). */
export const PEAK_KPIS = [
  "orders",
  "bookings",
  "revenue",
  "sales",
  "chats",
  "reservations",
] as const;
export type PeakKpi = (typeof PEAK_KPIS)[number];

/** The alert rules the owner turns on and off (some have a threshold). */
export const ALERT_RULES = [
  "revenue-goal",
  "rating-5",
  "rating-1",
  "wait-above",
  "stock-out",
] as const;
export type AlertRuleName = (typeof ALERT_RULES)[number];
