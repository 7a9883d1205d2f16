import type { Transaction } from "kysely";
import { ulid } from "../../ids.js";
import type { OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import {
  type HistoryEntry,
  PRICE_CHANGED,
  PRICE_CHANGED_EVENT,
  type PriceAlertEvent,
  type PriceChanged,
  type PriceChangedEvent,
  type PriceEvent,
  productChannel,
  STAFF_PRICING_CHANNEL,
  userChannel,
  WATCH_TRIGGERED,
  type WatchTriggered,
} from "./contract.js";
import { canCarry, type PricingDeps } from "./deps.js";
import type { PriceRow, WatchRow } from "./migrations.js";
import { formatMoney, shareOf, toPercent } from "./money.js";
import { factorsOf } from "./views.js";

/** The outbox rows a committed change flushes (its domain events are already in the transaction). */
export interface Announced {
  outboxIds: string[];
}

export const emptyAnnounced = (): Announced => ({ outboxIds: [] });

export function mergeAnnounced(into: Announced, more: Announced): void {
  into.outboxIds.push(...more.outboxIds);
}

/** Whether a watch's line is crossed at `amount` (in the watch's currency). */
export function crossed(
  w: Pick<WatchRow, "below" | "drop_bps" | "reference">,
  amount: number,
): boolean {
  if (w.below !== null) return amount < w.below;
  if (w.drop_bps !== null) return amount <= w.reference - shareOf(w.reference, w.drop_bps);
  return false;
}

/**
 * Inside the change's transaction: the history row, the `price` events on product:{sku} and
 * staff:pricing, and the watches of the item — an alert to its own user once per crossing
 * (disarmed until the price crosses back). All commit with the price or not at all.
 */
export async function recordChange(
  deps: Pick<PricingDeps, "outbox" | "namespaces" | "events">,
  trx: Transaction<Database>,
  before: PriceRow | undefined,
  after: PriceRow,
  cause: HistoryEntry["cause"],
  by: string,
): Promise<Announced> {
  await trx
    .insertInto("pricing_history")
    .values({
      id: ulid(),
      sku: after.sku,
      at: after.changed_at,
      amount: after.amount,
      base_amount: after.base_amount,
      currency: after.currency,
      cause,
      factors: after.factors,
      by,
    })
    .execute();
  const event: PriceEvent = {
    sku: after.sku,
    amount: after.amount,
    ...(before && { previous: before.amount }),
    base: after.base_amount,
    currency: after.currency,
    factors: factorsOf(after.factors),
    seq: after.seq,
    at: after.changed_at,
  };
  const messages: OutboxMessage[] = [
    {
      channel: STAFF_PRICING_CHANNEL,
      event: "price",
      data: event,
      key: `price:${after.sku}:${after.seq}`,
    },
  ];
  if (canCarry(deps, productChannel(after.sku)))
    messages.push({
      channel: productChannel(after.sku),
      event: "price",
      data: event,
      key: `price:${after.sku}:${after.seq}`,
    });
  const triggered: WatchTriggered[] = [];
  const watches = await trx
    .selectFrom("pricing_watches")
    .selectAll()
    .where("sku", "=", after.sku)
    .execute();
  for (const w of watches) {
    const isCrossed = w.currency === after.currency && crossed(w, after.amount);
    if (w.armed === 1 && isCrossed) {
      const r = await trx
        .updateTable("pricing_watches")
        .set({ armed: 0, last_alert_at: after.changed_at })
        .where("id", "=", w.id)
        .where("armed", "=", 1)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      const alert: PriceAlertEvent = {
        watchId: w.id,
        sku: w.sku,
        amount: after.amount,
        currency: after.currency,
        ...(w.below !== null && { below: w.below }),
        ...(w.drop_bps !== null && { dropPercent: toPercent(w.drop_bps) }),
        reference: w.reference,
      };
      if (canCarry(deps, userChannel(w.user_id)))
        messages.push({
          channel: userChannel(w.user_id),
          event: "price_alert",
          data: alert,
          key: `price_alert:${w.id}:${after.seq}`,
        });
      triggered.push({
        userId: w.user_id,
        sku: w.sku,
        amount: after.amount,
        currency: after.currency,
        amountText: formatMoney(after.amount, after.currency),
        watchId: w.id,
      });
    } else if (w.armed === 0 && !isCrossed) {
      // back over the line: the next crossing alerts again
      await trx.updateTable("pricing_watches").set({ armed: 1 }).where("id", "=", w.id).execute();
    }
  }
  const changed: PriceChanged = {
    sku: after.sku,
    oldAmount: before ? before.amount : null,
    newAmount: after.amount,
    currency: after.currency,
    reason: cause,
  };
  // durable: same commit as the price; one aggregate per item keeps its changes in order
  await deps.events.emit(trx, {
    type: PRICE_CHANGED,
    aggregate: `price:${after.sku}`,
    payload: changed,
  });
  const priceChanged: PriceChangedEvent = {
    productId: after.sku,
    amountMinor: after.amount,
    currency: after.currency,
    // a currency change starts over: amounts in two currencies do not compare
    previousMinor: before && before.currency === after.currency ? before.amount : null,
    baseMinor: after.base_amount,
    reason: cause,
    at: after.changed_at,
  };
  await deps.events.emit(trx, {
    type: PRICE_CHANGED_EVENT,
    aggregate: `price:${after.sku}`,
    payload: priceChanged,
  });
  for (const t of triggered)
    await deps.events.emit(trx, {
      type: WATCH_TRIGGERED,
      aggregate: `price-watch:${t.watchId}`,
      payload: t,
    });
  return { outboxIds: await deps.outbox.enqueue(trx, messages) };
}
