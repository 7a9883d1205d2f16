import { isValidChannel } from "@switchboard/protocol";
import type { Kysely, Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import type { ModuleEvents } from "../../platform/durable/types.js";
import { isStaffOrServer, now, whoOf } from "../../platform/kit/actor.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import type { InTransaction } from "../../store/in-transaction.js";
import type { Outbox, OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { OrdersSettings } from "./config.js";
import {
  customerChannel,
  type HistoryEntry,
  ORDER_EVENTS,
  type Order,
  type OrderAppointment,
  type OrderAppointmentEvent,
  type OrderCreated,
  type OrderPage,
  type OrderQuoteRef,
  type OrderSnapshot,
  type OrderStatusChangedEvent,
  orderChannel,
  STAFF_ORDERS_CHANNEL,
  type StatusChange,
} from "./contract.js";
import type { CustomerNames } from "./customer_names.js";
import type { AppointmentBooked } from "./from_appointments.js";
import { type Actor, LIFECYCLES, type Lifecycle, stateOf, transitionsFrom } from "./lifecycles.js";
import type { OrderHistoryRow, OrderRow } from "./migrations.js";
import type { CreateOrderInput, ListOrdersQuery, TransitionInput } from "./schema.js";
import type { StalledWatch } from "./stalled.js";

/** What an order's details keep of one of its appointments. */
function appointmentLink(booked: AppointmentBooked): OrderAppointment {
  return {
    appointmentId: booked.appointmentId,
    status: booked.status ?? "confirmed",
    startsAt: booked.startsAt,
    ...(booked.endsAt && { endsAt: booked.endsAt }),
    ...(booked.timeZone && { timeZone: booked.timeZone }),
    serviceId: booked.serviceId,
    ...(booked.serviceName && { serviceName: booked.serviceName }),
    resourceId: booked.resourceId,
    ...(booked.resourceName && { resourceName: booked.resourceName }),
    ...(booked.version !== undefined && { version: booked.version }),
  };
}

export interface OrderStatusChanged {
  order: OrderSnapshot;
  change: StatusChange;
}

declare module "../../events.js" {
  interface DomainEvents {
    "order.status_changed": OrderStatusChanged;
  }
}

export interface OrdersDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  /** Durable `order.*` events go out in the write's transaction; `events.local` is the live bus. */
  events: ModuleEvents;
  settings: OrdersSettings;
  /** Re-armed in every write's transaction (stalled.ts); absent: no stalled watch. */
  stalled?: StalledWatch;
  /** Names orders nobody typed a name for (customer_names.ts); absent: only typed names. */
  names?: CustomerNames;
}

function actorOf(identity: Identity): Actor {
  return isStaffOrServer(identity) ? "staff" : "customer";
}

function lifecycleOf(row: OrderRow): Lifecycle {
  const lifecycle = LIFECYCLES[row.lifecycle];
  if (!lifecycle)
    throw new SwitchboardError(
      "internal",
      `order ${row.id} has unknown lifecycle ${row.lifecycle}`,
    );
  return lifecycle;
}

/** The order's price as events and views carry it (both fields or neither). */
function priceOf(row: OrderRow): { amountMinor?: number; currency?: string } {
  return row.amount_minor !== null && row.currency !== null
    ? { amountMinor: Number(row.amount_minor), currency: row.currency }
    : {};
}

function summary(row: OrderRow): OrderSnapshot {
  const lifecycle = lifecycleOf(row);
  return {
    id: row.id,
    lifecycle: row.lifecycle,
    customerId: row.customer_id,
    ...(row.customer_name !== null && { customerName: row.customer_name }),
    ...(row.title !== null && { title: row.title }),
    ...priceOf(row),
    details: JSON.parse(row.details) as Record<string, unknown>,
    status: row.status,
    statusLabel: stateOf(lifecycle, row.status)?.label ?? row.status,
    progress: row.progress,
    ...(row.eta !== null && { eta: row.eta }),
    ...(row.location !== null && { location: row.location }),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function historyEntry(h: OrderHistoryRow): HistoryEntry {
  return {
    from: h.from_status,
    to: h.to_status,
    at: h.at,
    by: h.by,
    ...(h.note !== null && { note: h.note }),
    ...(h.eta !== null && { eta: h.eta }),
    ...(h.location !== null && { location: h.location }),
  };
}

function allowedFor(row: OrderRow, identity: Identity) {
  return transitionsFrom(lifecycleOf(row), row.status, actorOf(identity)).map((t) => ({
    to: t.to,
    ...(t.action && { action: t.action }),
  }));
}

/**
 * What a committed change announces: its order's channel (the tracker), the staff board, and the
 * customer's own channel, where "my orders" hears of a new order and follows all of them on one
 * subscription.
 */
function messagesFor(
  row: OrderRow,
  change: StatusChange,
  kind: "created" | "status",
): OutboxMessage[] {
  const order = summary(row);
  const messages: OutboxMessage[] = [
    {
      channel: orderChannel(row.id),
      event: "status",
      data: change,
      key: `order:${row.id}:v${row.version}`,
    },
    {
      channel: STAFF_ORDERS_CHANNEL,
      event: "order",
      data: { type: kind, order, change },
      key: `board:${row.id}:v${row.version}`,
    },
  ];
  // A customer id no channel can carry would block the outbox behind it: that customer reloads.
  const mine = customerChannel(row.customer_id);
  if (isValidChannel(mine))
    messages.push({
      channel: mine,
      event: "order",
      data: { type: kind, order },
      key: `mine:${row.id}:v${row.version}`,
    });
  return messages;
}

/** Orders and bookings: no HTTP, no sockets; REST routes and rpc methods both call these. */
export function createOrdersService(deps: OrdersDeps) {
  const { db, outbox, events } = deps;

  async function load(id: string): Promise<OrderRow> {
    const row = await db.selectFrom("orders").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no order ${id}`);
    return row;
  }

  function assertCanSee(identity: Identity, row: OrderRow): void {
    if (actorOf(identity) === "staff" || row.customer_id === identity.user) return;
    throw new SwitchboardError("forbidden", "this order belongs to another customer");
  }

  /** `q`: the transaction, when the view is taken inside one (see InTransaction). */
  async function view(row: OrderRow, identity: Identity, q: Kysely<Database> = db): Promise<Order> {
    const history = await q
      .selectFrom("order_history")
      .selectAll()
      .where("order_id", "=", row.id)
      .orderBy("version")
      .execute();
    return {
      ...summary(row),
      allowed: allowedFor(row, identity),
      history: history.map(historyEntry),
    };
  }

  function announce(row: OrderRow, change: StatusChange): void {
    events.local.emit("order.status_changed", { order: summary(row), change });
  }

  return {
    lifecycles(): Lifecycle[] {
      return Object.values(LIFECYCLES);
    },

    async create(
      identity: Identity,
      input: CreateOrderInput,
      also?: InTransaction<Order>,
    ): Promise<Order> {
      if (actorOf(identity) !== "staff")
        throw new SwitchboardError("forbidden", "only staff or the API key create orders");
      if (!deps.settings.lifecycles.includes(input.lifecycle))
        throw new SwitchboardError(
          "bad_request",
          `lifecycle ${input.lifecycle} is not offered here (offered: ${deps.settings.lifecycles.join(", ")})`,
        );
      const lifecycle = LIFECYCLES[input.lifecycle] as Lifecycle;
      const state = stateOf(lifecycle, lifecycle.initial);
      const at = now();
      const row: OrderRow = {
        id: ulid(),
        lifecycle: lifecycle.name,
        customer_id: input.customerId,
        customer_name: input.customerName ?? null,
        title: input.title ?? null,
        amount_minor: input.amountMinor ?? null,
        currency: input.currency ?? null,
        details: JSON.stringify(input.details ?? {}),
        status: lifecycle.initial,
        progress: state?.progress ?? 0,
        eta: input.eta ?? null,
        location: null,
        version: 1,
        created_at: at,
        updated_at: at,
      };
      const change: StatusChange = {
        id: row.id,
        from: null,
        to: row.status,
        progress: row.progress,
        ...(row.eta && { eta: row.eta }),
        at,
        by: whoOf(identity),
        version: 1,
      };
      const ids = await db.transaction().execute(async (trx) => {
        // no name typed: the one the customer goes by, if the server has heard it
        if (input.customerName)
          await deps.names?.fromStaff(trx, row.customer_id, input.customerName);
        else row.customer_name = (await deps.names?.nameOf(trx, row.customer_id)) ?? null;
        await trx.insertInto("orders").values(row).execute();
        await trx
          .insertInto("order_history")
          .values({
            order_id: row.id,
            version: 1,
            from_status: null,
            to_status: row.status,
            at,
            by: change.by,
            note: null,
            eta: row.eta,
            location: null,
          })
          .execute();
        const created: OrderCreated = {
          orderId: row.id,
          customerId: row.customer_id,
          lifecycle: row.lifecycle,
          status: row.status,
          ...(row.title !== null && { title: row.title }),
          ...(row.eta !== null && { eta: row.eta }),
          ...priceOf(row),
          version: 1,
          at,
          by: change.by,
        };
        await events.emit(trx, {
          type: ORDER_EVENTS.created,
          aggregate: orderChannel(row.id),
          payload: created,
        });
        await deps.stalled?.arm(trx, row);
        if (also) await also(trx, await view(row, identity, trx));
        return outbox.enqueue(trx, messagesFor(row, change, "created"));
      });
      await outbox.flush(ids);
      announce(row, change);
      return view(row, identity);
    },

    async get(identity: Identity, id: string): Promise<Order> {
      const row = await load(id);
      assertCanSee(identity, row);
      return view(row, identity);
    },

    async list(identity: Identity, query: ListOrdersQuery): Promise<OrderPage> {
      const customerId = actorOf(identity) === "staff" ? query.customerId : identity.user;
      let q = db.selectFrom("orders").selectAll();
      if (customerId) q = q.where("customer_id", "=", customerId);
      if (query.status) q = q.where("status", "=", query.status);
      if (query.lifecycle) q = q.where("lifecycle", "=", query.lifecycle);
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      return {
        items: rows.map((r) => ({ ...summary(r), allowed: allowedFor(r, identity) })),
        ...(nextCursor !== undefined && { nextCursor }),
      };
    },

    /**
     * Moves an order to another status if its lifecycle and the caller's role allow it.
     * Optimistic: the update only applies at the version that was validated, so of two racing
     * callers exactly one wins; the other is re-validated against the new state.
     */
    async transition(
      identity: Identity,
      id: string,
      input: TransitionInput & {
        /** In-process callers only (never a request body): the quote this move is for. */
        quote?: OrderQuoteRef;
      },
      also?: InTransaction<Order>,
    ): Promise<Order> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = await load(id);
        assertCanSee(identity, row);
        if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
          throw new SwitchboardError(
            "conflict",
            `order is at version ${row.version}, not ${input.expectedVersion}`,
            {
              details: { version: row.version, status: row.status },
            },
          );
        }
        const lifecycle = lifecycleOf(row);
        const actor = actorOf(identity);
        // ETA and location are the shop's word: a customer taking a transition (cancel,
        // approve) moves the status only.
        if (actor === "customer" && (input.eta !== undefined || input.location !== undefined))
          throw new SwitchboardError("forbidden", "only staff set an order's eta and location", {
            details: { fields: ["eta", "location"] },
          });
        const allowed = transitionsFrom(lifecycle, row.status, actor).map((t) => t.to);
        const candidates = transitionsFrom(lifecycle, row.status).filter((t) => t.to === input.to);
        if (candidates.length === 0) {
          throw new SwitchboardError(
            "invalid_transition",
            `${row.lifecycle} cannot go from ${row.status} to ${input.to}`,
            {
              details: { from: row.status, to: input.to, allowed },
            },
          );
        }
        if (!candidates.some((t) => t.by.includes(actor))) {
          throw new SwitchboardError(
            "forbidden",
            `a ${actor} cannot move this order from ${row.status} to ${input.to}`,
            {
              details: { from: row.status, to: input.to, allowed },
            },
          );
        }
        const state = stateOf(lifecycle, input.to);
        const at = now();
        const next: OrderRow = {
          ...row,
          status: input.to,
          progress: state?.progress ?? row.progress,
          eta: input.eta === null ? null : (input.eta ?? row.eta),
          location: input.location ?? row.location,
          version: row.version + 1,
          updated_at: at,
        };
        const change: StatusChange = {
          id,
          from: row.status,
          to: next.status,
          progress: next.progress,
          ...(next.eta && { eta: next.eta }),
          ...(input.note && { note: input.note }),
          ...(input.location && { location: input.location }),
          at,
          by: whoOf(identity),
          version: next.version,
        };
        try {
          const ids = await db.transaction().execute(async (trx) => {
            const updated = await trx
              .updateTable("orders")
              .set({
                status: next.status,
                progress: next.progress,
                eta: next.eta,
                location: next.location,
                version: next.version,
                updated_at: at,
              })
              .where("id", "=", id)
              .where("version", "=", row.version)
              .executeTakeFirst();
            expectOne(updated);
            await trx
              .insertInto("order_history")
              .values({
                order_id: id,
                version: next.version,
                from_status: row.status,
                to_status: next.status,
                at,
                by: change.by,
                note: input.note ?? null,
                eta: input.eta ?? null,
                location: input.location ?? null,
              })
              .execute();
            const changed: OrderStatusChangedEvent = {
              orderId: id,
              customerId: next.customer_id,
              lifecycle: next.lifecycle,
              from: row.status,
              to: next.status,
              toLabel: stateOf(lifecycle, next.status)?.label ?? next.status,
              version: next.version,
              ...(next.eta !== null && { eta: next.eta }),
              ...(next.title !== null && { title: next.title }),
              ...priceOf(next),
              ...(input.quote && { quote: input.quote }),
              ...(input.note && { note: input.note }),
              at,
              by: change.by,
            };
            await events.emit(trx, {
              type: ORDER_EVENTS.statusChanged,
              aggregate: orderChannel(id),
              payload: changed,
            });
            await deps.stalled?.arm(trx, next);
            if (also) await also(trx, await view(next, identity, trx));
            return outbox.enqueue(trx, messagesFor(next, change, "status"));
          });
          await outbox.flush(ids);
          announce(next, change);
          return view(next, identity);
        } catch (error) {
          if (error instanceof ConditionalMiss) continue; // someone else moved it: validate again
          throw error;
        }
      }
      throw new SwitchboardError("conflict", "the order kept changing; retry");
    },

    /** Publishes rows written in someone else's transaction, once it has committed. */
    flush: (ids: string[]) => outbox.flush(ids),

    /**
     * The order of a confirmed booking (drop-off → repair-booking, test drive → test-drive), in
     * the durable handler's transaction: made in the lifecycle's `confirmed` state, with the
     * appointment's id. Null when it exists already (a repeated event) or the lifecycle is off.
     */
    async createFromAppointment(
      trx: Transaction<Database>,
      booked: AppointmentBooked,
      lifecycleName: string,
    ): Promise<{ id: string; status: string; ids: string[] } | null> {
      const lifecycle = LIFECYCLES[lifecycleName];
      if (!lifecycle || !deps.settings.lifecycles.includes(lifecycleName)) return null;
      const id = booked.appointmentId;
      const exists = await trx
        .selectFrom("orders")
        .select("id")
        .where("id", "=", id)
        .executeTakeFirst();
      if (exists) return null;
      const status = stateOf(lifecycle, "confirmed") ? "confirmed" : lifecycle.initial;
      const at = now();
      const by = "appointments";
      const title = [booked.serviceName, booked.resourceName].filter(Boolean).join(" · ");
      const row: OrderRow = {
        id,
        lifecycle: lifecycle.name,
        customer_id: booked.customerId,
        customer_name: (await deps.names?.nameOf(trx, booked.customerId)) ?? null,
        title: title || null,
        amount_minor: null,
        currency: null,
        details: JSON.stringify({
          appointmentId: booked.appointmentId,
          serviceId: booked.serviceId,
          resourceId: booked.resourceId,
          startsAt: booked.startsAt,
          ...(booked.endsAt && { endsAt: booked.endsAt }),
          ...(booked.timeZone && { timeZone: booked.timeZone }),
          appointment: appointmentLink(booked),
        }),
        status,
        progress: stateOf(lifecycle, status)?.progress ?? 0,
        eta: null,
        location: null,
        version: 1,
        created_at: at,
        updated_at: at,
      };
      const change: StatusChange = {
        id,
        from: null,
        to: status,
        progress: row.progress,
        at,
        by,
        version: 1,
      };
      await trx.insertInto("orders").values(row).execute();
      await trx
        .insertInto("order_history")
        .values({
          order_id: id,
          version: 1,
          from_status: null,
          to_status: status,
          at,
          by,
          note: "booked by appointment",
          eta: null,
          location: null,
        })
        .execute();
      const created: OrderCreated = {
        orderId: id,
        customerId: row.customer_id,
        lifecycle: row.lifecycle,
        status,
        ...(row.title !== null && { title: row.title }),
        version: 1,
        at,
        by,
      };
      await events.emit(trx, {
        type: ORDER_EVENTS.created,
        aggregate: orderChannel(id),
        payload: created,
      });
      await deps.stalled?.arm(trx, row);
      const ids = await outbox.enqueue(trx, messagesFor(row, change, "created"));
      return { id, status, ids };
    },

    /**
     * A booking that made an order was cancelled: the order goes to `cancelled` if its
     * lifecycle lets it from where it is (not once the device is in the shop). Null otherwise.
     */
    async cancelFromAppointment(
      trx: Transaction<Database>,
      booked: AppointmentBooked,
    ): Promise<{ id: string; status: string; ids: string[] } | null> {
      const row = await trx
        .selectFrom("orders")
        .selectAll()
        .where("id", "=", booked.appointmentId)
        .executeTakeFirst();
      if (!row) return null;
      const lifecycle = lifecycleOf(row);
      const allowed = transitionsFrom(lifecycle, row.status, "customer").some(
        (t) => t.to === "cancelled",
      );
      if (!allowed) return null;
      const at = now();
      const next: OrderRow = {
        ...row,
        status: "cancelled",
        progress: stateOf(lifecycle, "cancelled")?.progress ?? row.progress,
        version: row.version + 1,
        updated_at: at,
      };
      const change: StatusChange = {
        id: row.id,
        from: row.status,
        to: next.status,
        progress: next.progress,
        note: "appointment cancelled",
        at,
        by: "appointments",
        version: next.version,
      };
      expectOne(
        await trx
          .updateTable("orders")
          .set({
            status: next.status,
            progress: next.progress,
            version: next.version,
            updated_at: at,
          })
          .where("id", "=", row.id)
          .where("version", "=", row.version)
          .executeTakeFirst(),
      );
      await trx
        .insertInto("order_history")
        .values({
          order_id: row.id,
          version: next.version,
          from_status: row.status,
          to_status: next.status,
          at,
          by: change.by,
          note: change.note ?? null,
          eta: null,
          location: null,
        })
        .execute();
      const changed: OrderStatusChangedEvent = {
        orderId: row.id,
        customerId: row.customer_id,
        lifecycle: row.lifecycle,
        from: row.status,
        to: next.status,
        toLabel: stateOf(lifecycle, next.status)?.label ?? next.status,
        version: next.version,
        ...(row.title !== null && { title: row.title }),
        note: "appointment cancelled",
        at,
        by: change.by,
      };
      await events.emit(trx, {
        type: ORDER_EVENTS.statusChanged,
        aggregate: orderChannel(row.id),
        payload: changed,
      });
      await deps.stalled?.arm(trx, next);
      const ids = await outbox.enqueue(trx, messagesFor(next, change, "status"));
      return { id: row.id, status: next.status, ids };
    },

    /**
     * Records an appointment of an order in its details (`appointment` for the booking that made
     * it, `pickup` for a repair's pickup), in the durable handler's transaction, and announces it
     * on order:{id}. The order's status and version stay: this is what the order shows, not a
     * step of its lifecycle. Null when the order is not this customer's, or the details already
     * reflect this version of the appointment or a later one (a repeated or late event).
     */
    async linkAppointment(
      trx: Transaction<Database>,
      orderId: string,
      role: OrderAppointmentEvent["role"],
      booked: AppointmentBooked,
    ): Promise<{ details: string; ids: string[] } | null> {
      const row = await trx
        .selectFrom("orders")
        .select(["id", "customer_id", "details"])
        .where("id", "=", orderId)
        .executeTakeFirst();
      if (!row || row.customer_id !== booked.customerId) return null;
      const details = JSON.parse(row.details) as Record<string, unknown>;
      const key = role === "booking" ? "appointment" : "pickup";
      const known = details[key] as Partial<OrderAppointment> | undefined;
      const link = appointmentLink(booked);
      if (
        known?.appointmentId === link.appointmentId &&
        (known.version ?? 0) >= (link.version ?? 0)
      )
        return null;
      const next = {
        ...details,
        [key]: link,
        // the booking's flat fields (what the order was made with) follow the appointment too
        ...(role === "booking" && {
          startsAt: link.startsAt,
          ...(link.endsAt && { endsAt: link.endsAt }),
          resourceId: link.resourceId,
        }),
      };
      const text = JSON.stringify(next);
      await trx.updateTable("orders").set({ details: text }).where("id", "=", orderId).execute();
      const event: OrderAppointmentEvent = { orderId, role, appointment: link, at: now() };
      const ids = await outbox.enqueue(trx, [
        {
          channel: orderChannel(orderId),
          event: "appointment",
          data: event,
          key: `order:${orderId}:${key}:${link.appointmentId}:v${link.version ?? 0}:${link.status}`,
        },
      ]);
      return { details: text, ids };
    },

    /** Whether this user may read order:{id} (its customer, or staff). */
    async canFollow(identity: Identity, id: string): Promise<boolean> {
      if (actorOf(identity) === "staff") return true;
      const row = await db
        .selectFrom("orders")
        .select("customer_id")
        .where("id", "=", id)
        .executeTakeFirst();
      return row?.customer_id === identity.user;
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
