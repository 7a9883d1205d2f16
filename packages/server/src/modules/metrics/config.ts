import { IANAZone } from "luxon";
import { z } from "zod";
import { int, list, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

export interface MetricsSettings {
  /** The business's IANA zone: its day, hours and weekdays (rollup buckets, "today", peaks). */
  timeZone: string;
  /** `dashboard:overview` is published at least this often while something changed. */
  liveIntervalMs: number;
  /** How often product viewers are sampled from presence (`product:{sku}`). */
  viewersSampleMs: number;
  /** Least time between two publishes of a big change (a sale, a booking, a rating, an alert). */
  liveMinGapMs: number;
  /** Days each rollup grain is kept. */
  retention: { minuteDays: number; hourDays: number; dayDays: number; activityDays: number };
  /** The daily revenue goal (minor units) and its currency: the `revenue-goal` alert. */
  revenueGoalMinor: number;
  currency: string;
  /** The `wait-above` alert fires for a chat wait longer than this. */
  waitAlertMs: number;
  /** Who hears alerts as notifications (user ids: the owner, managers). */
  alertRecipients: string[];
}

const zone = z
  .string()
  .refine((v) => IANAZone.isValidZone(v), "must be an IANA time zone (Europe/Berlin)");

/** The metrics module's section of the configuration (docs/configuration.md, "Metrics"). */
export const metricsConfig = defineModuleConfig(
  z.object({
    SWITCHBOARD_METRICS_TIME_ZONE: withDefault(zone, "UTC"),
    SWITCHBOARD_METRICS_LIVE_INTERVAL_MS: withDefault(int(200, 3_600_000), 5000),
    SWITCHBOARD_METRICS_LIVE_MIN_GAP_MS: withDefault(int(0, 60_000), 250),
    SWITCHBOARD_METRICS_VIEWERS_SAMPLE_MS: withDefault(int(100, 600_000), 1000),
    SWITCHBOARD_METRICS_RETENTION_MINUTE_DAYS: withDefault(int(2, 90), 3),
    SWITCHBOARD_METRICS_RETENTION_HOUR_DAYS: withDefault(int(62, 3660), 400),
    SWITCHBOARD_METRICS_RETENTION_DAY_DAYS: withDefault(int(62, 36600), 1830),
    SWITCHBOARD_METRICS_RETENTION_ACTIVITY_DAYS: withDefault(int(1, 3660), 30),
    SWITCHBOARD_METRICS_REVENUE_GOAL_MINOR: withDefault(int(1, 1_000_000_000_000), 100_000),
    SWITCHBOARD_METRICS_CURRENCY: withDefault(
      z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code (USD)"),
      "USD",
    ),
    SWITCHBOARD_METRICS_WAIT_ALERT_SECONDS: withDefault(int(1, 86_400), 300),
    SWITCHBOARD_METRICS_ALERT_RECIPIENTS: optional(list(/^[A-Za-z0-9_.@:-]{1,255}$/, "a user id")),
  }),
  (e): MetricsSettings => ({
    timeZone: e.SWITCHBOARD_METRICS_TIME_ZONE,
    liveIntervalMs: e.SWITCHBOARD_METRICS_LIVE_INTERVAL_MS,
    liveMinGapMs: e.SWITCHBOARD_METRICS_LIVE_MIN_GAP_MS,
    viewersSampleMs: e.SWITCHBOARD_METRICS_VIEWERS_SAMPLE_MS,
    retention: {
      minuteDays: e.SWITCHBOARD_METRICS_RETENTION_MINUTE_DAYS,
      hourDays: e.SWITCHBOARD_METRICS_RETENTION_HOUR_DAYS,
      dayDays: e.SWITCHBOARD_METRICS_RETENTION_DAY_DAYS,
      activityDays: e.SWITCHBOARD_METRICS_RETENTION_ACTIVITY_DAYS,
    },
    revenueGoalMinor: e.SWITCHBOARD_METRICS_REVENUE_GOAL_MINOR,
    currency: e.SWITCHBOARD_METRICS_CURRENCY,
    waitAlertMs: e.SWITCHBOARD_METRICS_WAIT_ALERT_SECONDS * 1000,
    alertRecipients: e.SWITCHBOARD_METRICS_ALERT_RECIPIENTS ?? [],
  }),
);
