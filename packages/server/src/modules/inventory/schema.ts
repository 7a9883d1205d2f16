import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";

/**
 * Item keys. A SKU may be narrowed to a variant and/or a location; the key joins them with `:`
 * and `@` (`TEE-01`, `TEE-01:red-L`, `TEE-01@berlin`, `TEE-01:red-L@berlin`). Parts use only
 * characters valid in URLs and channel names, so the key is also the `{sku}` path segment and
 * the suffix of the item's `product:{sku}` channel, with no escaping anywhere.
 */
const PART = "[A-Za-z0-9_.-]{1,64}";
export const ITEM_KEY = new RegExp(`^(${PART})(?::(${PART}))?(?:@(${PART}))?$`);

export interface ItemKeyParts {
  baseSku: string;
  variant: string | null;
  location: string | null;
}

export function parseItemKey(key: string): ItemKeyParts | null {
  const m = ITEM_KEY.exec(key);
  if (!m?.[1]) return null;
  return { baseSku: m[1], variant: m[2] ?? null, location: m[3] ?? null };
}

/** Levels stay within PostgreSQL's `integer` with room for sums: a billion units per item. */
export const MAX_UNITS = 1_000_000_000;
export const DEFAULT_TTL_SECONDS = 900;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

const itemKey = z
  .string()
  .max(194)
  .regex(ITEM_KEY, "must be SKU, SKU:variant, SKU@location or SKU:variant@location")
  .describe(
    "Item key: `SKU`, `SKU:variant`, `SKU@location` or `SKU:variant@location`; parts are 1–64 of A–Z a–z 0–9 _ . -",
  );
const units = z.number().int().min(0).max(MAX_UNITS);
const customerId = z.string().min(1).max(255);

export const itemParams = z.object({ sku: itemKey });

export const putItemBody = z.object({
  onHand: units.describe("Units physically in stock"),
  lowStockThreshold: units
    .optional()
    .describe(
      `Low-stock alert at or below this many available units (default ${DEFAULT_LOW_STOCK_THRESHOLD} for a new item)`,
    ),
  name: z.string().min(1).max(200).optional(),
  teamId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "lower-case letters, digits, _ or - (at most 40)")
    .nullable()
    .optional()
    .describe("The chat team that owns the item (conversations about it go there); null clears it"),
});
export type PutItemInput = z.infer<typeof putItemBody>;

export const ADJUSTMENT_REASONS = ["sale", "restock", "adjustment", "return", "damage"] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];

export const adjustmentBody = z.object({
  delta: z
    .number()
    .int()
    .min(-MAX_UNITS)
    .max(MAX_UNITS)
    .refine((d) => d !== 0, "must not be 0")
    .describe("Change of onHand (negative removes units)"),
  reason: z.enum(ADJUSTMENT_REASONS),
  note: z.string().max(500).optional(),
});
export type AdjustmentInput = z.infer<typeof adjustmentBody>;

export const listItemsQuery = z.object({
  baseSku: z.string().max(64).optional().describe("Only this SKU's variants and locations"),
  location: z.string().max(64).optional(),
  lowStock: z
    .enum(["true", "false"])
    .optional()
    .describe("true: only items out of stock or at/below their threshold"),
  ...pageQuery({ cursorMax: 200 }),
});
export type ListItemsQuery = z.infer<typeof listItemsQuery>;

export const historyQuery = z.object(pageQuery({ defaultLimit: 100, maxLimit: 500 }));
export type HistoryQuery = z.infer<typeof historyQuery>;

export const reserveBody = z.object({
  sku: itemKey,
  quantity: z.number().int().min(1).max(MAX_UNITS),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_TTL_SECONDS)
    .optional()
    .describe(`Seconds until the reservation expires (default ${DEFAULT_TTL_SECONDS})`),
  customerId: customerId
    .optional()
    .describe("Staff and API key only; a customer always reserves for themself"),
});
export type ReserveInput = z.infer<typeof reserveBody>;

export const reservationParams = z.object({ id: z.string().min(1).max(64) });

export const listReservationsQuery = z.object({
  sku: itemKey.optional().describe("Only reservations of this item"),
  customerId: customerId
    .optional()
    .describe("Staff and API key only; a customer always lists their own"),
  status: z.enum(["active", "committed", "released", "expired"]).optional(),
  ...pageQuery(),
});
export type ListReservationsQuery = z.infer<typeof listReservationsQuery>;

export const watchFields = z.object({
  customerId: customerId
    .optional()
    .describe("Staff and API key only; a customer always watches for themself"),
});
// A watch needs no body at all: an absent body (null to Fastify) is the same as {}.
export const watchBody = z.preprocess((v) => v ?? undefined, watchFields.optional());
export type WatchInput = z.infer<typeof watchBody>;
