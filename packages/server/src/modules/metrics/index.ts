import type { Transaction } from "kysely";
import type { Database } from "../../store/schema.js";
import type { SwitchboardModule } from "../types.js";
import { ActiveCustomers } from "./active-customers.js";
import { MetricsBatch } from "./batch.js";
import { type MetricsSettings, metricsConfig } from "./config.js";
import { type MetricsErrorCodes, metricsErrors } from "./contract.js";
import { CONCERNS, HEARD, handleEvent } from "./handlers.js";
import { createLive } from "./live.js";
import { metricsMigrations } from "./migrations.js";
import { pruneOld } from "./retention.js";
import { registerMetricsRoutes } from "./routes.js";
import { recordViewers, sampleViewers, watchProductViews } from "./viewers.js";

export type { ActivityItem, AlertRule, MetricsAlert, Overview, Series } from "./contract.js";
export {
  DASHBOARD_ACTIVITY_CHANNEL,
  DASHBOARD_OVERVIEW_CHANNEL,
  METRICS_ALERT_EVENT,
} from "./contract.js";
export { computeOverview } from "./overview.js";

declare module "../../errors.js" {
  interface ModuleErrorCodes extends MetricsErrorCodes {}
}

/**
 * Live business metrics: KPIs rolled up per minute, hour and day from other modules' durable
 * domain events (exactly once per event), the overview with trends, series, peak hours, the
 * persisted activity feed, alerts as `metrics.alert` events; live on dashboard:overview and
 * dashboard:activity (the core's admin-only namespace).
 */
const whenOf = (type: string, active: ActiveCustomers) => {
  const concerns = CONCERNS[type];
  if (type === "chat.message_created" && concerns) {
    // its only effect is marking the customer active: none if they already are today
    const when = (payload: unknown) => {
      if (!concerns(payload)) return false;
      const e = payload as { customerId?: unknown; at?: unknown };
      return !(
        typeof e.customerId === "string" &&
        typeof e.at === "string" &&
        active.knows(e.customerId, e.at)
      );
    };
    return { when };
  }
  return concerns ? { when: concerns } : {};
};

export const metricsModule: SwitchboardModule<MetricsSettings> = {
  name: "metrics",
  migrations: metricsMigrations,
  errors: metricsErrors,
  config: metricsConfig,
  register(ctx) {
    const settings = ctx.settings;
    const live = createLive({
      db: ctx.db,
      settings,
      logger: ctx.logger,
      publish: (channel, event, data) => ctx.publish(channel, event, data),
    });
    const deps = { events: ctx.events, outbox: ctx.outbox, settings, logger: ctx.logger };
    const active = new ActiveCustomers(settings.timeZone);
    // Feed lines committed by handlers, published together: the dispatcher commits a batch of
    // deliveries at once, and one flush of all their rows costs one read and one delete.
    let committedFeed: string[] = [];
    const flushFeed = () => {
      const ids = committedFeed;
      committedFeed = [];
      ctx.outbox.flush(ids).catch((err: unknown) => {
        ctx.logger.debug({ err }, "metrics feed flush failed; the outbox sweep sends it");
      });
    };
    // The deliveries sharing a transaction share a batch: one write of their rollups, customers
    // and feed lines before the commit (keyed by the transaction; gone with it).
    const batches = new WeakMap<object, MetricsBatch>();
    const write = async (trx: Transaction<Database>, batch: MetricsBatch) => {
      await batch.write(trx, ctx.outbox);
      for (const type of batch.types)
        ctx.crashPoint(`metrics.after-rollup.${type.replaceAll("_", "-")}`); // tests: killed before the commit
    };
    for (const type of HEARD)
      ctx.events.on(
        type,
        `metrics.${type}`,
        async (event, d) => {
          const trx = d.transaction;
          const shared = d.beforeCommit ? batches.get(trx) : undefined;
          const batch = shared ?? new MetricsBatch(settings.timeZone);
          await handleEvent(trx, event, deps, batch);
          if (shared) return; // its first delivery arranged the write and what follows the commit
          if (d.beforeCommit) {
            batches.set(trx, batch);
            d.beforeCommit(() => write(trx, batch));
          } else await write(trx, batch);
          // After the commit (never for a rolled-back batch): the overview, and the feed lines out
          // at once (else the outbox sweep sends them).
          d.afterCommit(() => {
            active.add(batch.customersWritten);
            live.changed(batch.big);
            if (batch.outboxIds.length === 0) return;
            if (committedFeed.length === 0) setImmediate(flushFeed);
            committedFeed.push(...batch.outboxIds);
          });
        },
        whenOf(type, active),
      );
    watchProductViews(
      ctx.namespaces,
      async (customers) => {
        if ((await recordViewers(ctx.db, customers, Date.now(), settings.timeZone)) > 0)
          live.changed(false);
      },
      ctx.logger,
    );
    registerMetricsRoutes(ctx.http, ctx.db, settings, ctx.auth);
    ctx.jobs.add({ name: "metrics-live", intervalMs: settings.liveIntervalMs, run: live.tick });
    ctx.jobs.add({
      name: "metrics-viewers",
      intervalMs: settings.viewersSampleMs,
      run: async () => {
        const added = await sampleViewers({
          db: ctx.db,
          broker: ctx.broker,
          hasProducts: () => ctx.namespaces.get("product") !== undefined,
          timeZone: settings.timeZone,
          logger: ctx.logger,
        });
        if (added > 0) live.changed(false);
      },
    });
    ctx.jobs.add({
      name: "metrics-retention",
      intervalMs: 3_600_000,
      run: async () => {
        await pruneOld(ctx.db, settings);
      },
    });
  },
};
