import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";
import {
  amountSchema,
  currencySchema,
  MAX_AMOUNT,
  percentSchema,
  ruleInputSchema,
  skuSchema,
} from "./contract.js";

/** Inputs of the pricing routes and rpc methods (REST validation and OpenAPI come from these). */

const expectedVersion = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe("Refuse (409 conflict) unless the entry is still at this version (0: must not exist)");

export const setPriceBody = z
  .object({
    amount: amountSchema.describe("The list (base) price in minor units"),
    currency: currencySchema,
    floor: amountSchema.nullable().optional().describe("Never below this; null clears it"),
    ceiling: amountSchema.nullable().optional().describe("Never above this; null clears it"),
    maxStepPercent: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .nullable()
      .optional()
      .describe("Most one automatic change moves the live price; null: the configured default"),
    expectedVersion,
  })
  .strict()
  .refine((b) => b.floor == null || b.ceiling == null || b.floor <= b.ceiling, {
    message: "floor is above ceiling",
    path: ["floor"],
  });
export type SetPriceInput = z.infer<typeof setPriceBody>;

export const skuParams = z.object({ sku: skuSchema });
export const idParams = z.object({ id: z.string().min(1).max(64) });

export const listPricesQuery = z.object({
  skus: z
    .string()
    .max(4000)
    .optional()
    .transform((v) => (v ? v.split(",").filter(Boolean) : undefined))
    .pipe(z.array(skuSchema).max(200).optional())
    .describe("Comma-separated SKUs (at most 200)"),
  ...pageQuery({ defaultLimit: 100, maxLimit: 500 }),
});
export type ListPricesQuery = z.infer<typeof listPricesQuery>;

/** An appointment service's id (appointments' slug): its price entry is `service:{id}`. */
export const serviceSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be an appointment service id (a lower-case slug)");
/** The price entry of an appointment service (priced, ruled and quoted like any item). */
export const serviceSku = (service: string) => `service:${service}`;

export const quoteBody = z
  .object({
    sku: skuSchema.optional(),
    service: serviceSchema
      .optional()
      .describe("An appointment service instead of an item: its price entry `service:{id}`"),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("A forecast for this instant (time windows); absent: the live price now"),
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, "must be a promotion code")
      .optional(),
  })
  .strict()
  .refine((b) => (b.sku === undefined) !== (b.service === undefined), {
    message: "give exactly one of `sku` and `service`",
  });
export interface QuoteInput {
  sku: string;
  at?: string | undefined;
  code?: string | undefined;
}

export const recommendationsQuery = z.object({
  service: serviceSchema,
  days: z.coerce.number().int().min(1).max(14).default(7),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});
export type RecommendationsQuery = z.infer<typeof recommendationsQuery>;

export const createRuleBody = ruleInputSchema;
export type CreateRuleInput = z.infer<typeof createRuleBody>;
export const updateRuleBody = z.object({
  rule: ruleInputSchema,
  expectedVersion: z.number().int().min(1),
});
export type UpdateRuleInput = z.infer<typeof updateRuleBody>;

/** A draft rule quoted on one item without being saved (the rule editor's preview). */
export const previewRuleBody = z
  .object({
    rule: ruleInputSchema,
    replaces: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("The saved rule the draft edits: left out of the quote with the draft"),
    sku: skuSchema.optional(),
    service: serviceSchema.optional().describe("An appointment service instead of an item"),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("The instant to quote (time windows); absent: now"),
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, "must be a promotion code")
      .optional(),
  })
  .strict()
  .refine((b) => (b.sku === undefined) !== (b.service === undefined), {
    message: "give exactly one of `sku` and `service`",
  });
export type PreviewRuleInput = z.infer<typeof previewRuleBody>;

export const setSignalBody = z
  .object({
    value: z.number().int().min(-1_000_000_000).max(1_000_000_000),
    sku: skuSchema.optional().describe("This item's own value; absent: the global value"),
  })
  .strict();
export const signalParams = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a lower-case signal name"),
});

export const historyQuery = z.object({ ...pageQuery({ defaultLimit: 100, maxLimit: 500 }) });
export type HistoryQuery = z.infer<typeof historyQuery>;

export const createWatchBody = z
  .object({
    sku: skuSchema,
    below: amountSchema.optional().describe("Alert when the price goes below this amount"),
    dropPercent: z
      .number()
      .int()
      .min(1)
      .max(99)
      .optional()
      .describe("Alert when the price drops this many percent below the price when watching"),
  })
  .strict()
  .refine((b) => (b.below === undefined) !== (b.dropPercent === undefined), {
    message: "give exactly one of `below` and `dropPercent`",
  });
export type CreateWatchInput = z.infer<typeof createWatchBody>;

export const createLockBody = z
  .object({
    sku: skuSchema,
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, "must be a promotion code")
      .optional(),
  })
  .strict();
export type CreateLockInput = z.infer<typeof createLockBody>;

const lineBody = z
  .object({
    kind: z.enum(["labour", "parts", "fee", "discount"]),
    description: z.string().min(1).max(200),
    sku: skuSchema.optional().describe("Parts: the item; without unitAmount its live price"),
    lockId: z.string().max(64).optional().describe("Parts: a price lock's captured amount"),
    quantity: z.number().int().min(1).max(10_000).default(1),
    unitAmount: amountSchema.optional().describe("Minor units; a discount's is taken off"),
  })
  .strict()
  .refine((l) => l.unitAmount !== undefined || l.sku !== undefined || l.lockId !== undefined, {
    message: "give unitAmount, or a sku / lockId to price the line from",
  });

export const createOrderQuoteBody = z
  .object({
    orderId: z.string().min(1).max(64),
    currency: currencySchema,
    lines: z.array(lineBody).min(1).max(100),
    taxPercent: percentSchema
      .refine((p) => p >= 0 && p <= 100, "must be between 0 and 100")
      .optional(),
    validUntil: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type CreateOrderQuoteInput = z.infer<typeof createOrderQuoteBody>;

export const orderQuotesQuery = z.object({ orderId: z.string().min(1).max(64) });

export const decideQuoteBody = z
  .object({
    decision: z.enum(["approve", "decline"]),
    version: z.number().int().min(1).describe("The version of the quote the customer saw"),
    total: z
      .number()
      .int()
      .min(0)
      .max(MAX_AMOUNT * 100)
      .describe("The total the customer saw: refused (409 quote_changed) unless it is the quote's"),
  })
  .strict();
export type DecideQuoteInput = z.infer<typeof decideQuoteBody>;

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // control characters (other than tab and newlines) have no place in a shop's text
    .refine(
      (s) => ![...s].some((c) => c < " " && c !== "\t" && c !== "\n" && c !== "\r"),
      "must not contain control characters",
    );

export const putProductBody = z
  .object({
    name: text(200),
    description: text(5000).nullable().optional(),
    category: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9 _-]{0,59}$/,
        "must be a lower-case category (a–z, 0–9, space, _ or -)",
      )
      .nullable()
      .optional(),
    teamId: z.string().min(1).max(64).nullable().optional().describe("The owning team"),
    stockSku: skuSchema.nullable().optional().describe("Inventory's item for stock; null: own SKU"),
    price: z
      .object({ amount: amountSchema, currency: currencySchema })
      .strict()
      .optional()
      .describe("The list price (sets the price entry, as PUT /api/pricing/prices/{sku})"),
    variants: z
      .array(
        z
          .object({
            sku: skuSchema.describe("Inventory's SKU of the variant (its stock and price entry)"),
            name: text(100),
            price: z
              .object({ amount: amountSchema, currency: currencySchema })
              .strict()
              .optional()
              .describe("The variant's list price (its own price entry)"),
          })
          .strict(),
      )
      .max(50)
      .refine((vs) => new Set(vs.map((v) => v.sku)).size === vs.length, "variant SKUs must differ")
      .optional()
      .describe("Replaces the product's variants (absent: kept; []: none)"),
    expectedVersion,
  })
  .strict();
export type PutProductInput = z.infer<typeof putProductBody>;

export const listProductsQuery = z.object({
  q: z.string().trim().max(100).optional().describe("Words in the name, description or SKU"),
  category: z.string().max(60).optional(),
  sort: z
    .enum(["name", "-name", "price", "-price"])
    .default("name")
    .describe("By name or live price; `-` for descending"),
  // the kit's page fields; the cursor carries the sort position (a name can be long)
  ...pageQuery({ cursorMax: 800 }),
});
export type ListProductsQuery = z.infer<typeof listProductsQuery>;
