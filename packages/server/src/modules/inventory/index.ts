import { isStaff } from "../../auth/identity.js";
import type { ChannelAction } from "../../gateway/namespaces.js";
import type { SwitchboardModule } from "../types.js";
import { type InventorySettings, inventoryConfig } from "./config.js";
import { type InventoryErrorCodes, inventoryErrors } from "./contract.js";
import { addInventoryJobs } from "./expiry.js";
import { inventoryMigrations } from "./migrations.js";
import { registerReservationRoutes } from "./reservation-routes.js";
import { registerItemRoutes } from "./routes.js";
import { registerInventoryRpc } from "./rpc.js";
import { createInventoryService } from "./service.js";

export type { BackInStock, StockChanged } from "./changes.js";
export {
  type Alert,
  type HistoryEntry,
  INVENTORY_EVENTS,
  type InventoryBackInStock,
  type InventoryLevelChanged,
  type Item,
  productChannel,
  type Reservation,
  STAFF_INVENTORY_CHANNEL,
  type Stock,
} from "./contract.js";
export { EXPIRY_JOB, RETENTION_JOB } from "./expiry.js";
export { findInventoryItem, type InventoryItemSummary } from "./lookup.js";

declare module "../../errors.js" {
  interface ModuleErrorCodes extends InventoryErrorCodes {}
}

const readOnly = new Set<ChannelAction>(["subscribe", "presence", "history"]);

/**
 * Live inventory: stock per SKU (variant, location), reservations that never oversell and expire,
 * history, staff alerts on staff:inventory, `stock` events and viewer counts on product:{sku},
 * back-in-stock watches on user:{sub}.
 */
export const inventoryModule: SwitchboardModule<InventorySettings> = {
  name: "inventory",
  migrations: inventoryMigrations,
  config: inventoryConfig,
  errors: inventoryErrors,
  namespaces: [
    {
      // product:{sku}: anyone reads it, with presence for viewer counts; staff may publish.
      name: "product",
      history: { size: 100, ttlMs: 10 * 60 * 1000 },
      presence: true,
      joinLeave: false,
      // Customers see how many are viewing, not who.
      presenceMembers: "staff",
      clientPublish: true,
      recoverable: true,
      signals: [],
      policy: ({ identity, action }) =>
        readOnly.has(action) || (action === "publish" && isStaff(identity)),
    },
  ],
  register(ctx) {
    const service = createInventoryService({
      db: ctx.db,
      outbox: ctx.outbox,
      events: ctx.events,
      broker: ctx.broker,
      logger: ctx.logger,
      dialect: ctx.dialect,
      settings: ctx.settings,
    });
    // staff:inventory keeps the core staff:* policy.
    registerItemRoutes(ctx.http, service, ctx.auth);
    registerReservationRoutes(ctx.http, service, ctx.auth);
    registerInventoryRpc(ctx.rpc, service);
    addInventoryJobs(ctx.jobs, service);
  },
};
