import { type Kysely, sql } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

/** One stock-keeping unit: a SKU, optionally narrowed to a variant and a location. */
export interface InventoryItemRow {
  /** The item key (`SKU`, `SKU:variant`, `SKU@location`, `SKU:variant@location`). */
  sku: string;
  base_sku: string;
  variant: string | null;
  location: string | null;
  name: string | null;
  on_hand: number;
  reserved: number;
  low_stock_threshold: number;
  /** The chat team that answers questions about this item (a dealership, a shop); null: anyone. */
  team_id: string | null;
  /** +1 on every change: orders the `stock` events and guards PUT (optimistic). */
  version: number;
  created_at: string;
  updated_at: string;
}

export type ReservationStatus = "active" | "committed" | "released" | "expired";

export interface InventoryReservationRow {
  id: string;
  sku: string;
  customer_id: string | null;
  quantity: number;
  status: ReservationStatus;
  expires_at: string;
  created_at: string;
  updated_at: string;
}

export type HistoryKind = "set" | "adjustment" | "reserve" | "commit" | "release" | "expire";

export interface InventoryHistoryRow {
  id: string;
  sku: string;
  at: string;
  kind: HistoryKind;
  /** Adjustments: sale | restock | adjustment | return | damage; commits: sale. */
  reason: string | null;
  delta_on_hand: number;
  delta_reserved: number;
  /** Levels after the change. */
  on_hand: number;
  reserved: number;
  reservation_id: string | null;
  note: string | null;
  by: string;
}

export interface InventoryWatchRow {
  sku: string;
  user_id: string;
  created_at: string;
}

declare module "../../store/schema.js" {
  interface Database {
    inventory_items: InventoryItemRow;
    inventory_reservations: InventoryReservationRow;
    inventory_history: InventoryHistoryRow;
    inventory_watches: InventoryWatchRow;
  }
}

export const inventoryMigrations: MigrationSet = {
  "inventory/001_create_inventory": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("inventory_items")
        .addColumn("sku", "text", (c) => c.primaryKey())
        .addColumn("base_sku", "text", (c) => c.notNull())
        .addColumn("variant", "text")
        .addColumn("location", "text")
        .addColumn("name", "text")
        .addColumn("on_hand", "integer", (c) => c.notNull())
        .addColumn("reserved", "integer", (c) => c.notNull())
        .addColumn("low_stock_threshold", "integer", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        // The last line of defence: even a faulty code path cannot commit an oversold row.
        .addCheckConstraint("inventory_items_levels", sql`reserved >= 0 and on_hand >= reserved`)
        .execute();
      await db.schema
        .createIndex("inventory_items_base")
        .on("inventory_items")
        .columns(["base_sku", "sku"])
        .execute();
      await db.schema
        .createTable("inventory_reservations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("sku", "text", (c) => c.notNull().references("inventory_items.sku"))
        .addColumn("customer_id", "text")
        .addColumn("quantity", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // The expiry sweep reads active reservations by deadline.
      await db.schema
        .createIndex("inventory_reservations_due")
        .on("inventory_reservations")
        .columns(["status", "expires_at"])
        .execute();
      await db.schema
        .createTable("inventory_history")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("delta_on_hand", "integer", (c) => c.notNull())
        .addColumn("delta_reserved", "integer", (c) => c.notNull())
        .addColumn("on_hand", "integer", (c) => c.notNull())
        .addColumn("reserved", "integer", (c) => c.notNull())
        .addColumn("reservation_id", "text")
        .addColumn("note", "text")
        .addColumn("by", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("inventory_history_sku")
        .on("inventory_history")
        .columns(["sku", "id"])
        .execute();
      await db.schema
        .createIndex("inventory_history_at")
        .on("inventory_history")
        .column("at")
        .execute();
      await db.schema
        .createTable("inventory_watches")
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("inventory_watches_pk", ["sku", "user_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("inventory_watches").execute();
      await db.schema.dropTable("inventory_history").execute();
      await db.schema.dropTable("inventory_reservations").execute();
      await db.schema.dropTable("inventory_items").execute();
    },
  },
  // A customer's reservations, newest first (the shop restores the one it holds after a reload).
  "inventory/002_reservations_by_customer": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex("inventory_reservations_customer")
        .on("inventory_reservations")
        .columns(["customer_id", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("inventory_reservations_customer").execute();
    },
  },
  // Items name the chat team that owns them: a conversation about one goes to that team.
  "inventory/003_item_team": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("inventory_items").addColumn("team_id", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("inventory_items").dropColumn("team_id").execute();
    },
  },
};
