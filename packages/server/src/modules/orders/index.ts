import type { SwitchboardModule } from "../types.js";
import { type OrdersSettings, ordersConfig } from "./config.js";
import { type OrderErrorCodes, orderErrors } from "./contract.js";
import { createCustomerNames } from "./customer_names.js";
import { listenToAppointments } from "./from_appointments.js";
import { LIFECYCLES, validateLifecycle } from "./lifecycles.js";
import { ordersMigrations } from "./migrations.js";
import { registerOrderRoutes } from "./routes.js";
import { registerOrderRpc } from "./rpc.js";
import { createOrdersService, type OrdersService } from "./service.js";
import { createStalledWatch } from "./stalled.js";

export type { Order, OrderCreated, OrderStatusChangedEvent, StatusChange } from "./contract.js";
export { ORDER_EVENTS, orderChannel, STAFF_ORDERS_CHANNEL } from "./contract.js";
export type { Lifecycle } from "./lifecycles.js";
export { findOrder, type OrderSummary } from "./lookup.js";
export type { OrderStatusChanged } from "./service.js";

// `new SwitchboardError("invalid_transition", …)` type-checks: the code is the module's own.
declare module "../../errors.js" {
  interface ModuleErrorCodes extends OrderErrorCodes {}
}

const DAY = 24 * 60 * 60 * 1000;

/** Each app's orders service, by its database handle (one per app, several apps per test process). */
const services = new WeakMap<object, OrdersService>();

/**
 * The orders surface other modules call (pricing moves an order when its quote is approved, in
 * one transaction through `transition`'s `also`): undefined when the orders module is not running.
 */
export function ordersServiceOf(db: object): Pick<OrdersService, "transition"> | undefined {
  return services.get(db);
}

/**
 * Orders and bookings with data-defined lifecycles, live on order:{id}, staff:orders and the
 * customer's user:{id}. The worked example of docs/modules.md: it declares every part a module
 * can own.
 */
export const ordersModule: SwitchboardModule<OrdersSettings> = {
  name: "orders",
  migrations: ordersMigrations,
  errors: orderErrors,
  config: ordersConfig,
  namespaces: [
    {
      // order:{id}: its customer and staff read it; only the server writes it (policy below,
      // from the service: who may follow depends on the order's row).
      name: "order",
      history: { size: 100, ttlMs: DAY },
      presence: false,
      joinLeave: false,
      clientPublish: false,
      recoverable: true,
      signals: [],
    },
  ],
  register(ctx) {
    for (const lifecycle of Object.values(LIFECYCLES)) {
      const problems = validateLifecycle(lifecycle);
      if (problems.length) throw new Error(`lifecycle ${lifecycle.name}: ${problems.join("; ")}`);
    }
    const stalled = createStalledWatch({
      scheduler: ctx.scheduler,
      events: ctx.events,
      stalledAfterMs: ctx.settings.stalledAfterMs,
    });
    stalled.register();
    const names = createCustomerNames(ctx.db, ctx.logger);
    names.listen(ctx.http);
    const service = createOrdersService({
      names,
      db: ctx.db,
      outbox: ctx.outbox,
      events: ctx.events,
      settings: ctx.settings,
      stalled,
    });
    services.set(ctx.db, service);
    ctx.namespaces.setPolicy("order", async ({ identity, rest, action }) =>
      action === "subscribe" || action === "history" ? service.canFollow(identity, rest) : false,
    );
    registerOrderRoutes(ctx.http, service, ctx.auth);
    listenToAppointments(ctx.events, service, ctx.db, ctx.logger);
    registerOrderRpc(ctx.rpc, service);
  },
};
