import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";

/** An item's live price for another module (chat's item context), or undefined. */
export async function findLivePrice(
  db: Kysely<Database>,
  sku: string,
): Promise<{ amountMinor: number; currency: string } | undefined> {
  const row = await db
    .selectFrom("pricing_prices")
    .select(["amount", "currency"])
    .where("sku", "=", sku)
    .executeTakeFirst();
  return row && { amountMinor: row.amount, currency: row.currency };
}
