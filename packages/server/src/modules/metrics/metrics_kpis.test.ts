import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { activity, ok, overview, until } from "./test-kit.js";

/**
 * Each KPI from a known sequence of real actions (REST and sockets, as users make them), on both
 * dialects: orders, sales and their revenue (priced by pricing), reservations and conversion, a
 * booking, a chat's wait, first response, resolution and 5-star rating per agent, a stock-out,
 * the daily revenue goal — and the alerts and feed lines they raise.
 */
describe.each(DIALECTS)("metrics KPIs from real events (%s)", (database) => {
  let server: TestServer;
  const chat = chatHarness(() => server);
  const call = (method: string, path: string, body?: unknown) =>
    ok(restCall(server, method, path, { body }));

  beforeAll(async () => {
    server = await startTestServer({
      database,
      config: { durable: { pollMs: 50 } },
      env: {
        SWITCHBOARD_METRICS_TIME_ZONE: "Europe/Berlin",
        SWITCHBOARD_METRICS_CURRENCY: "EUR",
        SWITCHBOARD_METRICS_REVENUE_GOAL_MINOR: "5000",
        SWITCHBOARD_METRICS_ALERT_RECIPIENTS: "sam",
        SWITCHBOARD_CHAT_BOT: "off",
      },
    });
  }, 60_000);
  afterAll(async () => {
    await chat.cleanup();
    await server?.close();
  });

  it("counts each action once, with trends, per-agent figures, feed lines and alerts", async () => {
    const empty = await overview(server);
    expect(empty).toMatchObject({
      period: "today",
      timeZone: "Europe/Berlin",
      revenue: [],
      agents: [],
    });
    expect(empty.orders).toEqual({ value: 0, previous: 0, change: null, direction: "flat" });

    for (const title of ["Kettle", "Toaster"])
      await call("POST", "/api/orders", { lifecycle: "store-order", customerId: "alice", title });

    await call("PUT", "/api/pricing/prices/MUG-1", { amount: 2000, currency: "EUR" });
    await call("PUT", "/api/inventory/items/MUG-1", { onHand: 5, name: "Mug" });
    const reserve = async (quantity: number, customerId: string) =>
      (await ok(
        restCall(server, "POST", "/api/inventory/reservations", {
          body: { sku: "MUG-1", quantity, customerId },
        }),
      )) as { id: string };
    const first = await reserve(2, "dana");
    await call("POST", `/api/inventory/reservations/${first.id}/commit`);
    const second = await reserve(1, "eli");
    await call("POST", `/api/inventory/reservations/${second.id}/commit`); // 6000 ≥ goal 5000
    const third = await reserve(1, "fay");
    await call("POST", `/api/inventory/reservations/${third.id}/release`);
    await reserve(2, "gus"); // the last 2: out of stock

    const agent = await chat.agent("ann");
    const customer = await chat.as("carl");
    const conv = (await ok(
      customer.call("POST", "/api/chat/conversations", { subject: "Hi" }),
    )) as {
      id: string;
    };
    await until(
      "the chat to be assigned",
      async () => (await customer.call("GET", `/api/chat/conversations/${conv.id}`)).body.status,
      (s) => s === "active",
    );
    await ok(agent.call("POST", `/api/chat/conversations/${conv.id}/messages`, { text: "Hello!" }));
    await ok(customer.call("POST", `/api/chat/conversations/${conv.id}/resolve`, { rating: 5 }));

    await setUpShop(server);
    const hold = (await ok(
      restCall(server, "POST", "/api/appointments/holds", {
        body: { service: "cut", start: MONDAY_10, resourceId: "chair-1", customerId: "hana" },
      }),
    )) as { id: string };
    await call("POST", `/api/appointments/holds/${hold.id}/confirm`);

    const o = await until(
      "every figure",
      () => overview(server),
      (v) =>
        v.orders.value === 2 &&
        v.sales.value === 2 &&
        v.reservations.value === 4 &&
        v.bookings.value === 1 &&
        v.satisfaction.count === 1 &&
        v.resolutionMs.value !== null,
    );
    expect(o.revenue).toEqual([
      { currency: "EUR", value: 6000, previous: 0, change: null, direction: "up" },
    ]);
    expect(o.orders).toMatchObject({ value: 2, previous: 0, direction: "up" });
    expect(o.conversion.value).toBeCloseTo(0.5);
    expect(o.chats.value).toBe(1);
    expect(o.satisfaction).toMatchObject({ value: 5, count: 1 });
    expect(o.avgWaitMs.value).toBeGreaterThanOrEqual(0);
    expect(o.firstResponseMs.value).toBeGreaterThanOrEqual(0);
    expect(o.agents).toEqual([
      expect.objectContaining({
        agentId: "ann",
        chats: 1,
        resolved: 1,
        ratings: 1,
        satisfaction: 5,
      }),
    ]);
    // alice, dana, eli, fay, gus, carl, hana
    expect(o.activeCustomers.value).toBe(7);

    const feed = await until(
      "the feed",
      () => activity(server, "?limit=200"),
      (p) => p.items.some((i) => i.kind === "alert.stock-out"),
    );
    const kinds = feed.items.map((i) => i.kind);
    for (const k of [
      "order.created",
      "sale",
      "alert.revenue-goal",
      "chat.rated",
      "alert.rating-5",
      "stock.out",
      "alert.stock-out",
      "booking.confirmed",
    ])
      expect(kinds).toContain(k);
    expect(kinds.filter((k) => k === "alert.revenue-goal")).toHaveLength(1);
    expect(kinds.filter((k) => k === "order.created")).toHaveLength(2);
    // paging: two at a time, newest first, no line twice
    const seen: string[] = [];
    let cursor = "";
    for (let i = 0; i < 50; i++) {
      const page = await activity(server, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.items.map((x) => x.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(feed.items.map((i) => i.id));

    // the alerts reached the owner as notifications (notifications' metrics-alert rule)
    const sam = await server.token({ sub: "sam", role: "admin" });
    const inbox = await until(
      "the owner's alert notifications",
      async () =>
        (await restCall(server, "GET", "/api/notifications?limit=50", { token: sam })).body as {
          items: { title: string }[];
        },
      (b) => (b.items?.length ?? 0) >= 3,
    );
    expect(inbox.items.map((i) => i.title).sort()).toEqual([
      "5-star rating",
      "Daily revenue goal reached",
      "Out of stock",
    ]);

    // the 7-day view holds today's figures too
    const week = await overview(server, "7d");
    expect(week.orders.value).toBe(2);
    expect(week.revenue[0]?.value).toBe(6000);
    // series: today's revenue per hour adds up to the overview
    const series = await restCall(
      server,
      "GET",
      `/api/metrics/series?kpi=revenue&from=${encodeURIComponent(o.from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&step=hour`,
    );
    expect(series.status).toBe(200);
    expect(series.body.points.reduce((s: number, p: { value: number }) => s + p.value, 0)).toBe(
      6000,
    );
  }, 120_000);

  it("adds an approved quote's total to revenue, with a feed line", async () => {
    const before = await overview(server);
    const eur = () => before.revenue.find((r) => r.currency === "EUR")?.value ?? 0;
    const order = (await ok(
      restCall(server, "POST", "/api/orders", {
        body: { lifecycle: "repair-booking", customerId: "alice", title: "Pixel screen" },
      }),
    )) as { id: string };
    const quote = (await ok(
      restCall(server, "POST", "/api/pricing/order-quotes", {
        body: {
          orderId: order.id,
          currency: "EUR",
          lines: [{ kind: "labour", description: "Screen, 1 h", quantity: 1, unitAmount: 4000 }],
        },
      }),
    )) as { id: string; version: number; total: number };
    const alice = await server.token({ sub: "alice", role: "customer" });
    await ok(
      restCall(server, "POST", `/api/pricing/order-quotes/${quote.id}/decision`, {
        token: alice,
        body: { decision: "approve", version: quote.version, total: quote.total },
      }),
    );
    const o = await until(
      "the quote's revenue",
      () => overview(server),
      (v) => (v.revenue.find((r) => r.currency === "EUR")?.value ?? 0) === eur() + quote.total,
    );
    expect(o.orders.value).toBe((before.orders.value ?? 0) + 1);
    const feed = await activity(server, "?limit=5");
    expect(feed.items.map((i) => i.kind)).toContain("quote.approved");
  }, 60_000);
});
