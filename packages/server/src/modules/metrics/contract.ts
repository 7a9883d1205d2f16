/**
 * The metrics module's wire contract: what its REST routes answer and what it publishes on
 * dashboard:overview and dashboard:activity. Clients import these instead of re-typing them.
 */
import { z } from "zod";
import { ALERT_RULES, PEAK_KPIS, PERIODS, SERIES_KPIS, STEPS } from "./names.js";

export * from "./names.js";

/** A figure of the period, the same figure of the period before, and the change between them. */
export const trendSchema = z.object({
  value: z.number().nullable().describe("null: nothing to average in the period"),
  previous: z.number().nullable(),
  /** (value − previous) ÷ previous; null when the previous is 0 or unknown. */
  change: z.number().nullable(),
  direction: z.enum(["up", "down", "flat"]),
});
export type Trend = z.infer<typeof trendSchema>;

export const agentFiguresSchema = z.object({
  agentId: z.string(),
  chats: z.number().int(),
  resolved: z.number().int(),
  ratings: z.number().int(),
  satisfaction: z.number().nullable(),
  firstResponseMs: z.number().nullable(),
  resolutionMs: z.number().nullable(),
});
export type AgentFigures = z.infer<typeof agentFiguresSchema>;

export const overviewSchema = z.object({
  period: z.enum(PERIODS),
  timeZone: z.string(),
  /** The period [from, to) and the one it is compared with (same length, just before). */
  from: z.string(),
  to: z.string(),
  previousFrom: z.string(),
  previousTo: z.string(),
  revenue: z.array(trendSchema.extend({ currency: z.string() })),
  orders: trendSchema,
  ordersCompleted: trendSchema,
  bookings: trendSchema,
  cancellations: trendSchema,
  noShows: trendSchema,
  /** Distinct customers seen on a product page (presence on `product:{sku}`, sampled). */
  viewers: trendSchema,
  /** reservations ÷ viewers: the funnel's first step (viewers → reservations → sales). */
  reservationRate: trendSchema,
  reservations: trendSchema,
  sales: trendSchema,
  /** sales ÷ reservations: the funnel's second step. */
  conversion: trendSchema,
  chats: trendSchema,
  /** Average chat rating (1–5) and how many ratings. */
  satisfaction: trendSchema.extend({ count: z.number().int() }),
  avgWaitMs: trendSchema,
  longestWaitMs: trendSchema,
  /**
   * Appointment lateness: how long after the booked start customers arrived (0 when on time),
   * measured when the booking's order reaches `checked-in`/`device-received`.
   */
  avgLatenessMs: trendSchema,
  longestLatenessMs: trendSchema,
  firstResponseMs: trendSchema,
  resolutionMs: trendSchema,
  /** Booked ÷ open resource minutes over the period's whole days (0..1). */
  utilization: trendSchema,
  activeCustomers: trendSchema,
  agents: z.array(agentFiguresSchema),
  computedAt: z.string(),
});
export type Overview = z.infer<typeof overviewSchema>;

export const seriesSchema = z.object({
  kpi: z.enum(SERIES_KPIS),
  step: z.enum(STEPS),
  timeZone: z.string(),
  dim: z.string(),
  points: z.array(z.object({ at: z.string(), value: z.number().nullable() })),
});
export type Series = z.infer<typeof seriesSchema>;

export const peaksSchema = z.object({
  kpi: z.enum(PEAK_KPIS),
  timeZone: z.string(),
  weeks: z.number().int(),
  /** grid[weekday − 1][hour]: the average per week of that local weekday and hour (Monday first). */
  grid: z.array(z.array(z.number())),
  /** The busiest cells, busiest first (above mean + one standard deviation). */
  peaks: z.array(
    z.object({ weekday: z.number().int(), hour: z.number().int(), value: z.number() }),
  ),
});
export type Peaks = z.infer<typeof peaksSchema>;

export const activityItemSchema = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.string(),
  title: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type ActivityItem = z.infer<typeof activityItemSchema>;
export const activityPageSchema = z.object({
  items: z.array(activityItemSchema),
  nextCursor: z.string().optional(),
});
export type ActivityPage = z.infer<typeof activityPageSchema>;

export const alertRuleSchema = z.object({
  name: z.enum(ALERT_RULES),
  description: z.string(),
  enabled: z.boolean(),
  /** The rule's threshold (goal in minor units, wait in ms) where it has one. */
  threshold: z.number().nullable(),
});
export type AlertRule = z.infer<typeof alertRuleSchema>;

/** Durable event `metrics.alert`: notifications' `metrics-alert` rule sends it to `recipients`. */
export const metricsAlertSchema = z.object({
  kind: z.enum(ALERT_RULES),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  recipients: z.array(z.string()),
  at: z.string(),
});
export type MetricsAlert = z.infer<typeof metricsAlertSchema>;
