import { isValidChannel } from "@switchboard/protocol";
import { sql } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now, whoOf } from "../../platform/kit/actor.js";
import { ConditionalMiss } from "../../platform/kit/conditional.js";
import { keysetPage, type PageRequest } from "../../platform/kit/pagination.js";
import type { InTransaction } from "../../store/in-transaction.js";
import { announce, type Pending, recordChange } from "./announce.js";
import { type InventoryDeps, itemOf, stockOf } from "./changes.js";
import {
  type CatalogPage,
  type HistoryPage,
  type Item,
  type ItemPage,
  type PublicItem,
  productChannel,
  userChannel,
  type Watch,
} from "./contract.js";
import type { InventoryItemRow } from "./migrations.js";
import {
  type AdjustmentInput,
  DEFAULT_LOW_STOCK_THRESHOLD,
  type HistoryQuery,
  type ListItemsQuery,
  MAX_UNITS,
  type PutItemInput,
  parseItemKey,
  type WatchInput,
} from "./schema.js";

function requireStaff(identity: Identity, what: string): void {
  if (!isStaffOrServer(identity))
    throw new SwitchboardError("forbidden", `only staff or the API key ${what}`);
}

/** Stock levels: set, read, adjust, history, watches and viewers. No HTTP, no sockets. */
export function createItems(deps: InventoryDeps) {
  const { db } = deps;

  async function find(sku: string): Promise<InventoryItemRow | undefined> {
    return db.selectFrom("inventory_items").selectAll().where("sku", "=", sku).executeTakeFirst();
  }

  async function load(sku: string): Promise<InventoryItemRow> {
    const row = await find(sku);
    if (!row) throw new SwitchboardError("not_found", `no inventory item ${sku}`);
    return row;
  }

  /** Creates the item or sets its levels. Optimistic: applies only at the version it read. */
  async function put(
    identity: Identity,
    sku: string,
    input: PutItemInput,
  ): Promise<{ item: Item; created: boolean }> {
    requireStaff(identity, "set stock");
    const parts = parseItemKey(sku);
    if (!parts) throw new SwitchboardError("bad_request", `invalid item key ${sku}`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const at = now();
      const outcome = await db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom("inventory_items")
          .selectAll()
          .where("sku", "=", sku)
          .executeTakeFirst();
        if (!current) {
          const row: InventoryItemRow = {
            sku,
            base_sku: parts.baseSku,
            variant: parts.variant,
            location: parts.location,
            name: input.name ?? null,
            on_hand: input.onHand,
            reserved: 0,
            low_stock_threshold: input.lowStockThreshold ?? DEFAULT_LOW_STOCK_THRESHOLD,
            team_id: input.teamId ?? null,
            version: 1,
            created_at: at,
            updated_at: at,
          };
          const inserted = await trx
            .insertInto("inventory_items")
            .values(row)
            .onConflict((oc) => oc.column("sku").doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return null; // created meanwhile
          const pending = await recordChange(trx, deps, {
            item: row,
            before: null,
            kind: "set",
            deltaOnHand: row.on_hand,
            deltaReserved: 0,
            by: whoOf(identity),
            at,
          });
          return { row, pending, created: true };
        }
        if (input.onHand < current.reserved) {
          throw new SwitchboardError(
            "conflict",
            `onHand ${input.onHand} is below the ${current.reserved} units reserved`,
            { details: { onHand: current.on_hand, reserved: current.reserved } },
          );
        }
        const row = await trx
          .updateTable("inventory_items")
          .set({
            on_hand: input.onHand,
            low_stock_threshold: input.lowStockThreshold ?? current.low_stock_threshold,
            name: input.name ?? current.name,
            team_id: input.teamId === undefined ? current.team_id : input.teamId,
            version: current.version + 1,
            updated_at: at,
          })
          .where("sku", "=", sku)
          .where("version", "=", current.version)
          .returningAll()
          .executeTakeFirst();
        if (!row) return null; // a reservation or adjustment moved it: read again
        const pending = await recordChange(trx, deps, {
          item: row,
          before: current,
          kind: "set",
          deltaOnHand: row.on_hand - current.on_hand,
          deltaReserved: 0,
          by: whoOf(identity),
          at,
        });
        return { row, pending, created: false };
      });
      if (!outcome) continue;
      await announce(deps, outcome.pending);
      return { item: itemOf(outcome.row), created: outcome.created };
    }
    throw new SwitchboardError("conflict", "the item kept changing; retry", {
      retryAfterMs: 100,
    });
  }

  /** Adds or removes units; refused when onHand would drop below what is reserved. */
  async function adjust(
    identity: Identity,
    sku: string,
    input: AdjustmentInput,
    also?: InTransaction<Item>,
  ): Promise<Item> {
    requireStaff(identity, "adjust stock");
    const at = now();
    let done: { row: InventoryItemRow; pending: Pending };
    try {
      done = await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable("inventory_items")
          .set({
            on_hand: sql<number>`on_hand + ${input.delta}`,
            version: sql<number>`version + 1`,
            updated_at: at,
          })
          .where("sku", "=", sku)
          .where(sql<boolean>`on_hand + ${input.delta} >= reserved`)
          .where(sql<boolean>`on_hand + ${input.delta} <= ${MAX_UNITS}`)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw new ConditionalMiss();
        const pending = await recordChange(trx, deps, {
          item: row,
          before: { ...row, on_hand: row.on_hand - input.delta },
          kind: "adjustment",
          reason: input.reason,
          deltaOnHand: input.delta,
          deltaReserved: 0,
          ...(input.note !== undefined && { note: input.note }),
          by: whoOf(identity),
          at,
        });
        await also?.(trx, itemOf(row));
        return { row, pending };
      });
    } catch (error) {
      if (!(error instanceof ConditionalMiss)) throw error;
      const row = await load(sku);
      const onHand = row.on_hand + input.delta;
      throw new SwitchboardError(
        "conflict",
        onHand > MAX_UNITS
          ? `onHand would exceed ${MAX_UNITS}`
          : `onHand would drop to ${onHand}, below the ${row.reserved} units reserved`,
        { details: { onHand: row.on_hand, reserved: row.reserved, ...stockOf(row) } },
      );
    }
    await announce(deps, done.pending);
    return itemOf(done.row);
  }

  return {
    find,
    load,
    put,
    adjust,

    /** The item, with the number of people viewing its product page now. Anyone may read it. */
    /**
     * An item as its caller may see it: staff and the API key get the unit counts; anyone else
     * (anonymous, customers) what the catalog shows, without onHand, reserved or the threshold.
     */
    async get(sku: string, identity?: Identity): Promise<Item | PublicItem> {
      const row = await load(sku);
      const item = {
        ...itemOf(row),
        viewers: await deps.broker.presenceCount(productChannel(sku)),
      };
      if (identity && isStaffOrServer(identity)) return item;
      const { onHand: _o, reserved: _r, lowStockThreshold: _t, ...shown } = item;
      return shown;
    },

    /** A presence count, not the member list: cheap for thousands of viewers; no database. */
    async viewers(sku: string): Promise<{ sku: string; channel: string; viewers: number }> {
      const channel = productChannel(sku);
      return { sku, channel, viewers: await deps.broker.presenceCount(channel) };
    },

    async list(identity: Identity, query: ListItemsQuery): Promise<ItemPage> {
      requireStaff(identity, "list stock");
      let q = db.selectFrom("inventory_items").selectAll();
      if (query.baseSku) q = q.where("base_sku", "=", query.baseSku);
      if (query.location) q = q.where("location", "=", query.location);
      if (query.lowStock === "true")
        q = q.where(sql<boolean>`on_hand - reserved <= low_stock_threshold`);
      const { rows, nextCursor } = await keysetPage(q, "sku", "asc", query);
      return { items: rows.map(itemOf), ...(nextCursor !== undefined && { nextCursor }) };
    },

    /** What a storefront lists: every item's name and availability, for anyone (no counts of reserved units). */
    async catalog(query: PageRequest): Promise<CatalogPage> {
      const q = db.selectFrom("inventory_items").selectAll();
      const { rows, nextCursor } = await keysetPage(q, "sku", "asc", query);
      return {
        items: rows.map((row) => ({
          sku: row.sku,
          ...(row.name !== null && { name: row.name }),
          ...stockOf(row),
        })),
        ...(nextCursor !== undefined && { nextCursor }),
      };
    },

    /** Every change of the item, newest first (staff). */
    async history(identity: Identity, sku: string, query: HistoryQuery): Promise<HistoryPage> {
      requireStaff(identity, "read stock history");
      await load(sku);
      const q = db.selectFrom("inventory_history").selectAll().where("sku", "=", sku);
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      return {
        sku,
        items: rows.map((h) => ({
          id: h.id,
          at: h.at,
          kind: h.kind,
          ...(h.reason !== null && { reason: h.reason }),
          deltaOnHand: h.delta_on_hand,
          deltaReserved: h.delta_reserved,
          onHand: h.on_hand,
          reserved: h.reserved,
          available: Math.max(0, h.on_hand - h.reserved),
          ...(h.reservation_id !== null && { reservationId: h.reservation_id }),
          ...(h.note !== null && { note: h.note }),
          by: h.by,
        })),
        ...(nextCursor !== undefined && { nextCursor }),
      };
    },

    /** "Tell me when it is back": one event on user:{sub} when availability leaves 0, then the watch is used up. */
    async watch(identity: Identity, sku: string, input: WatchInput, on: boolean): Promise<Watch> {
      const user = watcherOf(identity, input);
      const row = await load(sku);
      if (on) {
        await db
          .insertInto("inventory_watches")
          .values({ sku, user_id: user, created_at: now() })
          .onConflict((oc) => oc.columns(["sku", "user_id"]).doNothing())
          .execute();
      } else {
        await db
          .deleteFrom("inventory_watches")
          .where("sku", "=", sku)
          .where("user_id", "=", user)
          .execute();
      }
      return { sku, customerId: user, watching: on, ...stockOf(row) };
    },
  };
}

function watcherOf(identity: Identity, input: WatchInput): string {
  const asked = input?.customerId;
  let user = identity.user;
  if (asked && asked !== identity.user) {
    if (!isStaffOrServer(identity))
      throw new SwitchboardError("forbidden", "a customer can only watch for themself");
    user = asked;
  } else if (identity.server) {
    throw new SwitchboardError("bad_request", "the API key must name the customerId to notify");
  }
  if (!isValidChannel(userChannel(user)))
    throw new SwitchboardError("bad_request", `user ${user} has no valid user channel to notify`);
  return user;
}

export type Items = ReturnType<typeof createItems>;
