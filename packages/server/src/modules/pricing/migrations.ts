import type { Kysely } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

/** One item's list price and its live (published) price. */
export interface PriceRow {
  sku: string;
  currency: string;
  base_amount: number;
  floor_amount: number | null;
  ceiling_amount: number | null;
  /** Basis points; null: the configured default. */
  max_step_bps: number | null;
  /** The live price, after rules and bounds: what the storefront shows and a lock captures. */
  amount: number;
  /** JSON array of factors explaining `amount`. */
  factors: string;
  /** +1 on every staff edit of the entry (expectedVersion). */
  version: number;
  /** +1 on every published price (orders `price` events; guards automatic changes). */
  seq: number;
  updated_at: string;
  changed_at: string;
}

export interface RuleRow {
  id: string;
  name: string;
  enabled: number;
  /** JSON array of SKUs, or null for every item. */
  skus: string | null;
  /** JSON array of conditions. */
  conditions: string;
  /** JSON adjustment. */
  adjust: string;
  priority: number;
  stackable: number;
  version: number;
  created_at: string;
  updated_at: string;
  /** A promotion's limit of uses (null: unlimited) and how many were taken. */
  max_uses: number | null;
  uses: number;
}

export interface SignalRow {
  name: string;
  /** '' for a global signal. */
  sku: string;
  value: number;
  updated_at: string;
}

export interface PriceHistoryRow {
  id: string;
  sku: string;
  at: string;
  amount: number;
  base_amount: number;
  currency: string;
  cause: "list" | "rules" | "signal" | "schedule";
  factors: string;
  by: string;
}

export interface WatchRow {
  id: string;
  user_id: string;
  sku: string;
  below: number | null;
  drop_bps: number | null;
  reference: number;
  currency: string;
  armed: number;
  created_at: string;
  last_alert_at: string | null;
}

export interface LockRow {
  id: string;
  user_id: string;
  sku: string;
  amount: number;
  currency: string;
  factors: string;
  status: "active" | "used";
  expires_at: string;
  created_at: string;
  used_at: string | null;
}

export interface OrderQuoteRow {
  id: string;
  order_id: string;
  status: "proposed" | "approved" | "declined" | "superseded";
  currency: string;
  /** JSON array of lines with their amounts. */
  lines: string;
  subtotal: number;
  tax_bps: number;
  tax: number;
  total: number;
  valid_until: string;
  version: number;
  created_at: string;
  created_by: string;
  decided_at: string | null;
  decided_by: string | null;
}

/** A variant of a catalog product: an inventory SKU with its own name, price entry and stock. */
export interface CatalogVariantRow {
  /** The variant's own SKU (inventory's item; the key of its price entry): one product's only. */
  sku: string;
  product_sku: string;
  name: string;
  position: number;
}

/** A catalog product (its id is its SKU, the key of its price entry and of product:{sku}). */
export interface CatalogProductRow {
  sku: string;
  name: string;
  /** lower-case name + description + sku: what search matches (no per-dialect full text). */
  search: string;
  description: string | null;
  category: string | null;
  /** The team that owns the product (teams resolve `subject: {type: "product"}` through it). */
  team_id: string | null;
  /** Inventory's item that holds its stock (a variant's SKU); null: the same SKU. */
  stock_sku: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

/** One use of a limited promotion (a rule with a code and `maxUses`). */
export interface PromoUseRow {
  rule_id: string;
  /** 1..maxUses: the primary key (rule_id, n) makes the K+1-th racing use fail. */
  n: number;
  user_id: string;
  lock_id: string;
  at: string;
}

/** A product image: checked by content, stored resized (WebP, base64: the same in both dialects). */
export interface ProductImageRow {
  id: string;
  sku: string;
  width: number;
  height: number;
  /** Fits 1200 × 1200. */
  large: string;
  /** Fits 400 × 400. */
  thumb: string;
  created_at: string;
}

declare module "../../store/schema.js" {
  interface Database {
    pricing_product_images: ProductImageRow;
    pricing_catalog_products: CatalogProductRow;
    pricing_catalog_variants: CatalogVariantRow;
    pricing_promo_uses: PromoUseRow;
    pricing_prices: PriceRow;
    pricing_rules: RuleRow;
    pricing_signals: SignalRow;
    pricing_history: PriceHistoryRow;
    pricing_watches: WatchRow;
    pricing_locks: LockRow;
    pricing_order_quotes: OrderQuoteRow;
  }
}

export const pricingMigrations: MigrationSet = {
  "pricing/001_create_pricing": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pricing_prices")
        .addColumn("sku", "text", (c) => c.primaryKey())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("base_amount", "integer", (c) => c.notNull())
        .addColumn("floor_amount", "integer")
        .addColumn("ceiling_amount", "integer")
        .addColumn("max_step_bps", "integer")
        .addColumn("amount", "integer", (c) => c.notNull())
        .addColumn("factors", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("changed_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("pricing_rules")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("skus", "text")
        .addColumn("conditions", "text", (c) => c.notNull())
        .addColumn("adjust", "text", (c) => c.notNull())
        .addColumn("priority", "integer", (c) => c.notNull())
        .addColumn("stackable", "integer", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("pricing_signals")
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("value", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("pricing_signals_pk", ["name", "sku"])
        .execute();
      await db.schema
        .createTable("pricing_history")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("amount", "integer", (c) => c.notNull())
        .addColumn("base_amount", "integer", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("cause", "text", (c) => c.notNull())
        .addColumn("factors", "text", (c) => c.notNull())
        .addColumn("by", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("pricing_history_sku")
        .on("pricing_history")
        .columns(["sku", "id"])
        .execute();
      await db.schema
        .createTable("pricing_watches")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("below", "integer")
        .addColumn("drop_bps", "integer")
        .addColumn("reference", "integer", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("armed", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_alert_at", "text")
        .addUniqueConstraint("pricing_watches_user_sku", ["user_id", "sku"])
        .execute();
      await db.schema
        .createIndex("pricing_watches_sku")
        .on("pricing_watches")
        .columns(["sku"])
        .execute();
      await db.schema
        .createTable("pricing_locks")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("amount", "integer", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("factors", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("used_at", "text")
        .execute();
      await db.schema
        .createTable("pricing_order_quotes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("lines", "text", (c) => c.notNull())
        .addColumn("subtotal", "integer", (c) => c.notNull())
        .addColumn("tax_bps", "integer", (c) => c.notNull())
        .addColumn("tax", "integer", (c) => c.notNull())
        .addColumn("total", "integer", (c) => c.notNull())
        .addColumn("valid_until", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("decided_at", "text")
        .addColumn("decided_by", "text")
        .execute();
      await db.schema
        .createIndex("pricing_order_quotes_order")
        .on("pricing_order_quotes")
        .columns(["order_id", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        "pricing_order_quotes",
        "pricing_locks",
        "pricing_watches",
        "pricing_history",
        "pricing_signals",
        "pricing_rules",
        "pricing_prices",
      ])
        await db.schema.dropTable(t).execute();
    },
  },
  "pricing/002_catalog_and_promo_limits": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pricing_catalog_products")
        .addColumn("sku", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("search", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("category", "text")
        .addColumn("team_id", "text")
        .addColumn("stock_sku", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("updated_by", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("pricing_catalog_category")
        .on("pricing_catalog_products")
        .columns(["category", "sku"])
        .execute();
      await db.schema.alterTable("pricing_rules").addColumn("max_uses", "integer").execute();
      await db.schema
        .alterTable("pricing_rules")
        .addColumn("uses", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("pricing_promo_uses")
        .addColumn("rule_id", "text", (c) => c.notNull())
        .addColumn("n", "integer", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("lock_id", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("pricing_promo_uses_pk", ["rule_id", "n"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("pricing_promo_uses").execute();
      await db.schema.alterTable("pricing_rules").dropColumn("uses").execute();
      await db.schema.alterTable("pricing_rules").dropColumn("max_uses").execute();
      await db.schema.dropTable("pricing_catalog_products").execute();
    },
  },
  "pricing/003_product_images": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pricing_product_images")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("width", "integer", (c) => c.notNull())
        .addColumn("height", "integer", (c) => c.notNull())
        .addColumn("large", "text", (c) => c.notNull())
        .addColumn("thumb", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("pricing_product_images_sku")
        .on("pricing_product_images")
        .columns(["sku", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("pricing_product_images").execute();
    },
  },
  "pricing/004_product_variants": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pricing_catalog_variants")
        .addColumn("sku", "text", (c) => c.primaryKey())
        .addColumn("product_sku", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("pricing_catalog_variants_product")
        .on("pricing_catalog_variants")
        .columns(["product_sku", "position"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("pricing_catalog_variants").execute();
    },
  },
};
