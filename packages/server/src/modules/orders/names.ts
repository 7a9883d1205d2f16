/**
 * What a client of the orders module needs at run time without zod: error codes and channel
 * names (`@switchboard/server/names/orders`). The payload schemas are in contract.ts, which
 * re-exports all of this.
 */

/** Codes the orders module answers with, beyond the transport's. */
export const orderErrors = {
  invalid_transition: {
    status: 409,
    description:
      "The lifecycle has no such transition from the current status; `details.allowed` lists the ones this caller may take.",
  },
} as const;
export type OrderErrorCodes = typeof orderErrors;

/** One order's tracker: its customer and staff read it; only the server writes. */
export const orderChannel = (id: string) => `order:${id}`;
/** The staff board: every order's changes. */
export const STAFF_ORDERS_CHANNEL = "staff:orders";
/** A customer's own channel (core `user:`), where "my orders" hears of each order of theirs. */
export const customerChannel = (customerId: string) => `user:${customerId}`;

/**
 * Durable domain events the orders module emits (payloads in contract.ts); another module
 * handles them with `ctx.events.on(ORDER_EVENTS.statusChanged, "<module>.<what>", fn)`.
 * Aggregate: `order:{id}` (one order's events arrive in order).
 */
export const ORDER_EVENTS = {
  created: "order.created",
  statusChanged: "order.status_changed",
  /** The order sat in one non-terminal status for SWITCHBOARD_ORDERS_STALLED_AFTER_MS (a task). */
  stalled: "order.stalled",
} as const;
