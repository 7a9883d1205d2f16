import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ulid } from "../../ids.js";
import type { DomainEvent, ModuleEvents } from "../../platform/durable/types.js";
import { Outbox } from "../../store/outbox.js";
import { MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { metricsConfig } from "./config.js";
import { handleEvent } from "./handlers.js";
import { computeOverview } from "./overview.js";
import { ok, overview, until } from "./test-kit.js";

/**
 * The KPIs issue 17 left open, from real actions on both dialects: viewers from presence on
 * product pages (the funnel viewers → reservations → sales), priced orders as revenue once paid
 * (and taken back on refund, never twice), appointment lateness from the booking's order.
 */
describe.each(DIALECTS)("viewers, priced orders and lateness (%s)", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];
  const call = (method: string, path: string, body?: unknown) =>
    ok(restCall(server, method, path, { body }));
  const move = async (id: string, ...states: string[]) => {
    for (const to of states) await call("POST", `/api/orders/${id}/transitions`, { to });
  };

  beforeAll(async () => {
    server = await startTestServer({
      database,
      config: { durable: { pollMs: 50 } },
      env: {
        SWITCHBOARD_METRICS_CURRENCY: "EUR",
        SWITCHBOARD_METRICS_VIEWERS_SAMPLE_MS: "150",
        SWITCHBOARD_CHAT_BOT: "off",
      },
    });
  }, 60_000);
  afterAll(async () => {
    closeAll(clients);
    await server?.close();
  });

  it("counts customers on product pages as viewers, staff not, each once a day", async () => {
    await call("PUT", "/api/pricing/prices/LAMP-1", { amount: 3000, currency: "EUR" });
    await call("PUT", "/api/inventory/items/LAMP-1", { onHand: 10, name: "Lamp" });
    await call("PUT", "/api/inventory/items/LAMP-2", { onHand: 10, name: "Shade" });
    const view = async (sub: string, role: "customer" | "agent", sku: string) => {
      const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
      clients.push(c);
      await c.subscribe(`product:${sku}`);
      return c;
    };
    const ida = await view("ida", "customer", "LAMP-1");
    await view("jon", "customer", "LAMP-1");
    await view("kim", "customer", "LAMP-2");
    await view("ida", "customer", "LAMP-2"); // the same customer on a second page: one viewer
    await view("agent-ann", "agent", "LAMP-1"); // staff are not viewers
    const seen = await until(
      "three viewers",
      () => overview(server),
      (v) => v.viewers.value === 3,
    );
    expect(seen.viewers).toMatchObject({ value: 3, previous: 0, direction: "up" });
    // leaving and coming back the same day is still one viewer
    ida.close();
    await view("ida", "customer", "LAMP-1");

    const reserve = async (customerId: string) =>
      (await call("POST", "/api/inventory/reservations", {
        sku: "LAMP-1",
        quantity: 1,
        customerId,
      })) as { id: string };
    const r1 = await reserve("ida");
    await reserve("jon");
    await call("POST", `/api/inventory/reservations/${r1.id}/commit`);
    const o = await until(
      "the funnel",
      () => overview(server),
      (v) => v.reservations.value === 2 && v.sales.value === 1,
    );
    expect(o.viewers.value).toBe(3);
    expect(o.reservationRate.value).toBeCloseTo(2 / 3, 6);
    expect(o.conversion.value).toBeCloseTo(0.5, 6);
    const series = (await call(
      "GET",
      `/api/metrics/series?kpi=viewers&from=${o.from}&to=${new Date(Date.now() + 60_000).toISOString()}&step=day`,
    )) as { points: { value: number }[] };
    expect(series.points.reduce((s, p) => s + p.value, 0)).toBe(3);
  }, 120_000);

  it("counts a priced order's revenue once: at paid, or at completion; a refund takes it back", async () => {
    const before = (await overview(server)).revenue.find((r) => r.currency === "EUR")?.value ?? 0;
    const make = async (lifecycle: string, amountMinor: number) =>
      (
        (await call("POST", "/api/orders", {
          lifecycle,
          customerId: "lea",
          title: `${lifecycle} ${amountMinor}`,
          amountMinor,
          currency: "EUR",
        })) as { id: string; amountMinor?: number; currency?: string }
      ).id;
    const delivered = await make("store-order", 1234);
    const order = (await call("GET", `/api/orders/${delivered}`)) as {
      amountMinor?: number;
      currency?: string;
    };
    expect(order).toMatchObject({ amountMinor: 1234, currency: "EUR" });
    await move(delivered, "paid", "packed", "shipped", "out-for-delivery", "delivered");
    const refunded = await make("store-order", 500);
    await move(refunded, "paid", "refunded");
    const unpaid = await make("store-order", 999);
    await move(unpaid, "cancelled", "refunded"); // never paid: nothing to take back
    const drive = await make("test-drive", 2000); // no `paid` state: counted when completed
    await move(drive, "confirmed", "checked-in", "completed");
    const o = await until(
      "the orders' revenue",
      () => overview(server),
      (v) => v.ordersCompleted.value === 2,
    );
    // 1234 once (not again at delivered) + 500 − 500 + 0 + 2000
    await until(
      "revenue of paid orders",
      async () => (await overview(server)).revenue.find((r) => r.currency === "EUR")?.value,
      (v) => v === before + 1234 + 2000,
    );
    expect(o.ordersCompleted.value).toBe(2);
  }, 120_000);

  it("refuses an order price that is half given or malformed, with a code", async () => {
    for (const body of [
      { amountMinor: 100 },
      { currency: "EUR" },
      { amountMinor: -1, currency: "EUR" },
      { amountMinor: 1.5, currency: "EUR" },
      { amountMinor: 100, currency: "eur" },
      { amountMinor: "100", currency: "EUR" },
    ]) {
      const r = await restCall(server, "POST", "/api/orders", {
        body: { lifecycle: "store-order", customerId: "lea", ...body },
      });
      expect(r.status).toBe(400);
      expect((r.body as { code: string }).code).toBe("bad_request");
    }
  });

  it("measures a test drive's arrival against its booked start (early is 0 late)", async () => {
    await setUpShop(server);
    await call("PUT", "/api/appointments/services/drive", {
      name: "Test drive",
      durationMinutes: 45,
      purpose: "test-drive",
    });
    const start = new Date(Date.parse(MONDAY_10) + 6 * 3_600_000).toISOString(); // 10:00 New York
    const hold = (await call("POST", "/api/appointments/holds", {
      service: "drive",
      start,
      resourceId: "model-y",
      customerId: "max",
    })) as { id: string };
    await call("POST", `/api/appointments/holds/${hold.id}/confirm`);
    // orders creates the drive's order (the appointment's id) from appointment.confirmed
    await until(
      "the test drive's order",
      () => restCall(server, "GET", `/api/orders/${hold.id}`),
      (r) => r.status === 200,
    );
    await move(hold.id, "checked-in");
    const o = await until(
      "the arrival measured",
      () => overview(server),
      (v) => v.avgLatenessMs.value !== null,
    );
    expect(o.avgLatenessMs.value).toBe(0); // the booking is in the future: arrived early
    expect(o.longestLatenessMs.value).toBe(0);
  }, 120_000);
});

/** Lateness over a fixed history through the real handler (a fake clock: arrivals after the start). */
describe.each(DIALECTS)("appointment lateness from a known sequence of events (%s)", (database) => {
  let server: TestServer;
  const settings = metricsConfig.build(metricsConfig.schema.parse({}));
  const events = { emit: async () => ulid() } as unknown as ModuleEvents;
  beforeAll(async () => {
    server = await startTestServer({ database });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  async function feed(type: string, at: number, payload: Record<string, unknown>) {
    const db = server.app.store.db;
    const logger = pino({ level: "silent" });
    const event: DomainEvent = {
      id: ulid(at),
      type,
      aggregate: "test",
      payload: { ...payload, at: new Date(at).toISOString() },
      occurredAt: new Date(at).toISOString(),
    };
    await db.transaction().execute((trx) =>
      handleEvent(trx, event, {
        events,
        outbox: new Outbox(db, async () => {}, logger),
        settings,
        logger,
      }),
    );
  }
  const T = Date.parse("2026-06-01T10:00:00Z");
  const MIN = 60_000;
  const booked = (id: string, startsAt: number, type = "appointment.confirmed") =>
    feed(type, T - 86_400_000, {
      appointmentId: id,
      customerId: `c-${id}`,
      resourceId: "r",
      serviceId: "s",
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(startsAt + 30 * MIN).toISOString(),
    });
  const reached = (id: string, to: string, at: number) =>
    feed("order.status_changed", at, { orderId: id, customerId: `c-${id}`, from: "x", to });

  it("averages and keeps the longest lateness, once per booking, at the rescheduled start", async () => {
    await booked("a1", T);
    await booked("a2", T + 60 * MIN);
    await booked("a3", T - 60 * MIN);
    await booked("a3", T + 30 * MIN, "appointment.rescheduled"); // moved: lateness from the new start
    await booked("a4", T);
    await booked("a4", T, "appointment.cancelled"); // cancelled: no arrival to measure
    await reached("a1", "checked-in", T + 7 * MIN); // 7 min late
    await reached("a2", "device-received", T + 55 * MIN); // 5 min early: 0
    await reached("a3", "checked-in", T + 32 * MIN); // 2 min late against the new start
    await reached("a1", "checked-in", T + 20 * MIN); // a repeat: not measured again
    await reached("a4", "checked-in", T + 3 * MIN);
    await reached("other", "checked-in", T + 3 * MIN); // an order of no booking
    const o = await computeOverview(server.app.store.db, {
      period: "today",
      timeZone: "UTC",
      now: T + 2 * 3_600_000,
    });
    expect(o.avgLatenessMs.value).toBe((7 * MIN + 0 + 2 * MIN) / 3);
    expect(o.longestLatenessMs.value).toBe(7 * MIN);
  });
});
