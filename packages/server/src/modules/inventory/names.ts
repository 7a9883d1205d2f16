/**
 * What a client of the inventory module needs at run time without zod: its error code and
 * channel names (`@switchboard/server/names/inventory`). The payload schemas are in contract.ts,
 * which re-exports all of this.
 */

/** Codes the inventory module answers with, beyond the transport's. */
export const inventoryErrors = {
  insufficient_stock: {
    status: 409,
    description:
      "Not enough available stock for the reservation; `available` (also `details.available`) says how much there is.",
  },
} as const;
export type InventoryErrorCodes = typeof inventoryErrors;

/** An item's product page: `stock` events and, by presence, how many people view it. */
export const productChannel = (sku: string) => `product:${sku}`;
/** Staff views of stock: `levels` for every change, and alerts. */
export const STAFF_INVENTORY_CHANNEL = "staff:inventory";
/** A user's own channel (core `user:`), where `back_in_stock` reaches a watcher. */
export const userChannel = (user: string) => `user:${user}`;

/**
 * Durable domain events the inventory module emits (payloads in contract.ts). Aggregate:
 * `product:{sku}` (one item's events arrive in order).
 */
export const INVENTORY_EVENTS = {
  /** Availability went from 0 to more than 0. */
  backInStock: "inventory.back_in_stock",
  /** Availability (or in-stock / low-stock) changed. */
  levelChanged: "inventory.level_changed",
  /** Units were reserved (one event per reservation). */
  reservationCreated: "inventory.reservation_created",
  /** A reservation became a sale (its units left the shelf). */
  reservationCommitted: "inventory.reservation_committed",
} as const;
