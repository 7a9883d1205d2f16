import type { Kysely } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

/**
 * One bucket of one KPI: `bucket` is the ISO UTC instant its minute, hour or day starts (hours and
 * days cut in the business's zone), `dim` a currency, `agent:{id}` or "" for the total.
 */
export interface MetricsRollupRow {
  grain: "minute" | "hour" | "day";
  bucket: string;
  kpi: string;
  dim: string;
  sum_value: number;
  count: number;
  max_value: number;
}

/** A customer seen on a business day (their first activity of it): active customers. */
export interface MetricsCustomerRow {
  day: string;
  customer_id: string;
}

/** One line of the activity feed; the id is the domain event's, so a repeat is one line. */
export interface MetricsActivityRow {
  id: string;
  at: string;
  kind: string;
  title: string;
  /** JSON object. */
  data: string;
}

/** The last known price of an item (from `pricing.price_changed`): values a sale without one. */
export interface MetricsPriceRow {
  sku: string;
  amount: number;
  currency: string;
  updated_at: string;
}

/** An owner's change to an alert rule (absent: its default). */
export interface MetricsAlertRuleRow {
  name: string;
  enabled: number;
  threshold: number | null;
  updated_at: string;
}

/** Alerts that fire once per key (the revenue goal once per day and currency). */
export interface MetricsAlertFiredRow {
  key: string;
  at: string;
}

/** An order whose price metrics counted as revenue (once: paid, completed or by a quote). */
export interface MetricsOrderRevenueRow {
  order_id: string;
  /** Minor units counted (0 for an order counted through its quotes). */
  amount: number;
  currency: string;
  /** `paid`, `completed` or `quote`. */
  source: string;
  at: string;
}

/**
 * A confirmed appointment's start, to measure lateness when the customer arrives (its
 * `appointment.checked_in`, or its order reaching checked-in/device-received). `arrived_at` marks
 * the booking measured, whichever route reported it first: the other counts nothing.
 */
export interface MetricsBookingRow {
  appointment_id: string;
  starts_at: string;
  arrived_at: string | null;
}

/** A customer seen on a product page (presence on `product:{sku}`) on a business day. */
export interface MetricsViewerRow {
  day: string;
  customer_id: string;
}

declare module "../../store/schema.js" {
  interface Database {
    metrics_rollups: MetricsRollupRow;
    metrics_customers: MetricsCustomerRow;
    metrics_activity: MetricsActivityRow;
    metrics_prices: MetricsPriceRow;
    metrics_alert_rules: MetricsAlertRuleRow;
    metrics_alert_fired: MetricsAlertFiredRow;
    metrics_order_revenue: MetricsOrderRevenueRow;
    metrics_bookings: MetricsBookingRow;
    metrics_viewers: MetricsViewerRow;
  }
}

export const metricsMigrations: MigrationSet = {
  "metrics/001_create": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("metrics_rollups")
        .addColumn("grain", "text", (c) => c.notNull())
        .addColumn("bucket", "text", (c) => c.notNull())
        .addColumn("kpi", "text", (c) => c.notNull())
        .addColumn("dim", "text", (c) => c.notNull())
        .addColumn("sum_value", "double precision", (c) => c.notNull())
        .addColumn("count", "integer", (c) => c.notNull())
        .addColumn("max_value", "double precision", (c) => c.notNull())
        .addPrimaryKeyConstraint("metrics_rollups_pk", ["grain", "kpi", "bucket", "dim"])
        .execute();
      await db.schema
        .createTable("metrics_customers")
        .addColumn("day", "text", (c) => c.notNull())
        .addColumn("customer_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("metrics_customers_pk", ["day", "customer_id"])
        .execute();
      await db.schema
        .createTable("metrics_activity")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("metrics_activity_at")
        .on("metrics_activity")
        .column("at")
        .execute();
      await db.schema
        .createTable("metrics_prices")
        .addColumn("sku", "text", (c) => c.primaryKey())
        .addColumn("amount", "bigint", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("metrics_alert_rules")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("threshold", "double precision")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("metrics_alert_fired")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("at", "text", (c) => c.notNull())
        .execute();
    },
  },
  // Paid orders without a quote, appointment lateness, product viewers (issue 17).
  "metrics/002_orders_lateness_viewers": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("metrics_order_revenue")
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("amount", "bigint", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("metrics_bookings")
        .addColumn("appointment_id", "text", (c) => c.primaryKey())
        .addColumn("starts_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("metrics_viewers")
        .addColumn("day", "text", (c) => c.notNull())
        .addColumn("customer_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("metrics_viewers_pk", ["day", "customer_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("metrics_viewers").execute();
      await db.schema.dropTable("metrics_bookings").execute();
      await db.schema.dropTable("metrics_order_revenue").execute();
    },
  },
  // Lateness from appointment.checked_in as well as from orders: a booking is measured once.
  "metrics/003_booking_arrived": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("metrics_bookings").addColumn("arrived_at", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("metrics_bookings").dropColumn("arrived_at").execute();
    },
  },
};
