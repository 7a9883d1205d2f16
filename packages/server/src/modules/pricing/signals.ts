import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import type { Signal } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import type { PriceService } from "./prices.js";

/**
 * Live signals the rules read: `stock` per item from inventory's events, and anything staff or
 * an integration reports (demand, queue, staff_online, bookings_next_hours…) globally or per item.
 * Setting a value that moves prices reprices the items it touches at once.
 */
export function createSignalService(deps: PricingDeps, prices: PriceService) {
  const { db } = deps;

  async function write(name: string, sku: string, value: number): Promise<boolean> {
    const current = await db
      .selectFrom("pricing_signals")
      .select("value")
      .where("name", "=", name)
      .where("sku", "=", sku)
      .executeTakeFirst();
    if (current?.value === value) return false;
    const at = now();
    await db
      .insertInto("pricing_signals")
      .values({ name, sku, value, updated_at: at })
      .onConflict((oc) => oc.columns(["name", "sku"]).doUpdateSet({ value, updated_at: at }))
      .execute();
    prices.forget(sku === "" ? "all" : [sku]);
    return true;
  }

  return {
    async list(identity: Identity): Promise<Signal[]> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff or the API key read signals");
      const rows = await db
        .selectFrom("pricing_signals")
        .selectAll()
        .orderBy("name")
        .orderBy("sku")
        .limit(5000)
        .execute();
      return rows.map((r) => ({
        name: r.name,
        ...(r.sku !== "" && { sku: r.sku }),
        value: r.value,
        updatedAt: r.updated_at,
      }));
    },

    /** Sets a signal and reprices what it touches; returns how many live prices moved. */
    async set(
      identity: Identity,
      name: string,
      value: number,
      sku?: string,
    ): Promise<{ moved: number }> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff or the API key report signals");
      if (!(await write(name, sku ?? "", value))) return { moved: 0 };
      return { moved: await prices.reprice(sku ? [sku] : "all", "signal") };
    },

    /** A signal the module samples itself (sampler.ts): no caller to check. */
    async auto(name: string, value: number, sku?: string): Promise<{ moved: number }> {
      if (!(await write(name, sku ?? "", value))) return { moved: 0 };
      return { moved: await prices.reprice(sku ? [sku] : "all", "signal") };
    },

    /** Inventory's stock level of an item (its domain event): the `stock` signal of that item. */
    async stock(sku: string, available: number): Promise<void> {
      if (await write("stock", sku, available)) await prices.reprice([sku], "signal");
    },
  };
}

export type SignalService = ReturnType<typeof createSignalService>;
