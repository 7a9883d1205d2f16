import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { stockOf } from "./changes.js";

/** What another module (chat's item context and team routing) may know about an item. */
export interface InventoryItemSummary {
  sku: string;
  name?: string;
  /** The chat team that owns it. */
  teamId?: string;
  available: number;
  inStock: boolean;
  lowStock: boolean;
}

/** One item by key, or undefined (also when the inventory module's tables are not there). */
export async function findInventoryItem(
  db: Kysely<Database>,
  sku: string,
): Promise<InventoryItemSummary | undefined> {
  const row = await db
    .selectFrom("inventory_items")
    .selectAll()
    .where("sku", "=", sku)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    sku: row.sku,
    ...(row.name !== null && { name: row.name }),
    ...(row.team_id !== null && { teamId: row.team_id }),
    ...stockOf(row),
  };
}
