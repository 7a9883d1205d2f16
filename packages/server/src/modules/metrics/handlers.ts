import { sql, type Transaction } from "kysely";
import type { Logger } from "pino";
import type { z } from "zod";
import type { DomainEvent, ModuleEvents } from "../../platform/durable/types.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { raise } from "./alerts.js";
import { MetricsBatch } from "./batch.js";
import { bucketStart, iso } from "./buckets.js";
import type { MetricsSettings } from "./config.js";
import * as p from "./payloads.js";
import type { Fact } from "./rollups.js";

/** What handling one event did: outbox rows to flush after the commit, and whether it is big. */
export interface Handled {
  outboxIds: string[];
  /** A headline figure moved (revenue, orders, bookings, a rating, an alert): publish at once. */
  big: boolean;
}

export interface HandlerDeps {
  events: ModuleEvents;
  outbox: Outbox;
  settings: MetricsSettings;
  logger: Logger;
}

interface Step {
  trx: Transaction<Database>;
  event: DomainEvent;
  /** When it happened: the payload's `at`, else when the event was written. */
  at: number;
  deps: HandlerDeps;
  facts: Fact[];
  /** Where the rollups, customers and feed lines go (written together before the commit). */
  batch: MetricsBatch;
  activity(kind: string, title: string, data: Record<string, unknown>): void;
  customer(id: string | null | undefined): void;
}

type Handler<S extends z.ZodType> = (
  step: Step,
  payload: z.output<S>,
) => Promise<boolean | undefined>;

interface Rule<S extends z.ZodType = z.ZodType> {
  schema: S;
  handle: Handler<S>;
}
const rule = <S extends z.ZodType>(schema: S, handle: Handler<S>): Rule => ({
  schema,
  handle: handle as Handler<z.ZodType>,
});

const agentDim = (agentId: string) => `agent:${agentId}`;
const minutesOf = (from: string, to: string) =>
  Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));
const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`;

/** Adds a sale's revenue and checks the daily goal of the goal's currency. */
async function revenue(s: Step, amount: number, currency: string): Promise<void> {
  if (amount <= 0) return;
  s.facts.push({ kpi: "revenue", dim: currency, value: amount, at: s.at });
  const { settings } = s.deps;
  if (currency !== settings.currency) return;
  const dayStart = bucketStart(s.at, "day", settings.timeZone);
  const day = iso(dayStart);
  const row = await s.trx
    .selectFrom("metrics_rollups")
    .select("sum_value")
    .where("grain", "=", "day")
    .where("kpi", "=", "revenue")
    .where("dim", "=", currency)
    .where("bucket", "=", day)
    .executeTakeFirst();
  // earlier events of the batch are not in the rollups yet
  const pending = s.batch.pendingDay("revenue", currency, dayStart);
  const today = Number(row?.sum_value ?? 0) + pending + amount;
  await raise(
    s.trx,
    s.deps,
    s.event.id,
    "revenue-goal",
    (goal) => goal !== null && today >= goal,
    (goal) => ({
      title: "Daily revenue goal reached",
      body: `Today's revenue is ${money(today, currency)} (goal ${money(goal ?? 0, currency)}).`,
      data: { revenueMinor: today, goalMinor: goal, currency, day },
      at: iso(s.at),
    }),
    `revenue-goal:${day}:${currency}`,
    (line) => s.batch.activity(line),
  );
}

/**
 * Order states that mean the customer of a booking arrived (a drop-off's repair order reaches
 * `device-received`, a test drive's order `checked-in`; both orders carry their appointment's id
 * as their own). Bookings with no order report it through `appointment.checked_in`.
 */
const ARRIVED = new Set(["checked-in", "device-received"]);

async function rememberStart(s: Step, appointmentId: string, startsAt: string): Promise<void> {
  const row = { appointment_id: appointmentId, starts_at: startsAt };
  await s.trx
    .insertInto("metrics_bookings")
    .values(row)
    .onConflict((oc) => oc.column("appointment_id").doUpdateSet({ starts_at: startsAt }))
    .execute();
}

async function forgetStart(s: Step, appointmentId: string): Promise<void> {
  await s.trx.deleteFrom("metrics_bookings").where("appointment_id", "=", appointmentId).execute();
}

const lateness = (s: Step, arrivedAt: number, startsAt: string) => {
  const late = Math.max(0, arrivedAt - Date.parse(startsAt));
  if (Number.isFinite(late)) s.facts.push({ kpi: "lateness", value: late, at: s.at });
};

/**
 * Lateness from the booking's order: how long after its booked start the customer arrived (0 when
 * on time) — unless the booking was already measured (its check-in event came first).
 */
async function arrived(s: Step, orderId: string): Promise<void> {
  const marked = await s.trx
    .updateTable("metrics_bookings")
    .set({ arrived_at: iso(s.at) })
    .where("appointment_id", "=", orderId)
    .where("arrived_at", "is", null)
    .returning("starts_at")
    .executeTakeFirst();
  if (marked) lateness(s, s.at, marked.starts_at);
}

/**
 * Lateness from `appointment.checked_in`, keyed by the appointment: measured unless its order
 * already reported the arrival. The payload has the start itself, so a booking confirmed before
 * metrics heard of it counts too.
 */
async function checkedIn(
  s: Step,
  e: { appointmentId: string; startsAt: string; checkedInAt: string },
): Promise<void> {
  const at = Date.parse(e.checkedInAt);
  const marked = await s.trx
    .insertInto("metrics_bookings")
    .values({ appointment_id: e.appointmentId, starts_at: e.startsAt, arrived_at: iso(at) })
    .onConflict((oc) =>
      oc
        .column("appointment_id")
        .doUpdateSet({ starts_at: e.startsAt, arrived_at: iso(at) })
        .where("metrics_bookings.arrived_at", "is", null),
    )
    .returning("appointment_id")
    .executeTakeFirst();
  if (marked) lateness(s, at, e.startsAt);
}

/**
 * A priced order's revenue, once per order: when it is paid, or when a lifecycle without `paid`
 * completes — unless it was already counted (paid, or priced through approved quotes).
 */
async function orderRevenue(
  s: Step,
  e: { orderId: string; amountMinor?: number | undefined; currency?: string | undefined },
  source: "paid" | "completed",
): Promise<boolean> {
  if (e.amountMinor === undefined || e.currency === undefined) return false;
  const done = await s.trx
    .selectFrom("metrics_order_revenue")
    .select("order_id")
    .where("order_id", "=", e.orderId)
    .executeTakeFirst();
  if (done) return false;
  await s.trx
    .insertInto("metrics_order_revenue")
    .values({
      order_id: e.orderId,
      amount: e.amountMinor,
      currency: e.currency,
      source,
      at: iso(s.at),
    })
    .execute();
  await revenue(s, e.amountMinor, e.currency);
  return true;
}

/** Approved quotes price their order: its completion adds nothing more; a refund takes them back. */
async function quoted(s: Step, orderId: string, amount: number, currency: string): Promise<void> {
  await s.trx
    .insertInto("metrics_order_revenue")
    .values({ order_id: orderId, amount, currency, source: "quote", at: iso(s.at) })
    .onConflict((oc) =>
      oc.column("order_id").doUpdateSet({
        amount: sql<number>`${sql.ref("metrics_order_revenue.amount")} + ${sql.ref("excluded.amount")}`,
      }),
    )
    .execute();
}

/** A refunded order takes back the revenue it counted (nothing if it never counted any). */
async function refund(s: Step, orderId: string): Promise<boolean> {
  const row = await s.trx
    .selectFrom("metrics_order_revenue")
    .select(["amount", "currency"])
    .where("order_id", "=", orderId)
    .executeTakeFirst();
  if (!row) return false;
  await s.trx.deleteFrom("metrics_order_revenue").where("order_id", "=", orderId).execute();
  const amount = Number(row.amount);
  if (amount > 0) s.facts.push({ kpi: "revenue", dim: row.currency, value: -amount, at: s.at });
  s.activity("order.refunded", `Refunded: ${money(amount, row.currency)}`, {
    orderId,
    amountMinor: amount,
    currency: row.currency,
  });
  return amount > 0;
}

/** Event type → what it adds. Handlers read and write only through the step's transaction. */
const RULES: Record<string, Rule> = {
  "order.created": rule(p.orderCreated, async (s, e) => {
    s.facts.push({ kpi: "orders", value: 1, at: s.at });
    s.customer(e.customerId);
    s.activity("order.created", `New order: ${e.title ?? e.orderId}`, { orderId: e.orderId });
    return true;
  }),
  "order.status_changed": rule(p.orderStatusChanged, async (s, e) => {
    let big = false;
    if (ARRIVED.has(e.to)) await arrived(s, e.orderId);
    if (e.to === "paid") big = (await orderRevenue(s, e, "paid")) || big;
    if (e.to === "refunded") big = (await refund(s, e.orderId)) || big;
    if (e.to !== "completed" && e.to !== "delivered") return big;
    s.facts.push({ kpi: "orders_completed", value: 1, at: s.at });
    // a lifecycle without `paid` (a priced repair or test drive): its price counts once done
    await orderRevenue(s, e, "completed");
    s.activity("order.completed", `${e.title ?? e.orderId}: ${e.toLabel ?? e.to}`, {
      orderId: e.orderId,
    });
    return true;
  }),
  "appointment.confirmed": rule(p.appointmentChanged, async (s, e) => {
    s.facts.push({ kpi: "bookings", value: 1, at: s.at });
    await rememberStart(s, e.appointmentId, e.startsAt);
    s.facts.push({
      kpi: "booked_minutes",
      value: minutesOf(e.startsAt, e.endsAt),
      at: Date.parse(e.startsAt),
    });
    s.customer(e.customerId);
    s.activity(
      "booking.confirmed",
      `Booking for ${e.startsAt.slice(0, 16).replace("T", " ")} UTC`,
      {
        appointmentId: e.appointmentId,
        resourceId: e.resourceId,
        startsAt: e.startsAt,
      },
    );
    return true;
  }),
  "appointment.rescheduled": rule(p.appointmentChanged, async (s, e) => {
    const minutes = minutesOf(e.startsAt, e.endsAt);
    if (e.previousStartsAt)
      s.facts.push({ kpi: "booked_minutes", value: -minutes, at: Date.parse(e.previousStartsAt) });
    s.facts.push({ kpi: "booked_minutes", value: minutes, at: Date.parse(e.startsAt) });
    await rememberStart(s, e.appointmentId, e.startsAt);
    return false;
  }),
  "appointment.cancelled": rule(p.appointmentChanged, async (s, e) => {
    s.facts.push({ kpi: "cancellations", value: 1, at: s.at });
    await forgetStart(s, e.appointmentId);
    s.facts.push({
      kpi: "booked_minutes",
      value: -minutesOf(e.startsAt, e.endsAt),
      at: Date.parse(e.startsAt),
    });
    s.activity("booking.cancelled", "Booking cancelled", { appointmentId: e.appointmentId });
    return true;
  }),
  "appointment.checked_in": rule(p.appointmentCheckedIn, async (s, e) => {
    await checkedIn(s, e);
    return false;
  }),
  "appointment.no_show": rule(p.appointmentChanged, async (s, e) => {
    s.facts.push({ kpi: "no_shows", value: 1, at: s.at });
    await forgetStart(s, e.appointmentId);
    s.activity("booking.no_show", "A customer did not show up", {
      appointmentId: e.appointmentId,
    });
    return true;
  }),
  "chat.conversation_assigned": rule(p.conversationAssigned, async (s, e) => {
    s.facts.push({ kpi: "chats", value: 1, at: s.at });
    s.facts.push({ kpi: "chats", dim: agentDim(e.agentId), value: 1, at: s.at });
    s.facts.push({ kpi: "wait", value: e.waitedMs, at: s.at });
    s.customer(e.customerId);
    await raise(
      s.trx,
      s.deps,
      s.event.id,
      "wait-above",
      (limit) => limit !== null && e.waitedMs > limit,
      () => ({
        title: "A customer waited long for a chat",
        body: `A customer waited ${Math.round(e.waitedMs / 1000)} s before ${e.agentId} took the chat.`,
        data: { conversationId: e.conversationId, agentId: e.agentId, waitedMs: e.waitedMs },
        at: iso(s.at),
      }),
      undefined,
      (line) => s.batch.activity(line),
    );
    return false;
  }),
  "chat.conversation_resolved": rule(p.conversationResolved, async (s, e) => {
    const dims = e.agentId ? ["", agentDim(e.agentId)] : [""];
    for (const dim of dims) {
      s.facts.push({ kpi: "resolution", dim, value: e.durationMs, at: s.at });
      if (e.firstResponseMs !== undefined)
        s.facts.push({ kpi: "first_response", dim, value: e.firstResponseMs, at: s.at });
    }
    return false;
  }),
  "chat.conversation_rated": rule(p.conversationRated, async (s, e) => {
    s.facts.push({ kpi: "satisfaction", value: e.rating, at: s.at });
    if (e.agentId)
      s.facts.push({ kpi: "satisfaction", dim: agentDim(e.agentId), value: e.rating, at: s.at });
    s.activity("chat.rated", `A chat was rated ${e.rating}★${e.agentId ? ` (${e.agentId})` : ""}`, {
      conversationId: e.conversationId,
      agentId: e.agentId,
      rating: e.rating,
    });
    for (const stars of [5, 1] as const)
      if (e.rating === stars)
        await raise(
          s.trx,
          s.deps,
          s.event.id,
          `rating-${stars}`,
          () => true,
          () => ({
            title: `${stars}-star rating`,
            body: `A customer rated a chat ${stars} star${stars > 1 ? "s" : ""}${e.agentId ? ` (agent ${e.agentId})` : ""}.`,
            data: { conversationId: e.conversationId, agentId: e.agentId, rating: e.rating },
            at: iso(s.at),
          }),
          undefined,
          (line) => s.batch.activity(line),
        );
    return true;
  }),
  "chat.message_created": rule(p.messageCreated, async (s, e) => {
    if (e.authorRole === "customer") s.customer(e.customerId);
    return false;
  }),
  "inventory.reservation_created": rule(p.reservation, async (s, e) => {
    s.facts.push({ kpi: "reservations", value: 1, at: s.at });
    s.customer(e.userId);
    return false;
  }),
  "inventory.reservation_committed": rule(p.reservation, async (s, e) => {
    s.facts.push({ kpi: "sales", value: 1, at: s.at });
    s.customer(e.userId);
    let amount = e.amountMinor;
    let currency = e.currency;
    if (amount === undefined || currency === undefined) {
      // the price it had when sold, as pricing last announced it
      const price = await s.trx
        .selectFrom("metrics_prices")
        .select(["amount", "currency"])
        .where("sku", "=", e.itemId)
        .executeTakeFirst();
      if (price) {
        amount = Number(price.amount) * e.quantity;
        currency = price.currency;
      }
    }
    if (amount !== undefined && currency !== undefined) await revenue(s, amount, currency);
    s.activity(
      "sale",
      `Sold ${e.quantity} × ${e.itemId}${amount !== undefined && currency ? ` for ${money(amount, currency)}` : ""}`,
      {
        reservationId: e.reservationId,
        sku: e.itemId,
        quantity: e.quantity,
        amountMinor: amount ?? null,
        currency: currency ?? null,
      },
    );
    return true;
  }),
  "inventory.level_changed": rule(p.levelChanged, async (s, e) => {
    if (!(e.available <= 0 && (e.previous ?? 0) > 0)) return false;
    const name = e.name ?? e.sku;
    s.activity("stock.out", `Out of stock: ${name}`, { sku: e.sku });
    await raise(
      s.trx,
      s.deps,
      s.event.id,
      "stock-out",
      () => true,
      () => ({
        title: "Out of stock",
        body: `${name} is out of stock.`,
        data: { sku: e.sku },
        at: iso(s.at),
      }),
      undefined,
      (line) => s.batch.activity(line),
    );
    return true;
  }),
  "inventory.back_in_stock": rule(p.backInStock, async (s, e) => {
    s.activity("stock.back", `Back in stock: ${e.name ?? e.sku} (${e.available})`, {
      sku: e.sku,
    });
    return false;
  }),
  "pricing.price_changed": rule(p.priceChanged, async (s, e) => {
    const row = { sku: e.sku, amount: e.newAmount, currency: e.currency, updated_at: iso(s.at) };
    await s.trx
      .insertInto("metrics_prices")
      .values(row)
      .onConflict((oc) => oc.column("sku").doUpdateSet(row))
      .execute();
    return false;
  }),
  "quote.approved": rule(p.quoteApproved, async (s, e) => {
    await revenue(s, e.amountMinor, e.currency);
    await quoted(s, e.orderId, e.amountMinor, e.currency);
    s.customer(e.userId);
    s.activity("quote.approved", `Quote approved: ${money(e.amountMinor, e.currency)}`, {
      orderId: e.orderId,
      amountMinor: e.amountMinor,
      currency: e.currency,
    });
    return true;
  }),
};

/** The event types metrics listens to. */
export const HEARD = Object.keys(RULES);

/**
 * Handles one durable event inside its delivery's transaction: rollup facts, the active customer,
 * the feed line, alerts. Everything commits with the event marked done, so a crash and the
 * redelivery after it count the event exactly once. With a `batch`, the rollups, customers and
 * feed lines wait in it for `batch.write` (the caller runs it before the commit; outbox ids are
 * the batch's then); without one they are written at once.
 */
export async function handleEvent(
  trx: Transaction<Database>,
  event: DomainEvent,
  deps: HandlerDeps,
  batch?: MetricsBatch,
): Promise<Handled> {
  const r = RULES[event.type];
  if (!r) return { outboxIds: [], big: false };
  const parsed = r.schema.safeParse(event.payload);
  if (!parsed.success) {
    deps.logger.warn(
      { type: event.type, id: event.id, issues: parsed.error.issues },
      "metrics skipped an event it cannot read",
    );
    return { outboxIds: [], big: false };
  }
  const stated = (event.payload as { at?: unknown }).at;
  const statedAt = typeof stated === "string" ? Date.parse(stated) : Number.NaN;
  const at = Number.isFinite(statedAt) ? statedAt : Date.parse(event.occurredAt);
  const into = batch ?? new MetricsBatch(deps.settings.timeZone);
  const s: Step = {
    trx,
    event,
    at,
    deps,
    facts: [],
    batch: into,
    activity(kind, title, data) {
      into.activity({ id: event.id, at: iso(at), kind, title, data });
    },
    customer: (id) => into.customer(id, at),
  };
  const big = (await r.handle(s, parsed.data)) ?? false;
  into.addFacts(s.facts);
  into.types.add(event.type);
  if (big) into.big = true;
  if (batch) return { outboxIds: [], big };
  await into.write(trx, deps.outbox);
  return { outboxIds: into.outboxIds, big };
}
