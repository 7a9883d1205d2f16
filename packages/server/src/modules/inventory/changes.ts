import { isValidChannel } from "@switchboard/protocol";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { monotonicFactory } from "ulid";
import { type Identity, isStaff } from "../../auth/identity.js";
import type { Broker } from "../../broker/types.js";
import type { EventBus } from "../../events.js";
import type { Outbox, OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { HistoryKind, InventoryItemRow } from "./migrations.js";
import type { Item, Stock } from "./schema.js";

export interface InventoryDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  events: EventBus;
  /** For presence counts (viewers) only. */
  broker: Pick<Broker, "presenceCount">;
  logger: Logger;
}

export const STAFF_INVENTORY_CHANNEL = "staff:inventory";
export const productChannel = (sku: string) => `product:${sku}`;
export const userChannel = (user: string) => `user:${user}`;
export const now = () => new Date().toISOString();
/** History ids sort in the order the changes took their row lock (one process; by time across nodes). */
export const historyId = monotonicFactory();

export type Alert = "low_stock" | "out_of_stock" | "back_in_stock";

export interface StockChanged extends Stock {
  sku: string;
  onHand: number;
  reserved: number;
  version: number;
  alerts: Alert[];
}

export interface BackInStock {
  sku: string;
  name?: string;
  available: number;
  /** Users who asked to be told (their watches are used up). */
  users: string[];
}

declare module "../../events.js" {
  interface DomainEvents {
    "inventory.stock_changed": StockChanged;
    "inventory.back_in_stock": BackInStock;
  }
}

/** Thrown inside a transaction to roll it back when a conditional update matched no row. */
export class NoMatch extends Error {}

export function isStaffOrServer(identity: Identity): boolean {
  return identity.server === true || isStaff(identity);
}

export function whoOf(identity: Identity): string {
  return identity.server ? "server" : identity.user;
}

type Levels = Pick<InventoryItemRow, "on_hand" | "reserved" | "low_stock_threshold">;

export function stockOf(levels: Levels): Stock {
  const available = Math.max(0, levels.on_hand - levels.reserved);
  return {
    available,
    inStock: available > 0,
    lowStock: available > 0 && available <= levels.low_stock_threshold,
  };
}

export function itemOf(row: InventoryItemRow): Item {
  return {
    sku: row.sku,
    baseSku: row.base_sku,
    ...(row.variant !== null && { variant: row.variant }),
    ...(row.location !== null && { location: row.location }),
    ...(row.name !== null && { name: row.name }),
    onHand: row.on_hand,
    reserved: row.reserved,
    ...stockOf(row),
    lowStockThreshold: row.low_stock_threshold,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

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

/**
 * Records a change inside its transaction: the history row, and the realtime messages it
 * announces (outbox, so they go out if and only if the change commits): `stock` on
 * product:{sku} when availability moved, alerts on staff:inventory when a line was crossed, and
 * `back_in_stock` on user:{sub} for every watcher, whose watch is then used up.
 */
export async function recordChange(
  trx: Transaction<Database>,
  deps: InventoryDeps,
  change: Change,
): Promise<Pending> {
  const { item } = change;
  await trx
    .insertInto("inventory_history")
    .values({
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
    })
    .execute();
  const after = stockOf(item);
  const before = change.before ? stockOf(change.before) : null;
  const moved =
    !before ||
    before.available !== after.available ||
    before.inStock !== after.inStock ||
    before.lowStock !== after.lowStock;
  if (!moved) return { ids: [] };

  const alerts: Alert[] = [];
  if (before?.inStock && !after.inStock) alerts.push("out_of_stock");
  if (before && !before.inStock && after.inStock) alerts.push("back_in_stock");
  if (before && after.lowStock && !before.lowStock) alerts.push("low_stock");
  const v = item.version;
  const messages: OutboxMessage[] = [
    {
      channel: productChannel(item.sku),
      event: "stock",
      // version lets a client drop a late event: two nodes may publish in either order.
      data: { sku: item.sku, ...after, version: v },
      key: `stock:${item.sku}:v${v}`,
    },
  ];
  const alertData = {
    sku: item.sku,
    ...(item.name !== null && { name: item.name }),
    ...after,
    onHand: item.on_hand,
    reserved: item.reserved,
    lowStockThreshold: item.low_stock_threshold,
    version: v,
    at: change.at,
  };
  for (const alert of alerts)
    messages.push({
      channel: STAFF_INVENTORY_CHANNEL,
      event: alert,
      data: alertData,
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
export async function announce(deps: InventoryDeps, pending: Pending): Promise<void> {
  try {
    await deps.outbox.flush(pending.ids);
  } catch (err) {
    // The change is committed: failing the request now would invite a retry that repeats it.
    deps.logger.warn({ err }, "inventory: outbox flush failed; the sweep will publish");
  }
  if (pending.stock) deps.events.emit("inventory.stock_changed", pending.stock);
  if (pending.backInStock) deps.events.emit("inventory.back_in_stock", pending.backInStock);
}
