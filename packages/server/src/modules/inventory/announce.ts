import { isValidChannel } from "@switchboard/protocol";
import type { Transaction } from "kysely";
import type { OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import {
  type BackInStock,
  historyId,
  type InventoryDeps,
  type Levels,
  type StockChanged,
  stockOf,
} from "./changes.js";
import {
  type Alert,
  INVENTORY_EVENTS,
  type InventoryBackInStock,
  type InventoryLevelChanged,
  productChannel,
  STAFF_INVENTORY_CHANNEL,
  userChannel,
} from "./contract.js";
import type { HistoryKind, InventoryHistoryRow, InventoryItemRow } from "./migrations.js";

export interface Change {
  /** The row after the change (from UPDATE … RETURNING, inside the transaction). */
  item: InventoryItemRow;
  /** Levels before the change; null when the item was just created. */
  before: Levels | null;
  kind: HistoryKind;
  reason?: string;
  deltaOnHand: number;
  deltaReserved: number;
  reservationId?: string;
  note?: string;
  by: string;
  at: string;
}

/** What a committed change still has to do: publish its outbox rows and emit domain events. */
export interface Pending {
  ids: string[];
  stock?: StockChanged;
  backInStock?: BackInStock;
}

/** The history row of a change (ids sort in lock order: see historyId). */
export function historyRow(change: Change): InventoryHistoryRow {
  const { item } = change;
  return {
    id: historyId(),
    sku: item.sku,
    at: change.at,
    kind: change.kind,
    reason: change.reason ?? null,
    delta_on_hand: change.deltaOnHand,
    delta_reserved: change.deltaReserved,
    on_hand: item.on_hand,
    reserved: item.reserved,
    reservation_id: change.reservationId ?? null,
    note: change.note ?? null,
    by: change.by,
  };
}

/** Records one change inside its transaction: its history row and what it announces. */
export async function recordChange(
  trx: Transaction<Database>,
  deps: InventoryDeps,
  change: Change,
): Promise<Pending> {
  await trx.insertInto("inventory_history").values(historyRow(change)).execute();
  return stageAnnouncements(trx, deps, change.item, change.before, change.at);
}

/**
 * Writes what a change of an item announces into the outbox, in the change's transaction (so it
 * goes out if and only if the change commits): `levels` on staff:inventory for every change (the
 * staff views follow every item on that one channel), `stock` on product:{sku} when availability
 * moved, alerts on staff:inventory when a line was crossed, and `back_in_stock` on user:{sub} for
 * every watcher, whose watch is then used up. `before` → `item` may span several changes committed
 * together (a group of reservations): only committed states are compared.
 */
export async function stageAnnouncements(
  trx: Transaction<Database>,
  deps: InventoryDeps,
  item: InventoryItemRow,
  beforeLevels: Levels | null,
  at: string,
): Promise<Pending> {
  const after = stockOf(item);
  const before = beforeLevels ? stockOf(beforeLevels) : null;
  const moved =
    !before ||
    before.available !== after.available ||
    before.inStock !== after.inStock ||
    before.lowStock !== after.lowStock;
  const v = item.version;
  const levels = {
    sku: item.sku,
    ...(item.name !== null && { name: item.name }),
    ...after,
    onHand: item.on_hand,
    reserved: item.reserved,
    lowStockThreshold: item.low_stock_threshold,
    version: v,
    at,
  };
  const messages: OutboxMessage[] = [
    // version lets a client drop a late event: two nodes may publish in either order.
    {
      channel: STAFF_INVENTORY_CHANNEL,
      event: "levels",
      data: levels,
      key: `levels:${item.sku}:v${v}`,
    },
  ];
  if (!moved) return { ids: await deps.outbox.enqueue(trx, messages) };

  const aggregate = productChannel(item.sku);
  const levelChanged: InventoryLevelChanged = {
    sku: item.sku,
    ...(item.name !== null && { name: item.name }),
    available: after.available,
    ...(before && { previous: before.available }),
    onHand: item.on_hand,
    reserved: item.reserved,
    inStock: after.inStock,
    lowStock: after.lowStock,
    version: v,
  };
  await deps.events.emit(trx, {
    type: INVENTORY_EVENTS.levelChanged,
    aggregate,
    payload: levelChanged,
  });

  const alerts: Alert[] = [];
  if (before?.inStock && !after.inStock) alerts.push("out_of_stock");
  if (before && !before.inStock && after.inStock) alerts.push("back_in_stock");
  if (before && after.lowStock && !before.lowStock) alerts.push("low_stock");
  messages.push({
    channel: productChannel(item.sku),
    event: "stock",
    data: { sku: item.sku, ...after, version: v },
    key: `stock:${item.sku}:v${v}`,
  });
  for (const alert of alerts)
    messages.push({
      channel: STAFF_INVENTORY_CHANNEL,
      event: alert,
      data: levels,
      key: `${alert}:${item.sku}:v${v}`,
    });

  let backInStock: BackInStock | undefined;
  if (alerts.includes("back_in_stock")) {
    const watches = await trx
      .deleteFrom("inventory_watches")
      .where("sku", "=", item.sku)
      .returning("user_id")
      .execute();
    const users = watches.map((w) => w.user_id);
    for (const user of users) {
      // A channel name the broker would refuse would block the outbox behind it: skip it.
      if (!isValidChannel(userChannel(user))) continue;
      messages.push({
        channel: userChannel(user),
        event: "back_in_stock",
        data: {
          sku: item.sku,
          ...(item.name !== null && { name: item.name }),
          available: after.available,
        },
        key: `watch:${item.sku}:${user}:v${v}`,
      });
    }
    const durable: InventoryBackInStock = {
      sku: item.sku,
      ...(item.name !== null && { name: item.name }),
      available: after.available,
      watcherIds: users,
      version: v,
    };
    await deps.events.emit(trx, {
      type: INVENTORY_EVENTS.backInStock,
      aggregate,
      payload: durable,
    });
    if (users.length)
      backInStock = {
        sku: item.sku,
        ...(item.name !== null && { name: item.name }),
        available: after.available,
        users,
      };
  }
  const ids = await deps.outbox.enqueue(trx, messages);
  return {
    ids,
    stock: {
      sku: item.sku,
      ...after,
      onHand: item.on_hand,
      reserved: item.reserved,
      version: v,
      alerts,
    },
    ...(backInStock && { backInStock }),
  };
}

/** After the commit: publish at once (the outbox sweep retries what fails) and tell other modules. */
export async function announce(deps: InventoryDeps, ...pending: Pending[]): Promise<void> {
  try {
    await deps.outbox.flush(pending.flatMap((p) => p.ids));
  } catch (err) {
    // The change is committed: failing the request now would invite a retry that repeats it.
    deps.logger.warn({ err }, "inventory: outbox flush failed; the sweep will publish");
  }
  for (const p of pending) {
    if (p.stock) deps.events.local.emit("inventory.stock_changed", p.stock);
    if (p.backInStock) deps.events.local.emit("inventory.back_in_stock", p.backInStock);
  }
}
