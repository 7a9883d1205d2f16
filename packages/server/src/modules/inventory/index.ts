import type { SwitchboardModule } from "../types.js";
import { addInventoryJobs } from "./expiry.js";
import { inventoryMigrations } from "./migrations.js";
import { registerReservationRoutes } from "./reservation-routes.js";
import { registerItemRoutes } from "./routes.js";
import { registerInventoryRpc } from "./rpc.js";
import { createInventoryService } from "./service.js";

export {
  type Alert,
  type BackInStock,
  productChannel,
  STAFF_INVENTORY_CHANNEL,
  type StockChanged,
} from "./changes.js";
export { EXPIRY_JOB, RETENTION_JOB } from "./expiry.js";
export type { HistoryEntry, Item, Reservation, Stock } from "./schema.js";

/**
 * Live inventory: stock per SKU (variant, location), reservations that never oversell and expire,
 * history, staff alerts on staff:inventory, `stock` events and viewer counts on product:{sku},
 * back-in-stock watches on user:{sub}.
 */
export const inventoryModule: SwitchboardModule = {
  name: "inventory",
  migrations: inventoryMigrations,
  register(ctx) {
    const service = createInventoryService({
      db: ctx.db,
      outbox: ctx.outbox,
      events: ctx.events,
      broker: ctx.broker,
      logger: ctx.logger,
    });
    // product:{sku} keeps the built-in policy (anyone reads, with presence for viewer counts;
    // staff may publish) and staff:inventory the staff:* one: nothing to refine here.
    registerItemRoutes(ctx.http, service, ctx.auth);
    registerReservationRoutes(ctx.http, service, ctx.auth);
    registerInventoryRpc(ctx.rpc, service);
    addInventoryJobs(ctx.jobs, service);
  },
};
