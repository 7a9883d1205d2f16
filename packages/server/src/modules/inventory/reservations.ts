import { sql, type Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now, whoOf } from "../../platform/kit/actor.js";
import { ConditionalMiss } from "../../platform/kit/conditional.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import type { InTransaction } from "../../store/in-transaction.js";
import type { Database } from "../../store/schema.js";
import { announce, type Pending, recordChange } from "./announce.js";
import { type InventoryDeps, reservationId, stockOf } from "./changes.js";
import {
  INVENTORY_EVENTS,
  type InventoryReservationEvent,
  productChannel,
  type Reservation,
  type ReservationPage,
} from "./contract.js";
import type { Items } from "./items.js";
import type { InventoryReservationRow, ReservationStatus } from "./migrations.js";
import { createReserveBatcher } from "./reserve.js";
import { DEFAULT_TTL_SECONDS, type ListReservationsQuery, type ReserveInput } from "./schema.js";

function reservationOf(row: InventoryReservationRow): Reservation {
  return {
    id: row.id,
    sku: row.sku,
    quantity: row.quantity,
    status: row.status,
    ...(row.customer_id !== null && { customerId: row.customer_id }),
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

type Ending = Exclude<ReservationStatus, "active">;

/**
 * Reservations hold units of an item for a while; commit turns them into a sale, release and
 * expiry give them back. Every move is one conditional UPDATE checked by its row count, inside
 * the transaction that moves the item's levels too, so racing callers (two nodes, a commit and
 * the expiry sweep) never both win and the item is never oversold, on SQLite and PostgreSQL.
 */
export function createReservations(deps: InventoryDeps, items: Items) {
  const { db } = deps;
  const reserveBatched = createReserveBatcher(deps);

  async function find(id: string): Promise<InventoryReservationRow | undefined> {
    return db
      .selectFrom("inventory_reservations")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
  }

  async function load(identity: Identity, id: string): Promise<InventoryReservationRow> {
    const row = await find(id);
    if (!row) throw new SwitchboardError("not_found", `no reservation ${id}`);
    if (!isStaffOrServer(identity) && row.customer_id !== identity.user)
      throw new SwitchboardError("forbidden", "this reservation belongs to another customer");
    return row;
  }

  /**
   * Ends an active reservation (commit, release, expire): moves its status only if still active
   * (and, for commit, not past its deadline; for expiry, past it), then moves the item's levels.
   */
  async function end(
    trx: Transaction<Database>,
    id: string,
    to: Ending,
    by: string,
    at: string,
  ): Promise<{ row: InventoryReservationRow; pending: Pending }> {
    let q = trx
      .updateTable("inventory_reservations")
      .set({ status: to, updated_at: at })
      .where("id", "=", id)
      .where("status", "=", "active");
    if (to === "committed") q = q.where("expires_at", ">", at);
    if (to === "expired") q = q.where("expires_at", "<=", at);
    const row = await q.returningAll().executeTakeFirst();
    if (!row) throw new ConditionalMiss();
    const n = row.quantity;
    const sale = to === "committed";
    const item = await trx
      .updateTable("inventory_items")
      .set({
        ...(sale && { on_hand: sql<number>`on_hand - ${n}` }),
        reserved: sql<number>`reserved - ${n}`,
        version: sql<number>`version + 1`,
        updated_at: at,
      })
      .where("sku", "=", row.sku)
      .where(sql<boolean>`reserved >= ${n}`)
      .returningAll()
      .executeTakeFirst();
    // Unreachable while every path keeps reserved = Σ active reservations; roll back loudly if not.
    if (!item) throw new SwitchboardError("internal", `item ${row.sku} holds fewer than ${n}`);
    const pending = await recordChange(trx, deps, {
      item,
      before: { ...item, on_hand: item.on_hand + (sale ? n : 0), reserved: item.reserved + n },
      kind: sale ? "commit" : to === "released" ? "release" : "expire",
      ...(sale && { reason: "sale" }),
      deltaOnHand: sale ? -n : 0,
      deltaReserved: -n,
      reservationId: id,
      by,
      at,
    });
    if (sale) {
      // durable, in the sale's commit: metrics counts sales (and revenue) from it
      const sold: InventoryReservationEvent = {
        reservationId: row.id,
        itemId: row.sku,
        quantity: n,
        ...(row.customer_id !== null && { userId: row.customer_id }),
        at,
      };
      await deps.events.emit(trx, {
        type: INVENTORY_EVENTS.reservationCommitted,
        aggregate: productChannel(row.sku),
        payload: sold,
      });
    }
    return { row, pending };
  }

  /** Why `end` matched nothing: 404, or 409 with the status it is in (expiring it if overdue). */
  async function refuse(id: string, wanted: Ending): Promise<never> {
    let row = await find(id);
    if (!row) throw new SwitchboardError("not_found", `no reservation ${id}`);
    // Still active here means a commit after the deadline: expire it now rather than wait for the sweep.
    if (row.status === "active") {
      await expireOne(id);
      row = (await find(id)) ?? row;
    }
    throw new SwitchboardError("conflict", `reservation ${id} is ${row.status}, not active`, {
      details: { status: row.status, wanted },
    });
  }

  async function move(
    identity: Identity,
    id: string,
    to: Ending,
    also?: InTransaction<Reservation>,
  ): Promise<Reservation> {
    let done: { row: InventoryReservationRow; pending: Pending };
    try {
      done = await db.transaction().execute(async (trx) => {
        const ended = await end(trx, id, to, whoOf(identity), now());
        await also?.(trx, reservationOf(ended.row));
        return ended;
      });
    } catch (error) {
      if (error instanceof ConditionalMiss) return refuse(id, to);
      throw error;
    }
    await announce(deps, done.pending);
    return reservationOf(done.row);
  }

  /** Expires one overdue reservation; false if it was not active and overdue (someone else ended it). */
  async function expireOne(id: string): Promise<boolean> {
    let done: { pending: Pending };
    try {
      done = await db.transaction().execute((trx) => end(trx, id, "expired", "system", now()));
    } catch (error) {
      if (error instanceof ConditionalMiss) return false;
      throw error;
    }
    await announce(deps, done.pending);
    return true;
  }

  return {
    /**
     * Holds `quantity` units: one conditional UPDATE (`… WHERE on_hand - reserved >= quantity`)
     * and the reservation insert in one transaction, shared with the reservations that arrived
     * at the same time (see reserve.ts). 409 insufficient_stock with the available count when the
     * units are not there; 404 when the item does not exist.
     */
    async reserve(
      identity: Identity,
      input: ReserveInput,
      also?: InTransaction<Reservation>,
    ): Promise<Reservation> {
      let customer: string | null = input.customerId ?? null;
      const capped = !isStaffOrServer(identity);
      const caps = deps.settings;
      if (capped) {
        if (customer !== null && customer !== identity.user)
          throw new SwitchboardError("forbidden", "a customer can only reserve for themself");
        customer = identity.user;
        // One customer must not hold the shelf: units and time per reservation are capped.
        if (input.quantity > caps.maxQuantity)
          throw new SwitchboardError(
            "bad_request",
            `a customer reserves at most ${caps.maxQuantity} units at a time`,
            { details: { limit: caps.maxQuantity } },
          );
        if (input.ttlSeconds !== undefined && input.ttlSeconds > caps.maxTtlSeconds)
          throw new SwitchboardError(
            "bad_request",
            `a customer's reservation lasts at most ${caps.maxTtlSeconds} seconds`,
            { details: { limit: caps.maxTtlSeconds } },
          );
      }
      const at = now();
      const n = input.quantity;
      const row: InventoryReservationRow = {
        id: reservationId(),
        sku: input.sku,
        customer_id: customer,
        quantity: n,
        status: "active",
        expires_at: new Date(
          Date.parse(at) +
            (input.ttlSeconds ??
              (capped ? Math.min(DEFAULT_TTL_SECONDS, caps.maxTtlSeconds) : DEFAULT_TTL_SECONDS)) *
              1000,
        ).toISOString(),
        created_at: at,
        updated_at: at,
      };
      const outcome = await reserveBatched({
        row,
        by: whoOf(identity),
        ...(capped && { maxActive: caps.maxActiveReservations }),
        ...(also && { inTransaction: (trx) => also(trx, reservationOf(row)) }),
      });
      if (!outcome.ok && outcome.capped)
        throw new SwitchboardError(
          "rate_limited",
          `at most ${caps.maxActiveReservations} active reservations per customer: release one first`,
          { details: { limit: caps.maxActiveReservations } },
        );
      if (!outcome.ok) {
        const { available } = stockOf(await items.load(input.sku));
        throw new SwitchboardError(
          "insufficient_stock",
          `${input.sku}: ${n} requested, ${available} available`,
          { details: { sku: input.sku, requested: n, available } },
        );
      }
      return reservationOf(row);
    },

    async get(identity: Identity, id: string): Promise<Reservation> {
      return reservationOf(await load(identity, id));
    },

    /**
     * Reservations, newest first: a customer's own (a shop page restores the one it holds after
     * a reload), or anyone's for staff and the API key.
     */
    async list(identity: Identity, query: ListReservationsQuery): Promise<ReservationPage> {
      let customer = query.customerId;
      if (!isStaffOrServer(identity)) {
        if (customer !== undefined && customer !== identity.user)
          throw new SwitchboardError("forbidden", "a customer lists only their own reservations");
        customer = identity.user;
      }
      let q = db.selectFrom("inventory_reservations").selectAll();
      if (customer !== undefined) q = q.where("customer_id", "=", customer);
      if (query.sku !== undefined) q = q.where("sku", "=", query.sku);
      if (query.status !== undefined) q = q.where("status", "=", query.status);
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      return { items: rows.map(reservationOf), ...(nextCursor !== undefined && { nextCursor }) };
    },

    /** Turns the reservation into a sale: onHand and reserved both drop (staff, API key). */
    async commit(
      identity: Identity,
      id: string,
      also?: InTransaction<Reservation>,
    ): Promise<Reservation> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff or the API key commit reservations");
      return move(identity, id, "committed", also);
    },

    /** Gives the units back (its customer, staff, API key). */
    async release(
      identity: Identity,
      id: string,
      also?: InTransaction<Reservation>,
    ): Promise<Reservation> {
      await load(identity, id);
      return move(identity, id, "released", also);
    },

    expireOne,

    /** Releases every overdue reservation (the expiry job; safe on several nodes at once). */
    async expireDue(batch = 200): Promise<number> {
      let expired = 0;
      for (let round = 0; round < 50; round++) {
        const due = await db
          .selectFrom("inventory_reservations")
          .select("id")
          .where("status", "=", "active")
          .where("expires_at", "<=", now())
          .orderBy("expires_at")
          .limit(batch)
          .execute();
        for (const { id } of due) if (await expireOne(id)) expired++;
        if (due.length < batch) break;
      }
      return expired;
    },
  };
}

export type Reservations = ReturnType<typeof createReservations>;
