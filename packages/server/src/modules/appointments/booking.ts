import type { Kysely, Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import type { InTransaction } from "../../store/in-transaction.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { findOrder } from "../orders/index.js";
import { appointmentView, messagesFor, type SlotMove } from "./announce.js";
import { ACTIVE, type Availability, isSlotStart, shapeOf } from "./availability.js";
import { claimRange, dayIn, isoUtc, sessionOf } from "./calendar.js";
import type { Catalog, LoadedResource } from "./catalog.js";
import { claimBlocks, releaseBlocks } from "./claims.js";
import type { AppointmentsSettings } from "./config.js";
import type { Appointment, AppointmentEvent, AppointmentPage } from "./contract.js";
import { createHoldBatches, retryable } from "./hold_batch.js";
import type { AppointmentRow, AppointmentServiceRow } from "./migrations.js";
import { refusal } from "./precompiled.js";
import type { HoldInput, ListAppointmentsQuery, RescheduleInput } from "./schema.js";
import { RecentlyTaken } from "./taken.js";

/**
 * What else a booking change does in its own transaction: durable domain events, the hold's
 * expiry task and the reminders (durable.ts). Kept apart so the booking logic reads on its own.
 */
export interface BookingHooks {
  changed?(
    trx: Transaction<Database>,
    type: AppointmentEvent["type"],
    row: AppointmentRow,
    previous?: AppointmentRow,
  ): Promise<void>;
  /**
   * The holds a batch won, once, in its transaction: what `changed(…, "held", …)` does for each,
   * in one go (one multi-row expiry-task insert instead of a statement per hold). When given,
   * the batch calls this instead of `changed` for its holds.
   */
  heldAll?(trx: Transaction<Database>, rows: readonly AppointmentRow[]): Promise<void>;
}

export interface BookingDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  settings: AppointmentsSettings;
  catalog: Catalog;
  availability: Availability;
  hooks?: BookingHooks;
  /** PostgreSQL runs a few hold batches side by side; SQLite one (one writer). */
  dialect?: "sqlite" | "postgres";
}

/** Changes that give time back (rescheduled: the old time). */
const FREES = new Set<AppointmentEvent["type"]>([
  "released",
  "cancelled",
  "rescheduled",
  "expired",
]);

/** Extra conditions of a change's update, beyond the version it read. */
interface Guard {
  status?: readonly string[];
  expiresAfter?: string;
  expiresBy?: string;
}

/** Holds, bookings and their changes. Every change is one transaction with its claims. */
export function createBooking(deps: BookingDeps) {
  const { db, outbox, settings, catalog, availability } = deps;
  const recentlyTaken = new RecentlyTaken(settings.takenCacheMs);
  const submitHold = createHoldBatches({
    db,
    outbox,
    hooks: deps.hooks,
    lanes: deps.dialect === "postgres" ? 4 : 1,
    taken: recentlyTaken,
  });

  async function tx<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().execute(fn);
      } catch (error) {
        if (attempt < 4 && retryable(error)) continue;
        throw error;
      }
    }
  }

  async function load(id: string): Promise<AppointmentRow> {
    const row = await db
      .selectFrom("appointments")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no appointment ${id}`);
    return row;
  }

  function assertCanSee(identity: Identity, row: AppointmentRow): void {
    if (isStaffOrServer(identity) || row.customer_id === identity.user) return;
    throw new SwitchboardError("forbidden", "this appointment belongs to another customer");
  }

  function assertCustomerMayChange(identity: Identity, row: AppointmentRow): void {
    if (isStaffOrServer(identity) || row.status === "held") return;
    const left = Date.parse(row.starts_at) - Date.now();
    if (left < settings.changeWindowMs)
      throw new SwitchboardError(
        "too_late_to_change",
        `customers may change an appointment until ${settings.changeWindowMs / 60_000} minutes before it starts`,
        { details: { windowMinutes: settings.changeWindowMs / 60_000 } },
      );
  }

  function invalidState(row: AppointmentRow, what: string): SwitchboardError {
    if (row.status === "expired" || row.status === "released")
      return new SwitchboardError("hold_expired", `the hold on ${row.id} is ${row.status}`, {
        details: { status: row.status },
      });
    return new SwitchboardError(
      "invalid_state",
      `cannot ${what} an appointment that is ${row.status}`,
      {
        details: { status: row.status },
      },
    );
  }

  /** Where a service can start at `startMs`: the resources whose slot grid has it, best first. */
  async function placesFor(
    service: AppointmentServiceRow,
    startMs: number,
    resourceId: string | undefined,
  ): Promise<LoadedResource[]> {
    let resources: LoadedResource[];
    if (resourceId) {
      const r = await catalog.requireResource(resourceId);
      if (!r.services.includes(service.id))
        throw new SwitchboardError("service_not_offered", `${r.id} does not offer ${service.id}`);
      resources = [r];
    } else {
      resources = await catalog.offering(service.id);
      if (resources.length === 0)
        throw new SwitchboardError("service_not_offered", `no resource offers ${service.id}`);
    }
    const shape = shapeOf(service, settings.slotStepMinutes);
    const nowMs = Date.now();
    const fits = resources.filter((r) =>
      isSlotStart(r, dayIn(startMs, r.timeZone), shape, startMs, nowMs),
    );
    if (fits.length === 0)
      throw new SwitchboardError(
        "outside_hours",
        `${isoUtc(startMs)} is not a slot of ${resourceId ?? "any resource offering"} ${service.id}`,
      );
    return availability.candidates(
      fits,
      fits.map((r) => dayIn(startMs, r.timeZone)),
    );
  }

  /** The row of a booking of `service` at `startMs` on `resource` (its claim range, its day). */
  function placed(
    base: Omit<
      AppointmentRow,
      | "resource_id"
      | "starts_at"
      | "ends_at"
      | "time_zone"
      | "day"
      | "claim_from"
      | "claim_to"
      | "session"
    >,
    service: AppointmentServiceRow,
    resource: LoadedResource,
    startMs: number,
  ): AppointmentRow {
    const [claim_from, claim_to] = claimRange(startMs, shapeOf(service, settings.slotStepMinutes));
    return {
      ...base,
      resource_id: resource.id,
      starts_at: isoUtc(startMs),
      ends_at: isoUtc(startMs + service.duration_minutes * 60_000),
      time_zone: resource.timeZone,
      day: dayIn(startMs, resource.timeZone),
      claim_from,
      claim_to,
      session: sessionOf(service.id, startMs),
    };
  }

  async function claim(
    trx: Transaction<Database>,
    row: AppointmentRow,
    capacity: number,
  ): Promise<void> {
    if (
      !(await claimBlocks(
        trx,
        row.resource_id,
        [row.claim_from, row.claim_to],
        row.session,
        capacity,
      ))
    )
      throw new SwitchboardError("slot_taken", `${row.starts_at} on ${row.resource_id} is taken`, {
        details: { resourceId: row.resource_id, start: row.starts_at },
      });
  }

  async function release(trx: Transaction<Database>, row: AppointmentRow): Promise<void> {
    await releaseBlocks(
      trx,
      row.resource_id,
      [Number(row.claim_from), Number(row.claim_to)],
      row.session,
    );
  }

  /**
   * One status change of a row at the version read: the update, what it does to the claims, the
   * announcements, the hooks, all in one transaction. A version that moved meanwhile is a
   * ConditionalMiss for the caller to read again.
   */
  async function change(
    row: AppointmentRow,
    next: AppointmentRow,
    type: AppointmentEvent["type"],
    work: (trx: Transaction<Database>) => Promise<SlotMove[]>,
    also?: InTransaction<Appointment>,
    guard: Guard = {},
  ): Promise<Appointment> {
    const ids = await tx((trx) => write(trx, row, next, type, work, also, guard));
    // committed: a time given back is read again here at once
    if (FREES.has(type)) recentlyTaken.forget(row.resource_id);
    await outbox.flush(ids);
    return appointmentView(next);
  }

  /** The body of a change inside a transaction; resolves with its outbox rows (flush after commit). */
  async function write(
    trx: Transaction<Database>,
    row: AppointmentRow,
    next: AppointmentRow,
    type: AppointmentEvent["type"],
    work: (trx: Transaction<Database>) => Promise<SlotMove[]>,
    also?: InTransaction<Appointment>,
    guard: Guard = {},
  ): Promise<string[]> {
    const at = next.updated_at;
    {
      let q = trx
        .updateTable("appointments")
        .set({
          status: next.status,
          resource_id: next.resource_id,
          starts_at: next.starts_at,
          ends_at: next.ends_at,
          time_zone: next.time_zone,
          day: next.day,
          claim_from: next.claim_from,
          claim_to: next.claim_to,
          session: next.session,
          expires_at: next.expires_at,
          ...(next.checked_in_at !== undefined && { checked_in_at: next.checked_in_at }),
          version: next.version,
          updated_at: at,
        })
        .where("id", "=", row.id)
        .where("version", "=", row.version);
      if (guard.status) q = q.where("status", "in", guard.status);
      if (guard.expiresAfter) q = q.where("expires_at", ">", guard.expiresAfter);
      if (guard.expiresBy) q = q.where("expires_at", "<=", guard.expiresBy);
      expectOne(await q.executeTakeFirst());
      const moves = await work(trx);
      await deps.hooks?.changed?.(trx, type, next, row);
      if (also) await also(trx, appointmentView(next));
      return outbox.enqueue(trx, messagesFor(type, next, moves, at));
    }
  }

  /** Reads the row and applies `attempt` until it is not beaten by a concurrent change. */
  async function withRow(
    id: string,
    attempt: (row: AppointmentRow) => Promise<Appointment>,
  ): Promise<Appointment> {
    for (let i = 0; i < 5; i++) {
      try {
        return await attempt(await load(id));
      } catch (error) {
        if (error instanceof ConditionalMiss) continue;
        throw error;
      }
    }
    throw new SwitchboardError("conflict", "the appointment kept changing; retry");
  }

  /**
   * A booking may name the order it serves only when it is a pickup of one of this customer's
   * orders: orders then shows it (from the durable events) and keeps it in step.
   */
  async function assertOrderLink(
    service: AppointmentServiceRow,
    orderId: string,
    customerId: string,
  ): Promise<void> {
    if (service.purpose !== "pickup")
      throw new SwitchboardError(
        "unknown_order",
        `${service.id} is not a pickup service: a booking of it serves no order`,
      );
    const order = await findOrder(db, orderId);
    if (!order || order.customerId !== customerId)
      throw new SwitchboardError("unknown_order", `no order ${orderId} of ${customerId}`);
  }

  const servicesOf = async (resourceId: string) =>
    (await catalog.resource(resourceId))?.services ?? [];

  return {
    async hold(
      identity: Identity,
      input: HoldInput,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      const staff = isStaffOrServer(identity);
      if (staff && !input.customerId)
        throw new SwitchboardError("bad_request", "staff booking for a customer give customerId");
      if (!staff && input.customerId !== undefined && input.customerId !== identity.user)
        throw new SwitchboardError("forbidden", "a customer books for themself");
      const customerId = staff ? (input.customerId as string) : identity.user;
      const service = await catalog.requireService(input.service);
      if (input.orderId !== undefined) await assertOrderLink(service, input.orderId, customerId);
      const startMs = Date.parse(input.start);
      const places = await placesFor(service, startMs, input.resourceId);
      const taken = () =>
        refusal(
          "slot_taken",
          `${isoUtc(startMs)} is taken on ${input.resourceId ?? `every resource offering ${service.id}`}`,
          { start: isoUtc(startMs), ...(input.resourceId && { resourceId: input.resourceId }) },
        );
      // A time this node knows is taken is refused before anything is built for it (id, times,
      // day): under a rush for one slot nearly every request ends here.
      const [claim_from, claim_to] = claimRange(
        startMs,
        shapeOf(service, settings.slotStepMinutes),
      );
      const session = sessionOf(service.id, startMs);
      const unknown = places.filter(
        (r) => !recentlyTaken.has({ resource_id: r.id, claim_from, claim_to, session }),
      );
      if (unknown.length === 0) throw taken();
      const at = now();
      const base = {
        id: ulid(),
        service_id: service.id,
        customer_id: customerId,
        order_id: input.orderId ?? null,
        status: "held",
        expires_at: isoUtc(Date.now() + settings.holdMs),
        version: 1,
        created_at: at,
        updated_at: at,
      };
      // Then one read each, without a write transaction; what passes is decided by the claims.
      const open: { row: AppointmentRow; services: string[] }[] = [];
      for (const resource of unknown) {
        const place = {
          row: placed(base, service, resource, startMs),
          services: resource.services,
        };
        if (await availability.looksFree(place.row)) open.push(place);
        else recentlyTaken.remember(place.row);
      }
      if (open.length === 0) throw taken();
      try {
        const row = await submitHold({ places: open, capacity: service.capacity, also });
        return appointmentView(row);
      } catch (error) {
        // lost the race for it: the next ones are refused from memory for a moment
        if (error instanceof SwitchboardError && error.code === "slot_taken")
          for (const place of open) recentlyTaken.remember(place.row);
        throw error;
      }
    },

    /** Makes a hold a booking. Its claims are already in place; the hold must not have run out. */
    async confirm(
      identity: Identity,
      id: string,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      return withRow(id, async (row) => {
        assertCanSee(identity, row);
        if (row.status === "confirmed") return appointmentView(row);
        if (row.status !== "held") throw invalidState(row, "confirm");
        const at = now();
        if ((row.expires_at ?? "") <= at)
          throw new SwitchboardError(
            "hold_expired",
            `the hold on ${row.id} ran out at ${row.expires_at}`,
            {
              details: { status: "expired" },
            },
          );
        const next: AppointmentRow = {
          ...row,
          status: "confirmed",
          expires_at: null,
          version: Number(row.version) + 1,
          updated_at: at,
        };
        return change(row, next, "confirmed", async () => [], also, {
          status: ["held"],
          expiresAfter: at,
        });
      });
    },

    /** Gives a hold back before it runs out. */
    async release(
      identity: Identity,
      id: string,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      return withRow(id, async (row) => {
        assertCanSee(identity, row);
        if (row.status !== "held") throw invalidState(row, "release");
        const next: AppointmentRow = {
          ...row,
          status: "released",
          version: Number(row.version) + 1,
          updated_at: now(),
        };
        const services = await servicesOf(row.resource_id);
        return change(
          row,
          next,
          "released",
          async (trx) => {
            await release(trx, row);
            return [{ type: "freed", reason: "released", row, services }];
          },
          also,
        );
      });
    },

    async cancel(
      identity: Identity,
      id: string,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      return withRow(id, async (row) => {
        assertCanSee(identity, row);
        if (row.status !== "held" && row.status !== "confirmed") throw invalidState(row, "cancel");
        assertCustomerMayChange(identity, row);
        const next: AppointmentRow = {
          ...row,
          status: "cancelled",
          version: Number(row.version) + 1,
          updated_at: now(),
        };
        const services = await servicesOf(row.resource_id);
        return change(
          row,
          next,
          "cancelled",
          async (trx) => {
            await release(trx, row);
            return [{ type: "freed", reason: "cancelled", row, services }];
          },
          also,
        );
      });
    },

    /**
     * Moves a booking to another start (and resource). Atomic: the old time is freed and the new
     * one claimed in one transaction, so the booking is never lost nor held twice; if the new time
     * is taken, nothing changes (409 slot_taken).
     */
    async reschedule(
      identity: Identity,
      id: string,
      input: RescheduleInput,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      return withRow(id, async (row) => {
        assertCanSee(identity, row);
        if (row.status !== "confirmed" && row.status !== "held")
          throw invalidState(row, "reschedule");
        assertCustomerMayChange(identity, row);
        const service = await catalog.requireService(row.service_id);
        const startMs = Date.parse(input.start);
        const [resource] = await placesFor(service, startMs, input.resourceId ?? row.resource_id);
        const at = now();
        const next = placed(
          { ...row, version: Number(row.version) + 1, updated_at: at },
          service,
          resource as LoadedResource,
          startMs,
        );
        const oldServices = await servicesOf(row.resource_id);
        return change(
          row,
          next,
          "rescheduled",
          async (trx) => {
            await release(trx, row);
            await claim(trx, next, service.capacity);
            return [
              { type: "freed", reason: "rescheduled", row, services: oldServices },
              {
                type: "taken",
                reason: "rescheduled",
                row: next,
                services: (resource as LoadedResource).services,
              },
            ];
          },
          also,
          { status: ACTIVE },
        );
      });
    },

    /**
     * Staff saw the customer arrive: a confirmed booking becomes checked_in (its time stays
     * taken; its reminders are dropped; it can no longer be a no-show). Again on a checked-in one
     * answers it as it is, with no second event: two staff pressing at once make one change (the
     * version guard), the loser reads it checked in and answers the same.
     */
    async checkIn(
      identity: Identity,
      id: string,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff check customers in");
      return withRow(id, async (row) => {
        if (row.status === "checked_in") return appointmentView(row);
        if (row.status !== "confirmed") throw invalidState(row, "check in");
        const at = now();
        const next: AppointmentRow = {
          ...row,
          status: "checked_in",
          checked_in_at: at,
          version: Number(row.version) + 1,
          updated_at: at,
        };
        return change(row, next, "checked_in", async () => [], also, { status: ["confirmed"] });
      });
    },

    /** Staff mark a booking whose start has passed as a no-show (its time stays taken: it is past). */
    async noShow(
      identity: Identity,
      id: string,
      also?: InTransaction<Appointment>,
    ): Promise<Appointment> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff mark no-shows");
      return withRow(id, async (row) => {
        if (row.status !== "confirmed") throw invalidState(row, "mark as a no-show");
        if (Date.parse(row.starts_at) > Date.now())
          throw new SwitchboardError("invalid_state", "the appointment has not started yet", {
            details: { status: row.status, start: row.starts_at },
          });
        const next: AppointmentRow = {
          ...row,
          status: "no_show",
          version: Number(row.version) + 1,
          updated_at: now(),
        };
        return change(row, next, "no_show", async () => [], also);
      });
    },

    /**
     * Frees a hold whose time ran out, in the transaction of the scheduler's hold-expiry task (so
     * the task is done exactly when the hold is expired). A conditional update (`status = 'held'
     * AND expires_at <= now`): a confirm racing it never both win. Resolves with what happened
     * and the outbox rows to flush once the task has committed.
     */
    async expireIn(
      trx: Transaction<Database>,
      id: string,
    ): Promise<{
      outcome: "expired" | "early" | "gone";
      ids: string[];
      expiresAt?: string;
      resourceId?: string;
    }> {
      const row = await trx
        .selectFrom("appointments")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (row?.status !== "held") return { outcome: "gone", ids: [] };
      const at = now();
      if ((row.expires_at ?? "") > at)
        return { outcome: "early", ids: [], expiresAt: row.expires_at as string };
      const resource = await trx
        .selectFrom("appointment_resources")
        .select("services")
        .where("id", "=", row.resource_id)
        .executeTakeFirst();
      const services = resource ? (JSON.parse(resource.services) as string[]) : [];
      const next: AppointmentRow = {
        ...row,
        status: "expired",
        version: Number(row.version) + 1,
        updated_at: at,
      };
      const ids = await write(
        trx,
        row,
        next,
        "expired",
        async (t) => {
          await release(t, row);
          return [{ type: "freed", reason: "expired", row, services }];
        },
        undefined,
        { status: ["held"], expiresBy: at },
      );
      return { outcome: "expired", ids, resourceId: row.resource_id };
    },

    /** Publishes a change's rows once its (someone else's) transaction has committed. */
    flush: (ids: string[]) => outbox.flush(ids),

    /** Time of a resource was freed in a transaction that has now committed (an expiry). */
    freed: (resourceId: string) => recentlyTaken.forget(resourceId),

    async get(identity: Identity, id: string): Promise<Appointment> {
      const row = await load(id);
      assertCanSee(identity, row);
      return appointmentView(row);
    },

    async list(identity: Identity, query: ListAppointmentsQuery): Promise<AppointmentPage> {
      const customerId = isStaffOrServer(identity) ? query.customerId : identity.user;
      let q = db.selectFrom("appointments").selectAll();
      if (customerId) q = q.where("customer_id", "=", customerId);
      if (query.resource) q = q.where("resource_id", "=", query.resource);
      if (query.status) q = q.where("status", "=", query.status);
      if (query.from) q = q.where("starts_at", ">=", isoUtc(Date.parse(query.from)));
      if (query.to) q = q.where("starts_at", "<", isoUtc(Date.parse(query.to)));
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      return { items: rows.map(appointmentView), ...(nextCursor !== undefined && { nextCursor }) };
    },

    load,
  };
}

export type Booking = ReturnType<typeof createBooking>;
