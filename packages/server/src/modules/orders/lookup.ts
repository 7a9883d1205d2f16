import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";

/** What another module (chat's item context and team routing) may know about an order. */
export interface OrderSummary {
  id: string;
  customerId: string;
  title?: string;
  status: string;
  progress: number;
  /** The order's free-form details (an item key under `sku`, a team under `teamId`…). */
  details: Record<string, unknown>;
}

export async function findOrder(
  db: Kysely<Database>,
  id: string,
): Promise<OrderSummary | undefined> {
  const row = await db.selectFrom("orders").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) return undefined;
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    // a row written by hand: no details
  }
  return {
    id: row.id,
    customerId: row.customer_id,
    ...(row.title !== null && { title: row.title }),
    status: row.status,
    progress: row.progress,
    details,
  };
}
