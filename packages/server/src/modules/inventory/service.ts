import type { InventoryDeps } from "./changes.js";
import { createItems } from "./items.js";
import { createReservations } from "./reservations.js";

/** History entries older than this are deleted by the retention job. */
export const HISTORY_RETENTION_DAYS = 90;
/** Ended reservations (committed, released, expired) are kept this long, then deleted. */
export const RESERVATION_RETENTION_DAYS = 30;

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/** Live inventory: items, reservations, history, watches. No HTTP, no sockets. */
export function createInventoryService(deps: InventoryDeps) {
  const items = createItems(deps);
  const reservations = createReservations(deps, items);
  return {
    items,
    reservations,

    /** Deletes history and ended reservations past retention (a background job). */
    async retention(): Promise<{ history: number; reservations: number }> {
      const h = await deps.db
        .deleteFrom("inventory_history")
        .where("at", "<", daysAgo(HISTORY_RETENTION_DAYS))
        .executeTakeFirst();
      const r = await deps.db
        .deleteFrom("inventory_reservations")
        .where("status", "!=", "active")
        .where("updated_at", "<", daysAgo(RESERVATION_RETENTION_DAYS))
        .executeTakeFirst();
      return { history: Number(h.numDeletedRows), reservations: Number(r.numDeletedRows) };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
