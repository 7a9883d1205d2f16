import type { Kysely } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import type { CatalogProduct } from "./contract.js";

export type CatalogVariant = CatalogProduct["variants"][number];

/** The variants of these products, each with its live price (in the order staff gave). */
export async function variantsOf(
  db: Kysely<Database>,
  productSkus: string[],
): Promise<Map<string, CatalogVariant[]>> {
  const out = new Map<string, CatalogVariant[]>();
  if (productSkus.length === 0) return out;
  const rows = await db
    .selectFrom("pricing_catalog_variants as v")
    .leftJoin("pricing_prices as p", "p.sku", "v.sku")
    .select(["v.product_sku", "v.sku", "v.name", "p.currency", "p.base_amount", "p.amount"])
    .where("v.product_sku", "in", productSkus)
    .orderBy("v.product_sku")
    .orderBy("v.position")
    .execute();
  for (const r of rows) {
    const list = out.get(r.product_sku) ?? [];
    list.push({
      sku: r.sku,
      name: r.name,
      ...(r.currency != null &&
        r.amount != null &&
        r.base_amount != null && {
          price: {
            currency: r.currency,
            base: r.base_amount,
            amount: r.amount,
            onSale: r.amount < r.base_amount,
          },
        }),
    });
    out.set(r.product_sku, list);
  }
  return out;
}

/**
 * Refuses variants that cannot be this product's: a variant SKU belongs to one product (one that
 * another product lists is 409 conflict), and never is the product's own SKU.
 */
export async function checkVariants(
  q: Kysely<Database>,
  productSku: string,
  variants: { sku: string }[],
): Promise<void> {
  if (variants.some((v) => v.sku === productSku))
    throw new SwitchboardError("bad_request", "a variant's SKU must differ from its product's");
  if (variants.length === 0) return;
  const taken = await q
    .selectFrom("pricing_catalog_variants")
    .select(["sku", "product_sku"])
    .where(
      "sku",
      "in",
      variants.map((v) => v.sku),
    )
    .where("product_sku", "!=", productSku)
    .executeTakeFirst();
  if (taken)
    throw new SwitchboardError(
      "conflict",
      `variant ${taken.sku} belongs to product ${taken.product_sku}`,
      { details: { sku: taken.sku, product: taken.product_sku } },
    );
}

/** Replaces a product's variants in one transaction (checked again inside it). */
export async function replaceVariants(
  db: Kysely<Database>,
  productSku: string,
  variants: { sku: string; name: string }[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await checkVariants(trx, productSku, variants);
    await trx
      .deleteFrom("pricing_catalog_variants")
      .where("product_sku", "=", productSku)
      .execute();
    if (variants.length > 0)
      await trx
        .insertInto("pricing_catalog_variants")
        .values(
          variants.map((v, i) => ({
            sku: v.sku,
            product_sku: productSku,
            name: v.name,
            position: i,
          })),
        )
        .execute();
  });
}
