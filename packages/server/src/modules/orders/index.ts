import type { SwitchboardModule } from "../types.js";
import { LIFECYCLES, validateLifecycle } from "./lifecycles.js";
import { ordersMigrations } from "./migrations.js";
import { registerOrderRoutes } from "./routes.js";
import { registerOrderRpc } from "./rpc.js";
import { createOrdersService } from "./service.js";

export type { Lifecycle } from "./lifecycles.js";
export type { Order, StatusChange } from "./schema.js";
export { type OrderStatusChanged, orderChannel, STAFF_BOARD_CHANNEL } from "./service.js";

/** Orders and bookings with data-defined lifecycles, live on order:{id} and staff:orders. */
export const ordersModule: SwitchboardModule = {
  name: "orders",
  migrations: ordersMigrations,
  register(ctx) {
    for (const lifecycle of Object.values(LIFECYCLES)) {
      const problems = validateLifecycle(lifecycle);
      if (problems.length) throw new Error(`lifecycle ${lifecycle.name}: ${problems.join("; ")}`);
    }
    const service = createOrdersService({ db: ctx.db, outbox: ctx.outbox, events: ctx.events });
    // order:{id}: its customer and staff read it; only the server writes it.
    ctx.namespaces.setPolicy("order", async ({ identity, rest, action }) =>
      action === "subscribe" || action === "history" ? service.canFollow(identity, rest) : false,
    );
    registerOrderRoutes(ctx.http, service, ctx.auth);
    registerOrderRpc(ctx.rpc, service);
  },
};
