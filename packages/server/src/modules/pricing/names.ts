/**
 * What a client of the pricing module needs at run time without zod: its error codes and channel
 * names (`@switchboard/server/names/pricing`). The payload schemas are in contract.ts, which
 * re-exports all of this.
 */

/** Codes the pricing module answers with, beyond the transport's (`conflict`, `not_found`…). */
export const pricingErrors = {
  currency_mismatch: {
    status: 400,
    description:
      "Amounts in different currencies were combined (a quote line, an amount rule, a watch target); `details` names both.",
  },
  amount_out_of_range: {
    status: 400,
    description:
      "A computed amount (a quote total, a price after rules) left the range the store keeps (0 to 1,000,000,000 minor units).",
  },
  price_lock_expired: {
    status: 409,
    description:
      "The price lock's time ran out before it was used: ask for a new lock (the price may have changed).",
  },
  price_lock_used: {
    status: 409,
    description: "The price lock was already used once (a lock captures one purchase).",
  },
  promo_exhausted: {
    status: 409,
    description:
      "The promotion code reached its usage limit (`maxUses`) before this use: the price without it still holds.",
  },
  quote_expired: {
    status: 409,
    description: "The order quote is past its `validUntil`: staff must send a new one.",
  },
  quote_changed: {
    status: 409,
    description:
      "The order quote is not the one approved: its version or total differs (it was replaced or decided); `details` has the current one.",
  },
} as const;
export type PricingErrorCodes = typeof pricingErrors;

/** An item's product page (inventory's namespace): pricing publishes `price` there. */
export const productChannel = (sku: string) => `product:${sku}`;
/** Staff views of prices: `price` for every published change. */
export const STAFF_PRICING_CHANNEL = "staff:pricing";
/** A user's own channel (core `user:`), where `price_alert` reaches a watcher. */
export const userChannel = (user: string) => `user:${user}`;
/** An order's tracker (orders' namespace): pricing publishes `quote` there. */
export const orderChannel = (orderId: string) => `order:${orderId}`;

/** Domain event types the module emits (payload types in contract.ts). */
export const PRICE_CHANGED = "pricing.price_changed";
export const WATCH_TRIGGERED = "pricing.watch_triggered";
/** The cross-module names (notes/CONTRACTS.md): a price write, an approved order quote. */
export const PRICE_CHANGED_EVENT = "price.changed";
export const QUOTE_APPROVED_EVENT = "quote.approved";

/** The signal rules read for "bookings in the next hours" (counted from appointments). */
export const BOOKINGS_SIGNAL = "bookings_next_hours";

/**
 * The name one service's or resource's bookings count is kept under (a global signal of its own:
 * `bookings_next_hours@service:cut`). Reported names cannot contain `@`, so only the count
 * pricing reads from appointments writes it.
 */
export function scopedSignalName(
  name: string,
  scope: { service?: string | undefined; resource?: string | undefined },
): string {
  if (scope.service !== undefined) return `${name}@service:${scope.service}`;
  if (scope.resource !== undefined) return `${name}@resource:${scope.resource}`;
  return name;
}
