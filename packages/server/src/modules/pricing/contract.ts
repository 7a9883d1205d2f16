/**
 * The pricing module's wire contract: its error codes, channels and every payload it publishes or
 * answers, for clients to import (`@switchboard/server/contracts/pricing`). Only zod and the
 * protocol here: it is bundled into browsers. Its zod-free part is names.ts, re-exported here.
 *
 * Money is always an integer amount of the currency's minor units (cents, öre; yen have none)
 * with its ISO 4217 code: never a float.
 */
import { pageSchema } from "@switchboard/protocol";
import { z } from "zod";
import { BOOKINGS_SIGNAL } from "./names.js";

export * from "./names.js";

/** Amounts the store keeps: PostgreSQL `integer` with room (ten million in a 2-decimal currency). */
export const MAX_AMOUNT = 1_000_000_000;

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR")
  .refine((c) => KNOWN_CURRENCIES.has(c), "is not an ISO 4217 currency this server knows")
  .describe("ISO 4217 currency code");

export const amountSchema = z
  .number()
  .int("must be an integer number of minor units (cents), not a decimal")
  .min(0)
  .max(MAX_AMOUNT)
  .describe("Integer minor units of the currency (1999 = 19.99 EUR; 1999 = ¥1999)");

export const moneySchema = z.object({ amount: amountSchema, currency: currencySchema });
export type Money = z.infer<typeof moneySchema>;

/** SKU keys: inventory's item keys (`SKU`, `SKU:variant`, `SKU@location`, `SKU:variant@location`). */
const PART = "[A-Za-z0-9_.-]{1,64}";
export const SKU_PATTERN = new RegExp(`^${PART}(?::${PART})?(?:@${PART})?$`);
export const skuSchema = z
  .string()
  .max(194)
  .regex(SKU_PATTERN, "must be SKU, SKU:variant, SKU@location or SKU:variant@location")
  .describe("Item key, as inventory's (also the suffix of product:{sku})");

/** A percentage with at most two decimals (kept as basis points: no float reaches an amount). */
export const percentSchema = z
  .number()
  .min(-100)
  .max(1000)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, "at most two decimals")
  .describe("Percent, at most two decimals (20 = +20 %, -12.5 = −12.5 %)");

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "must be HH:MM (00:00–24:00)");
const localDate = z.iso.date().describe("Local date YYYY-MM-DD in the business's time zone");
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const signalName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a lower-case signal name (a–z, 0–9, _)");

/** Appointments' service and resource ids (their slugs). */
const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be an appointment service or resource id (a slug)");

/** A condition of a rule: every condition of a rule must hold for it to apply. */
export const conditionSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("time"),
      days: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional().describe("Default: every day"),
      from: hhmm,
      to: hhmm.describe("Exclusive; before `from` means the window runs past midnight"),
    })
    .describe("Local time of day (the business's time zone), on some weekdays"),
  z
    .object({ kind: z.literal("dates"), from: localDate, to: localDate.describe("Inclusive") })
    .describe("A range of local dates"),
  z
    .object({
      kind: z.literal("stock"),
      below: z.number().int().min(0).optional(),
      atLeast: z.number().int().min(0).optional(),
    })
    .describe("The item's available stock (inventory's live level)"),
  z
    .object({
      kind: z.literal("signal"),
      name: signalName,
      below: z.number().int().optional(),
      atLeast: z.number().int().optional(),
      service: slug
        .optional()
        .describe("`bookings_next_hours` only: count the bookings of this appointment service"),
      resource: slug
        .optional()
        .describe("`bookings_next_hours` only: count the bookings of this appointment resource"),
    })
    .describe(
      "A live signal (demand, queue, staff_online…): the item's own value if set, else the global one; `bookings_next_hours` of one service or resource with `service` / `resource`",
    ),
  z
    .object({ kind: z.literal("code"), code: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/) })
    .describe("A promotion code the shopper gives (case-insensitive)"),
]);
export type Condition = z.infer<typeof conditionSchema>;

export const adjustmentSchema = z.union([
  z.object({ percent: percentSchema }).strict(),
  z
    .object({
      amount: z.number().int().min(-MAX_AMOUNT).max(MAX_AMOUNT),
      currency: currencySchema,
    })
    .strict()
    .describe("A fixed amount in minor units (applies only to prices in that currency)"),
]);
export type Adjustment = z.infer<typeof adjustmentSchema>;

/** A dynamic-pricing rule as data. */
export const ruleInputSchema = z
  .object({
    name: z.string().min(1).max(100),
    enabled: z.boolean().default(true),
    skus: z
      .array(skuSchema)
      .min(1)
      .max(500)
      .optional()
      .describe("Only these items (more specific than a rule for every item)"),
    when: z.array(conditionSchema).max(10).default([]),
    adjust: adjustmentSchema,
    priority: z.number().int().min(-1000).max(1000).default(0),
    stackable: z
      .boolean()
      .default(true)
      .describe(
        "Stackable rules add up; when an exclusive one applies, the most specific, then highest priority, then lowest price wins alone",
      ),
    maxUses: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .describe(
        "A promotion (a rule with a `code` condition) redeemed at most this many times: each price lock taken with the code uses one; the one after the last is refused with `promo_exhausted`",
      ),
  })
  .superRefine((rule, ctx) => {
    if (rule.maxUses !== undefined && !rule.when.some((c) => c.kind === "code"))
      ctx.addIssue({
        code: "custom",
        path: ["maxUses"],
        message: "only a promotion (a rule with a `code` condition) has a usage limit",
      });
    for (const [i, c] of rule.when.entries()) {
      if (
        (c.kind === "stock" || c.kind === "signal") &&
        c.below === undefined &&
        c.atLeast === undefined
      )
        ctx.addIssue({
          code: "custom",
          path: ["when", i],
          message: "give `below`, `atLeast` or both",
        });
      if (c.kind === "signal" && (c.service !== undefined || c.resource !== undefined)) {
        if (c.name !== BOOKINGS_SIGNAL)
          ctx.addIssue({
            code: "custom",
            path: ["when", i],
            message: `only ${BOOKINGS_SIGNAL} counts one service's or resource's bookings`,
          });
        if (c.service !== undefined && c.resource !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["when", i],
            message: "give `service` or `resource`, not both",
          });
      }
      if (c.kind === "dates" && c.from > c.to)
        ctx.addIssue({ code: "custom", path: ["when", i], message: "`from` is after `to`" });
      if (c.kind === "time" && c.from === c.to)
        ctx.addIssue({
          code: "custom",
          path: ["when", i],
          message: "an empty window (`from` = `to`)",
        });
    }
  });
export type RuleInput = z.input<typeof ruleInputSchema>;

export const ruleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    skus: z.array(z.string()).optional(),
    when: z.array(conditionSchema),
    adjust: adjustmentSchema,
    priority: z.number().int(),
    stackable: z.boolean(),
    maxUses: z.number().int().optional(),
    uses: z
      .number()
      .int()
      .describe("Times a promotion was redeemed (price locks taken with its code)"),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe("PricingRule");
export type Rule = z.infer<typeof ruleSchema>;

/** One line of an explanation: what moved the price, by how much, and why. */
export const factorSchema = z.object({
  rule: z.string().describe("The rule's id, or `floor`, `ceiling`, `max_change`"),
  name: z.string(),
  effect: z.number().int().describe("Minor units added (negative: taken off)"),
  reason: z.string(),
});
export type Factor = z.infer<typeof factorSchema>;

/** A price list entry with its live (published) price. */
export const priceSchema = z
  .object({
    sku: z.string(),
    currency: z.string(),
    base: z.number().int().describe("The list price staff set"),
    amount: z.number().int().describe("The live price now, after rules and bounds"),
    factors: z.array(factorSchema),
    floor: z.number().int().optional(),
    ceiling: z.number().int().optional(),
    maxStepPercent: z.number().optional().describe("Most an automatic change moves the price"),
    version: z.number().int().describe("Of the list entry: staff edits give it as expectedVersion"),
    seq: z.number().int().describe("+1 on every published price: orders the `price` events"),
    updatedAt: z.string(),
    changedAt: z.string().describe("When the live price last moved"),
  })
  .describe("Price");
export type Price = z.infer<typeof priceSchema>;
export const pricePageSchema = pageSchema(priceSchema);
export type PricePage = z.infer<typeof pricePageSchema>;

/** The answer of POST /api/pricing/quote: a price with every factor explained. */
export const quoteResultSchema = z
  .object({
    sku: z.string(),
    at: z.string(),
    currency: z.string(),
    base: z.number().int(),
    final: z.number().int(),
    factors: z.array(factorSchema),
    live: z.boolean().describe("true: the published price now; false: a forecast for `at`"),
  })
  .describe("PriceQuote");
export type QuoteResult = z.infer<typeof quoteResultSchema>;

/** A draft rule tried on one item without saving it: the forecast without and with it. */
export const rulePreviewSchema = z
  .object({
    draftRule: z
      .string()
      .describe(
        "The id the draft's factor carries (`draft`); a replaced rule's own factor is gone",
      ),
    without: quoteResultSchema.describe(
      "The forecast from the saved rules (the replaced one included)",
    ),
    with: quoteResultSchema.describe("The forecast with the draft in place (of the replaced rule)"),
  })
  .describe("PricingRulePreview");
export type RulePreview = z.infer<typeof rulePreviewSchema>;

export const historyEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  amount: z.number().int(),
  base: z.number().int(),
  currency: z.string(),
  cause: z.enum(["list", "rules", "signal", "schedule"]),
  factors: z.array(factorSchema),
  by: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export const historyPageSchema = pageSchema(historyEntrySchema)
  .extend({
    sku: z.string(),
    trend: z.object({
      currency: z.string(),
      current: z.number().int(),
      lowest30Days: z.number().int(),
      highest30Days: z.number().int(),
      average30Days: z
        .number()
        .int()
        .describe("Time-weighted mean of the live price over 30 days, rounded to a minor unit"),
      average7Days: z
        .number()
        .int()
        .describe("The same over the last 7 days (the short moving average)"),
    }),
  })
  .describe("Newest first, with the 30-day trend");
export type HistoryPage = z.infer<typeof historyPageSchema>;

export const watchSchema = z
  .object({
    id: z.string(),
    sku: z.string(),
    below: z.number().int().optional(),
    dropPercent: z.number().optional(),
    reference: z.number().int().describe("The price when the watch was made (dropPercent's base)"),
    currency: z.string(),
    armed: z.boolean().describe("false after an alert, until the price crosses back"),
    createdAt: z.string(),
    lastAlertAt: z.string().optional(),
  })
  .describe("PriceWatch");
export type Watch = z.infer<typeof watchSchema>;

export const lockSchema = z
  .object({
    id: z.string(),
    sku: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    factors: z.array(factorSchema),
    status: z.enum(["active", "used", "expired"]),
    expiresAt: z.string(),
    createdAt: z.string(),
    usedAt: z.string().optional(),
  })
  .describe("PriceLock");
export type Lock = z.infer<typeof lockSchema>;

export const quoteLineSchema = z.object({
  kind: z.enum(["labour", "parts", "fee", "discount"]),
  description: z.string(),
  sku: z.string().optional(),
  quantity: z.number().int(),
  unitAmount: z.number().int(),
  amount: z.number().int().describe("quantity × unitAmount (negative for a discount)"),
});
export type QuoteLine = z.infer<typeof quoteLineSchema>;

export const orderQuoteSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    status: z.enum(["proposed", "approved", "declined", "superseded"]),
    currency: z.string(),
    lines: z.array(quoteLineSchema),
    subtotal: z.number().int(),
    taxPercent: z.number(),
    tax: z.number().int(),
    total: z.number().int(),
    validUntil: z.string(),
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    decidedAt: z.string().optional(),
    decidedBy: z.string().optional(),
  })
  .describe("OrderQuote");
export type OrderQuote = z.infer<typeof orderQuoteSchema>;

export const signalSchema = z.object({
  name: z.string(),
  sku: z.string().optional(),
  value: z.number().int(),
  updatedAt: z.string(),
});
export type Signal = z.infer<typeof signalSchema>;

/** Event `price` on product:{sku} and staff:pricing: the live price moved (seq drops a late one). */
export const priceEventSchema = z.object({
  sku: z.string(),
  amount: z.number().int(),
  previous: z.number().int().optional(),
  base: z.number().int(),
  currency: z.string(),
  factors: z.array(factorSchema),
  seq: z.number().int(),
  at: z.string(),
});
export type PriceEvent = z.infer<typeof priceEventSchema>;

/** Event `price_alert` on user:{sub}: a watched price crossed the watcher's line. */
export const priceAlertEventSchema = z.object({
  watchId: z.string(),
  sku: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  below: z.number().int().optional(),
  dropPercent: z.number().optional(),
  reference: z.number().int(),
});
export type PriceAlertEvent = z.infer<typeof priceAlertEventSchema>;

/** Event `quote` on order:{id}: an order quote was sent or decided. */
export const orderQuoteEventSchema = orderQuoteSchema;

/** Domain event `pricing.price_changed` (durable events; notifications listen). */
export interface PriceChanged {
  sku: string;
  oldAmount: number | null;
  newAmount: number;
  currency: string;
  reason: HistoryEntry["cause"];
}
/** Domain event `pricing.watch_triggered`: one per crossing, for the watch's own user only. */
export interface WatchTriggered {
  userId: string;
  sku: string;
  amount: number;
  currency: string;
  /** The amount for people: "440.00 EUR" (minor units → the currency's decimals). */
  amountText: string;
  watchId: string;
}

/**
 * Durable domain event `price.changed` (the cross-module contract; notifications turn a drop into
 * an alert): written in the transaction of the price write, aggregate `price:{sku}`.
 */
export const priceChangedEventSchema = z.object({
  productId: z.string().describe("The product's id: its SKU"),
  amountMinor: z.number().int().describe("The live price now"),
  currency: z.string(),
  previousMinor: z.number().int().nullable().describe("The live price before; null: a new price"),
  baseMinor: z.number().int().describe("The list price"),
  reason: z.enum(["list", "rules", "signal", "schedule"]),
  at: z.string(),
});
export type PriceChangedEvent = z.infer<typeof priceChangedEventSchema>;

/**
 * Durable domain event `quote.approved`: the order's customer approved this exact quote, written
 * in the transaction that approved it (and moved the order), aggregate `order:{orderId}`.
 */
export const quoteApprovedEventSchema = z.object({
  orderId: z.string(),
  quoteId: z.string(),
  amountMinor: z.number().int().describe("The quote's total (tax included)"),
  currency: z.string(),
  userId: z.string().describe("Who approved it (the order's customer)"),
  at: z.string(),
});
export type QuoteApprovedEvent = z.infer<typeof quoteApprovedEventSchema>;

/** Every event the module publishes, by channel. */
export const pricingEvents = {
  product: { price: priceEventSchema },
  staffPricing: { price: priceEventSchema },
  user: { price_alert: priceAlertEventSchema },
  order: { quote: orderQuoteEventSchema },
} as const;

/** A product image: the resized files' URLs (WebP). */
export const productImageSchema = z
  .object({
    id: z.string(),
    url: z.string().describe("Fits 1200 × 1200"),
    thumbUrl: z.string().describe("Fits 400 × 400"),
    width: z.number().int(),
    height: z.number().int(),
  })
  .describe("ProductImage");
export type ProductImage = z.infer<typeof productImageSchema>;

/** A product of the catalog: what the shop lists, with its live price (if it has one). */
const catalogPriceSchema = z.object({
  currency: z.string(),
  base: z.number().int().describe("The list price"),
  amount: z.number().int().describe("The live price now"),
  onSale: z.boolean().describe("The live price is below the list price (show it struck through)"),
});

export const catalogProductSchema = z
  .object({
    id: z
      .string()
      .describe("The product's id: its SKU (the key of its price and of product:{sku})"),
    sku: z.string(),
    name: z.string(),
    description: z.string().optional(),
    category: z.string().optional(),
    teamId: z.string().optional().describe("The team that owns the product"),
    stockSku: z
      .string()
      .describe("Inventory's item holding its stock (a variant's SKU; by default its own)"),
    images: z.array(productImageSchema).describe("Oldest first"),
    price: catalogPriceSchema.optional().describe("Absent: the product has no price yet"),
    variants: z
      .array(
        z.object({
          sku: z
            .string()
            .describe("The variant's inventory SKU: its stock, price entry and product:{sku}"),
          name: z.string(),
          price: catalogPriceSchema.optional().describe("Absent: the variant has no price yet"),
        }),
      )
      .describe("In the order staff gave; empty: the product has none"),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe("CatalogProduct");
export type CatalogProduct = z.infer<typeof catalogProductSchema>;
export const catalogPageSchema = pageSchema(catalogProductSchema).extend({
  categories: z.array(z.string()).describe("Every category in the catalog (for a filter)"),
});
export type CatalogPage = z.infer<typeof catalogPageSchema>;

/** The answer of GET /api/pricing/recommendations: the cheapest upcoming slots of a service. */
export const recommendationsSchema = z
  .object({
    service: z.string(),
    currency: z.string(),
    base: z.number().int().describe("The service's list price"),
    slots: z.array(
      z.object({
        start: z.string(),
        end: z.string(),
        resourceId: z.string(),
        final: z.number().int().describe("The forecast price at the slot's start"),
        factors: z.array(factorSchema),
      }),
    ),
  })
  .describe("CheapestSlots");
export type Recommendations = z.infer<typeof recommendationsSchema>;
