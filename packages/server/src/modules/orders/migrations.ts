import type { Kysely } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

export interface OrderRow {
  id: string;
  lifecycle: string;
  customer_id: string;
  /** The customer's name as staff or the app gave it (the board shows it); null: not known. */
  customer_name: string | null;
  title: string | null;
  /** What the customer pays, in minor units of `currency` (metrics counts it once paid); null: not given. */
  amount_minor: number | null;
  currency: string | null;
  /** JSON object text. */
  details: string;
  status: string;
  progress: number;
  eta: string | null;
  location: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface OrderHistoryRow {
  order_id: string;
  version: number;
  from_status: string | null;
  to_status: string;
  at: string;
  by: string;
  note: string | null;
  eta: string | null;
  location: string | null;
}

/** The name each customer goes by, as the server last heard it (customer_names.ts). */
export interface OrderCustomerRow {
  customer_id: string;
  name: string;
  /** "token": the customer's own sign-in; "staff": typed by staff (a token's name replaces it). */
  source: string;
  updated_at: string;
}

declare module "../../store/schema.js" {
  interface Database {
    orders: OrderRow;
    order_history: OrderHistoryRow;
    order_customers: OrderCustomerRow;
  }
}

export const ordersMigrations: MigrationSet = {
  "orders/001_create_orders": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("orders")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("lifecycle", "text", (c) => c.notNull())
        .addColumn("customer_id", "text", (c) => c.notNull())
        .addColumn("title", "text")
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("progress", "integer", (c) => c.notNull())
        .addColumn("eta", "text")
        .addColumn("location", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("orders_customer")
        .on("orders")
        .columns(["customer_id", "id"])
        .execute();
      await db.schema.createIndex("orders_status").on("orders").columns(["status", "id"]).execute();
      await db.schema
        .createTable("order_history")
        .addColumn("order_id", "text", (c) =>
          c.notNull().references("orders.id").onDelete("cascade"),
        )
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("from_status", "text")
        .addColumn("to_status", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("by", "text", (c) => c.notNull())
        .addColumn("note", "text")
        .addColumn("eta", "text")
        .addColumn("location", "text")
        .addPrimaryKeyConstraint("order_history_pk", ["order_id", "version"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("order_history").execute();
      await db.schema.dropTable("orders").execute();
    },
  },
  // The board names customers instead of showing their ids.
  "orders/002_customer_name": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("orders").addColumn("customer_name", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("orders").dropColumn("customer_name").execute();
    },
  },
  // Orders a customer makes (a booked drop-off) carry the name they signed in with.
  "orders/003_customers": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("order_customers")
        .addColumn("customer_id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("order_customers").execute();
    },
  },
  // An order's price, so a paid order without a quote counts as revenue (issue 17).
  "orders/004_amount": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("orders").addColumn("amount_minor", "bigint").execute();
      await db.schema.alterTable("orders").addColumn("currency", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("orders").dropColumn("currency").execute();
      await db.schema.alterTable("orders").dropColumn("amount_minor").execute();
    },
  },
};
