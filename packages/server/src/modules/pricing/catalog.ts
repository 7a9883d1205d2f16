import { type Kysely, sql } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now, whoOf } from "../../platform/kit/actor.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import { keysetPageBy, type SortKey } from "../../platform/kit/pagination.js";
import type { Database } from "../../store/schema.js";
import type { CatalogPage, CatalogProduct, ProductImage } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import { imagesOf } from "./images.js";
import type { CatalogProductRow, PriceRow } from "./migrations.js";
import type { PriceService } from "./prices.js";
import type { ListProductsQuery, PutProductInput } from "./schema.js";
import { type CatalogVariant, checkVariants, replaceVariants, variantsOf } from "./variants.js";

type Priced = { [K in "currency" | "base_amount" | "amount"]?: PriceRow[K] | null };

function productOf(
  row: CatalogProductRow,
  price: Priced | undefined,
  images: ProductImage[] = [],
  variants: CatalogVariant[] = [],
): CatalogProduct {
  return {
    id: row.sku,
    sku: row.sku,
    name: row.name,
    ...(row.description !== null && { description: row.description }),
    ...(row.category !== null && { category: row.category }),
    ...(row.team_id !== null && { teamId: row.team_id }),
    stockSku: row.stock_sku ?? row.sku,
    images,
    ...(price?.currency != null &&
      price.amount != null &&
      price.base_amount != null && {
        price: {
          currency: price.currency,
          base: price.base_amount,
          amount: price.amount,
          onSale: price.amount < price.base_amount,
        },
      }),
    variants,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What search matches: lower-case name, description and SKU (the same in both dialects). */
const searchText = (sku: string, name: string, description: string | null | undefined) =>
  [name, description ?? "", sku].join("\n").toLowerCase();

/** `%word%` with LIKE's own characters taken literally (escape `\`). */
const containing = (word: string) => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A catalog row as the list reads it: the product and its live price, if any. */
type ListedRow = CatalogProductRow & {
  currency: string | null;
  base_amount: number | null;
  amount: number | null;
};

/**
 * A catalog product by id (its SKU), or undefined: the surface other modules read (teams
 * resolve `subject: {type: "product"}` through it; see notes/CONTRACTS.md).
 */
export async function getCatalogProduct(
  db: Kysely<Database>,
  id: string,
): Promise<CatalogProduct | undefined> {
  const row = await db
    .selectFrom("pricing_catalog_products")
    .selectAll()
    .where("sku", "=", id)
    .executeTakeFirst();
  if (!row) return undefined;
  const price = await db
    .selectFrom("pricing_prices")
    .select(["currency", "base_amount", "amount"])
    .where("sku", "=", id)
    .executeTakeFirst();
  return productOf(
    row,
    price,
    (await imagesOf(db, [id])).get(id),
    (await variantsOf(db, [id])).get(id),
  );
}

/**
 * The catalog: products (name, description, category, owning team, the inventory item holding
 * their stock) with their price from the price list. Staff write it; anyone searches it.
 */
export function createCatalogService(deps: PricingDeps, prices: PriceService) {
  const { db } = deps;

  function assertStaff(identity: Identity): void {
    if (!isStaffOrServer(identity))
      throw new SwitchboardError("forbidden", "only staff or the API key edit the catalog");
  }

  async function get(sku: string): Promise<CatalogProduct> {
    const p = await getCatalogProduct(db, sku);
    if (!p) throw new SwitchboardError("not_found", `no product ${sku}`);
    return p;
  }

  return {
    get,

    /** Search, filter by category, sort by name or live price, paged by the kit's keyset cursor. */
    async list(query: ListProductsQuery): Promise<CatalogPage> {
      let q = db
        .selectFrom("pricing_catalog_products as c")
        .leftJoin("pricing_prices as p", "p.sku", "c.sku")
        .selectAll("c")
        .select(["p.currency", "p.base_amount", "p.amount"]);
      for (const word of (query.q ?? "").toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8))
        q = q.where(sql<boolean>`${sql.ref("c.search")} like ${containing(word)} escape '\\'`);
      if (query.category) q = q.where("c.category", "=", query.category);
      const order = query.sort.startsWith("-") ? "desc" : "asc";
      // the kit's keyset: a stable cursor however the catalog changes between pages
      const keys: SortKey<ListedRow>[] = query.sort.endsWith("price")
        ? [
            // unpriced products last either way (dialects order NULL differently)
            {
              expr: sql`case when ${sql.ref("p.amount")} is null then 1 else 0 end`,
              order: "asc",
              value: (r) => (r.amount === null ? 1 : 0),
            },
            { expr: sql`coalesce(${sql.ref("p.amount")}, 0)`, order, value: (r) => r.amount ?? 0 },
            { expr: sql`${sql.ref("c.sku")}`, order, value: (r) => r.sku },
          ]
        : [
            { expr: sql`${sql.ref("c.name")}`, order, value: (r) => r.name },
            { expr: sql`${sql.ref("c.sku")}`, order, value: (r) => r.sku },
          ];
      const { rows: page, nextCursor } = await keysetPageBy(q, keys, query);
      const categories = await db
        .selectFrom("pricing_catalog_products")
        .select("category")
        .distinct()
        .where("category", "is not", null)
        .orderBy("category")
        .limit(500)
        .execute();
      const images = await imagesOf(
        db,
        page.map((r) => r.sku),
      );
      const variants = await variantsOf(
        db,
        page.map((r) => r.sku),
      );
      return {
        items: page.map((r) => productOf(r, r, images.get(r.sku), variants.get(r.sku))),
        ...(nextCursor !== undefined && { nextCursor }),
        categories: categories.map((c) => c.category as string),
      };
    },

    /**
     * Creates or replaces a product. `expectedVersion` (0 for a new one) refuses a stale edit:
     * of two racing editors one wins, the other gets 409 `conflict`. A `price` sets the item's
     * list price through the price list (its history, events and watches follow).
     */
    async put(identity: Identity, sku: string, input: PutProductInput): Promise<CatalogProduct> {
      assertStaff(identity);
      const before = await db
        .selectFrom("pricing_catalog_products")
        .selectAll()
        .where("sku", "=", sku)
        .executeTakeFirst();
      const version = before?.version ?? 0;
      if (input.expectedVersion !== undefined && input.expectedVersion !== version)
        throw new SwitchboardError(
          "conflict",
          `product ${sku} is at version ${version}, not ${input.expectedVersion}`,
          { details: { version } },
        );
      // refused before anything is written (and again in the variants' own transaction)
      if (input.variants) await checkVariants(db, sku, input.variants);
      const at = now();
      const pick = <T>(given: T | null | undefined, old: T | null | undefined): T | null =>
        given === undefined ? (old ?? null) : given;
      const description = pick(input.description, before?.description);
      const row: CatalogProductRow = {
        sku,
        name: input.name,
        search: searchText(sku, input.name, description),
        description,
        category: pick(input.category, before?.category),
        team_id: pick(input.teamId, before?.team_id),
        stock_sku: pick(input.stockSku, before?.stock_sku),
        version: version + 1,
        created_at: before?.created_at ?? at,
        updated_at: at,
        updated_by: whoOf(identity),
      };
      try {
        if (before)
          expectOne(
            await db
              .updateTable("pricing_catalog_products")
              .set(row)
              .where("sku", "=", sku)
              .where("version", "=", before.version)
              .executeTakeFirst(),
          );
        else
          expectOne(
            await db
              .insertInto("pricing_catalog_products")
              .values(row)
              .onConflict((oc) => oc.column("sku").doNothing())
              .executeTakeFirst(),
          );
      } catch (error) {
        if (error instanceof ConditionalMiss)
          throw new SwitchboardError(
            "conflict",
            `product ${sku} was changed by someone else first`,
            {
              details: { version: version + 1 },
            },
          );
        throw error;
      }
      if (input.variants) {
        await replaceVariants(db, sku, input.variants);
        for (const v of input.variants) {
          if (!v.price) continue;
          const current = await db
            .selectFrom("pricing_prices")
            .select(["base_amount", "currency"])
            .where("sku", "=", v.sku)
            .executeTakeFirst();
          if (current?.base_amount !== v.price.amount || current.currency !== v.price.currency)
            await prices.set(identity, v.sku, v.price);
        }
      }
      if (input.price) {
        const current = await db
          .selectFrom("pricing_prices")
          .select(["base_amount", "currency"])
          .where("sku", "=", sku)
          .executeTakeFirst();
        if (
          current?.base_amount !== input.price.amount ||
          current.currency !== input.price.currency
        )
          await prices.set(identity, sku, input.price);
      }
      return get(sku);
    },

    /** Removes a product from the catalog (its price entry and history stay). */
    async remove(identity: Identity, sku: string): Promise<void> {
      assertStaff(identity);
      const r = await db
        .deleteFrom("pricing_catalog_products")
        .where("sku", "=", sku)
        .executeTakeFirst();
      if (Number(r.numDeletedRows) !== 1)
        throw new SwitchboardError("not_found", `no product ${sku}`);
      await db.deleteFrom("pricing_catalog_variants").where("product_sku", "=", sku).execute();
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
