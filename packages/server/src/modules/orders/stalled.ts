import type { ModuleEvents, ModuleScheduler, Queryable } from "../../platform/durable/types.js";
import type { OrderStalled } from "./contract.js";
import { LIFECYCLES, stateOf } from "./lifecycles.js";
import type { OrderRow } from "./migrations.js";
import { ORDER_EVENTS, orderChannel } from "./names.js";

export const STALLED_TASK = "orders.stalled";
const keyOf = (orderId: string) => `orders:stalled:${orderId}`;

interface StalledPayload {
  orderId: string;
  version: number;
}

/**
 * The worked example's scheduled task: an order that sits in one non-terminal status for
 * `stalledAfterMs` emits `order.stalled` (notifications or metrics may listen). Each write of an
 * order re-arms its one task in the write's transaction (upsert by key, so a transition moves
 * it), a terminal status cancels it, and the task checks the version it was armed for: a change
 * it raced with wins.
 */
export function createStalledWatch(deps: {
  scheduler: ModuleScheduler;
  events: ModuleEvents;
  stalledAfterMs: number;
}) {
  const { scheduler, events, stalledAfterMs } = deps;
  return {
    register(): void {
      scheduler.register<StalledPayload>(STALLED_TASK, async (p, d) => {
        const row = await d.transaction
          .selectFrom("orders")
          .selectAll()
          .where("id", "=", p.orderId)
          .where("version", "=", p.version)
          .executeTakeFirst();
        if (!row) return; // it moved on since (and was re-armed then)
        const stalled: OrderStalled = {
          orderId: row.id,
          customerId: row.customer_id,
          lifecycle: row.lifecycle,
          status: row.status,
          version: row.version,
          since: row.updated_at,
        };
        await events.emit(d.transaction, {
          type: ORDER_EVENTS.stalled,
          aggregate: orderChannel(row.id),
          payload: stalled,
        });
      });
    },

    /** In the transaction that wrote `row`: arm (or move) its task, or cancel it when terminal. */
    async arm(trx: Queryable, row: OrderRow): Promise<void> {
      const lifecycle = LIFECYCLES[row.lifecycle];
      const terminal = lifecycle ? stateOf(lifecycle, row.status)?.terminal === true : false;
      if (terminal || stalledAfterMs === 0) {
        if (row.version > 1) await scheduler.cancel(trx, keyOf(row.id));
        return;
      }
      await scheduler.schedule(trx, {
        task: STALLED_TASK,
        key: keyOf(row.id),
        runAt: new Date(Date.now() + stalledAfterMs),
        payload: { orderId: row.id, version: row.version } satisfies StalledPayload,
      });
    },
  };
}

export type StalledWatch = ReturnType<typeof createStalledWatch>;
