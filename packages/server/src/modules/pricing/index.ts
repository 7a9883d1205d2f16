import type { SwitchboardModule } from "../types.js";
import { BOOKING_EVENTS, createBookingsCounter } from "./bookings.js";
import { createCatalogService } from "./catalog.js";
import { registerCatalogRoutes } from "./catalog-routes.js";
import { type PricingSettings, pricingConfig } from "./config.js";
import { type PricingErrorCodes, pricingErrors } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import { registerImageRoutes } from "./images.js";
import { createLockService } from "./locks.js";
import { pricingMigrations } from "./migrations.js";
import { createOrderQuoteService } from "./order-quotes.js";
import { createPriceService, REPRICE_TASK } from "./prices.js";
import { registerRecommendationRoutes } from "./recommendations.js";
import { registerPricingRoutes } from "./routes.js";
import { registerPricingRpc } from "./rpc.js";
import { createRuleService } from "./rules.js";
import { createSignalSampler, SAMPLE_JOB } from "./sampler.js";
import { registerShopperRoutes } from "./shopper-routes.js";
import { createSignalService } from "./signals.js";
import { createWatchService } from "./watches.js";

export { getCatalogProduct } from "./catalog.js";
export type {
  CatalogProduct,
  Money,
  OrderQuote,
  Price,
  PriceAlertEvent,
  PriceChanged,
  PriceEvent,
  QuoteResult,
  Rule,
  WatchTriggered,
} from "./contract.js";
export { productChannel, STAFF_PRICING_CHANNEL } from "./contract.js";
export { findLivePrice } from "./lookup.js";

declare module "../../errors.js" {
  interface ModuleErrorCodes extends PricingErrorCodes {}
}

/** The job that re-evaluates every price (time windows open and close without any signal). */
export const REPRICE_JOB = "pricing.reprice";

/**
 * Prices: list prices per SKU in integer minor units, dynamic-pricing rules as data with every
 * factor explained, bounds, live `price` events on product:{sku}, history, watches with alerts
 * once per crossing, price locks, and quotes with amounts for orders.
 */
export const pricingModule: SwitchboardModule<PricingSettings> = {
  name: "pricing",
  migrations: pricingMigrations,
  errors: pricingErrors,
  config: pricingConfig,
  register(ctx) {
    const deps: PricingDeps = {
      db: ctx.db,
      outbox: ctx.outbox,
      events: ctx.events,
      scheduler: ctx.scheduler,
      settings: ctx.settings,
      namespaces: ctx.namespaces,
      logger: ctx.logger,
    };
    const prices = createPriceService(deps);
    const rules = createRuleService(deps, prices);
    const signals = createSignalService(deps, prices);
    const watches = createWatchService(deps);
    const locks = createLockService(deps, prices);
    const orderQuotes = createOrderQuoteService(deps);
    // inventory's live level is the `stock` signal (its in-process event, never its files; a
    // lost one is repaired by the item's next stock change)
    ctx.events.local.on("inventory.stock_changed", (e) => signals.stock(e.sku, e.available));
    ctx.jobs.add({
      name: REPRICE_JOB,
      intervalMs: ctx.settings.repriceIntervalMs,
      run: async () => void (await prices.reprice("all", "schedule")),
    });
    const sampler = createSignalSampler(
      deps,
      ctx.broker,
      signals,
      prices.currentRules,
      createBookingsCounter(ctx.db, ctx.settings.bookingsHours, ctx.logger),
    );
    // a rule naming a service's or resource's bookings gets its count now, not at the next sample
    rules.onChange(
      () =>
        void sampler
          .bookings()
          .catch((err: unknown) => ctx.logger.warn({ err }, "pricing: bookings signal failed")),
    );
    // a booking moves the count at once (after its commit, read with the database); the sample
    // job repairs a lost one and moves the window as time passes
    for (const type of BOOKING_EVENTS)
      ctx.events.on(type, `pricing.bookings_signal.${type}`, async (_e, d) => {
        d.afterCommit(() =>
          sampler
            .bookings()
            .catch((err: unknown) => ctx.logger.warn({ err }, "pricing: bookings signal failed")),
        );
      });
    ctx.jobs.add({
      name: SAMPLE_JOB,
      intervalMs: ctx.settings.signalSampleMs,
      run: async () => void (await sampler.sample()),
    });
    ctx.scheduler.register<{ sku: string }>(REPRICE_TASK, async ({ sku }, d) => {
      await prices.reprice([sku], "schedule", d.transaction);
    });
    registerPricingRoutes(ctx.http, { prices, rules, signals }, ctx.auth);
    registerPricingRpc(ctx.rpc, prices);
    registerShopperRoutes(ctx.http, { watches, locks, orderQuotes }, ctx.auth);
    registerCatalogRoutes(ctx.http, createCatalogService(deps, prices), ctx.auth);
    registerRecommendationRoutes(ctx.http, prices, ctx.auth);
    registerImageRoutes(ctx.http, ctx.db, ctx.auth);
  },
};
