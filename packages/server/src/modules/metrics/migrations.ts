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

declare module "../../store/schema.js" {
  interface Database {
    metrics_rollups: MetricsRollupRow;
    metrics_customers: MetricsCustomerRow;
    metrics_activity: MetricsActivityRow;
    metrics_prices: MetricsPriceRow;
    metrics_alert_rules: MetricsAlertRuleRow;
    metrics_alert_fired: MetricsAlertFiredRow;
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
};
