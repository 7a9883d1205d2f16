/**
 * The inventory module's wire contract: its error code, channels and every payload it publishes
 * or answers, for clients to import (`@switchboard/server/contracts/inventory`). Only zod and
 * the protocol here: it is bundled into browsers. Its zod-free part (error code, channel names)
 * is names.ts, re-exported here.
 */
import { errorBodySchema, pageSchema } from "@switchboard/protocol";
import { z } from "zod";

export * from "./names.js";

export const stockSchema = z.object({
  available: z.number().int().describe("onHand − reserved, never below 0"),
  inStock: z.boolean(),
  lowStock: z.boolean().describe("in stock, at or below lowStockThreshold"),
});
export type Stock = z.infer<typeof stockSchema>;

export const itemSchema = stockSchema
  .extend({
    sku: z.string().describe("The item key"),
    baseSku: z.string(),
    variant: z.string().optional(),
    location: z.string().optional(),
    name: z.string().optional(),
    teamId: z.string().optional().describe("The chat team that owns the item"),
    onHand: z.number().int(),
    reserved: z.number().int(),
    lowStockThreshold: z.number().int(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    viewers: z
      .number()
      .int()
      .optional()
      .describe("People viewing product:{sku} now (presence count; GET only)"),
  })
  .describe("InventoryItem");
export type Item = z.infer<typeof itemSchema>;

/** GET of one item: the unit counts only for staff and the API key (the catalog hides them too). */
export const itemViewSchema = itemSchema
  .extend({
    onHand: z.number().int().optional().describe("Staff and API key only"),
    reserved: z.number().int().optional().describe("Staff and API key only"),
    lowStockThreshold: z.number().int().optional().describe("Staff and API key only"),
  })
  .describe("InventoryItemView");
export type ItemView = z.infer<typeof itemViewSchema>;
export type PublicItem = Omit<Item, "onHand" | "reserved" | "lowStockThreshold">;

export const itemPageSchema = pageSchema(itemSchema);
export type ItemPage = z.infer<typeof itemPageSchema>;

export const historyEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.enum(["set", "adjustment", "reserve", "commit", "release", "expire"]),
  reason: z.string().optional(),
  deltaOnHand: z.number().int(),
  deltaReserved: z.number().int(),
  onHand: z.number().int(),
  reserved: z.number().int(),
  available: z.number().int(),
  reservationId: z.string().optional(),
  note: z.string().optional(),
  by: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const historyPageSchema = pageSchema(historyEntrySchema)
  .extend({ sku: z.string() })
  .describe("Newest first");
export type HistoryPage = z.infer<typeof historyPageSchema>;

export const reservationSchema = z
  .object({
    id: z.string(),
    sku: z.string(),
    quantity: z.number().int(),
    status: z.enum(["active", "committed", "released", "expired"]),
    customerId: z.string().optional(),
    expiresAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe("Reservation");
export type Reservation = z.infer<typeof reservationSchema>;

export const reservationPageSchema = pageSchema(reservationSchema).describe("Newest first");
export type ReservationPage = z.infer<typeof reservationPageSchema>;

export const watchSchema = stockSchema.extend({
  sku: z.string(),
  customerId: z.string(),
  watching: z.boolean(),
});
export type Watch = z.infer<typeof watchSchema>;

export const viewersSchema = z.object({
  sku: z.string(),
  channel: z.string(),
  viewers: z.number(),
});

export const catalogEntrySchema = z.object({
  sku: z.string(),
  name: z.string().optional(),
  ...stockSchema.shape,
});
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;
export const catalogPageSchema = pageSchema(catalogEntrySchema);
export type CatalogPage = z.infer<typeof catalogPageSchema>;

/** The 409 of a reservation: `available` also at the top level, where clients read it first. */
export const insufficientStockSchema = errorBodySchema.extend({
  available: z.number().int().optional().describe("insufficient_stock: units available now"),
});

/** Event `stock` on product:{sku}: availability moved (version drops a late event). */
export const stockEventSchema = stockSchema.extend({ sku: z.string(), version: z.number().int() });
export type StockEvent = z.infer<typeof stockEventSchema>;

/** Event `levels` on staff:inventory for every committed change; also the data of its alerts. */
export const levelsEventSchema = stockSchema.extend({
  sku: z.string(),
  name: z.string().optional(),
  onHand: z.number().int(),
  reserved: z.number().int(),
  lowStockThreshold: z.number().int(),
  version: z.number().int(),
  at: z.string(),
});
export type LevelsEvent = z.infer<typeof levelsEventSchema>;

/** Alerts on staff:inventory when a line is crossed: the event name is the alert. */
export const ALERTS = ["low_stock", "out_of_stock", "back_in_stock"] as const;
export type Alert = (typeof ALERTS)[number];

/** Event `back_in_stock` on user:{sub}, once per watch. */
export const backInStockEventSchema = z.object({
  sku: z.string(),
  name: z.string().optional(),
  available: z.number().int(),
});
export type BackInStockEvent = z.infer<typeof backInStockEventSchema>;

/** Every event the module publishes, by channel. */
export const inventoryEvents = {
  product: { stock: stockEventSchema },
  staffInventory: {
    levels: levelsEventSchema,
    low_stock: levelsEventSchema,
    out_of_stock: levelsEventSchema,
    back_in_stock: levelsEventSchema,
  },
  user: { back_in_stock: backInStockEventSchema },
} as const;

/** Durable event `inventory.back_in_stock`: availability went from 0 to more than 0. */
export const inventoryBackInStockSchema = z.object({
  sku: z.string(),
  name: z.string().optional(),
  available: z.number().int(),
  /** Users whose watch of the item this used up (they asked to be told). */
  watcherIds: z.array(z.string()),
  version: z.number().int(),
});
export type InventoryBackInStock = z.infer<typeof inventoryBackInStockSchema>;

/** Durable event `inventory.level_changed`: availability, in-stock or low-stock moved. */
export const inventoryLevelChangedSchema = z.object({
  sku: z.string(),
  name: z.string().optional(),
  available: z.number().int(),
  /** Availability before; absent for a new item. */
  previous: z.number().int().optional(),
  onHand: z.number().int(),
  reserved: z.number().int(),
  inStock: z.boolean(),
  lowStock: z.boolean(),
  version: z.number().int(),
});
export type InventoryLevelChanged = z.infer<typeof inventoryLevelChangedSchema>;

/**
 * Durable events `inventory.reservation_created` and `inventory.reservation_committed`: one
 * reservation made or sold. `itemId` is the SKU; `userId` the customer (absent for staff's own).
 */
export const inventoryReservationEventSchema = z.object({
  reservationId: z.string(),
  itemId: z.string(),
  quantity: z.number().int(),
  userId: z.string().optional(),
  at: z.string(),
});
export type InventoryReservationEvent = z.infer<typeof inventoryReservationEventSchema>;
