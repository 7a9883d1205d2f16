import { ulid } from "../../ids.js";
import type { ForecastEvent } from "./contract.js";
import { canCarry, type PricingDeps } from "./deps.js";
import { productChannel } from "./names.js";

/** Hints within this long share one publication per service (a signal storm is one hint). */
const COALESCE_MS = 250;
/** At most this many services' hints per pass (bounded work; more are found next time). */
const MAX_SERVICES = 500;

/**
 * `forecast` on product:service:{id} when what a service costs at future times may have moved —
 * a rule or a signal changed — though its live price need not have (a peak window tomorrow).
 * The cheapest-times screen asks again on it; its bookings arrive on appointments' own
 * schedule channel. Coalesced per service; published through the outbox (ordered with the
 * service's `price` events, delivered once). A hint lost in a crash is repaired by the client's
 * resync or next visit: it carries no price.
 */
export function createForecastNotifier(
  deps: Pick<PricingDeps, "db" | "outbox" | "namespaces" | "logger">,
) {
  const pending = new Set<string>();
  let all = false;
  let timer: NodeJS.Timeout | undefined;

  async function flush(): Promise<void> {
    timer = undefined;
    let skus = [...pending];
    pending.clear();
    if (all) {
      all = false;
      const rows = await deps.db
        .selectFrom("pricing_prices")
        .select("sku")
        .where("sku", "like", "service:%")
        .orderBy("sku")
        .limit(MAX_SERVICES)
        .execute();
      skus = [...new Set([...skus, ...rows.map((r) => r.sku)])];
    }
    const at = new Date().toISOString();
    const messages = skus
      .map((sku) => ({ sku, channel: productChannel(sku) }))
      .filter((m) => canCarry(deps, m.channel))
      .map((m) => ({
        channel: m.channel,
        event: "forecast",
        data: { sku: m.sku, at } satisfies ForecastEvent,
        key: `forecast:${m.sku}:${ulid()}`,
      }));
    if (messages.length === 0) return;
    const ids = await deps.db.transaction().execute((trx) => deps.outbox.enqueue(trx, messages));
    await deps.outbox.flush(ids);
  }

  return {
    /** Rules or signals of these items (or of every item) changed. */
    touched(skus: readonly string[] | "all"): void {
      if (skus === "all") all = true;
      else for (const s of skus) if (s.startsWith("service:")) pending.add(s);
      if (!all && pending.size === 0) return;
      timer ??= setTimeout(() => {
        flush().catch((err: unknown) =>
          deps.logger.warn({ err }, "pricing: forecast hint not published"),
        );
      }, COALESCE_MS);
      timer.unref?.();
    },
  };
}

export type ForecastNotifier = ReturnType<typeof createForecastNotifier>;
