import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { lockSchema, orderQuoteEventSchema, orderQuoteSchema } from "./contract.js";

describe.each(DIALECTS)("price locks and order quotes on %s", (database) => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_PRICING_LOCK_TTL_SECONDS: "2", SWITCHBOARD_PRICING_TAX_PERCENT: "25" },
    });
    alice = await server.token({ sub: "alice", role: "customer" });
    bob = await server.token({ sub: "bob", role: "customer" });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });

  it("buys at the price shown even after it changed; two racing uses: exactly one wins", async () => {
    await call("PUT", "/api/pricing/prices/WATCH-1", { amount: 20_000, currency: "EUR" });
    const lock = await call("POST", "/api/pricing/locks", { sku: "WATCH-1" }, alice);
    expect(lock.status).toBe(201);
    expect(lockSchema.parse(lock.body)).toMatchObject({
      amount: 20_000,
      currency: "EUR",
      status: "active",
    });
    await call("PUT", "/api/pricing/prices/WATCH-1", { amount: 26_000, currency: "EUR" });
    // bob cannot see or use alice's lock
    expect(
      (await call("POST", `/api/pricing/locks/${lock.body.id}/use`, undefined, bob)).status,
    ).toBe(404);
    const uses = await Promise.all(
      [1, 2, 3].map(() => call("POST", `/api/pricing/locks/${lock.body.id}/use`, undefined, alice)),
    );
    expect(uses.map((u) => u.status).sort()).toEqual([200, 409, 409]);
    expect(uses.find((u) => u.status === 200)?.body).toMatchObject({
      amount: 20_000,
      status: "used",
    });
    expect(uses.find((u) => u.status === 409)?.body.code).toBe("price_lock_used");
    // a new lock captures the new price
    expect((await call("POST", "/api/pricing/locks", { sku: "WATCH-1" }, alice)).body.amount).toBe(
      26_000,
    );
  });

  it("refuses a lock whose time ran out", async () => {
    await call("PUT", "/api/pricing/prices/RING-1", { amount: 9_000, currency: "EUR" });
    const lock = (await call("POST", "/api/pricing/locks", { sku: "RING-1" }, alice)).body;
    // wait (bounded) until the server's clock is past the lock's expiry
    for (let i = 0; i < 100; i++) {
      if (
        (await call("GET", `/api/pricing/locks/${lock.id}`, undefined, alice)).body.status ===
        "expired"
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const late = await call("POST", `/api/pricing/locks/${lock.id}/use`, undefined, alice);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("price_lock_expired");
    expect((await call("POST", "/api/pricing/locks", { sku: "NONE-1" }, alice)).status).toBe(404);
    expect(
      (await call("POST", "/api/pricing/locks", { sku: "RING-1", extra: true }, alice)).status,
    ).toBe(400);
  });

  it("sends a repair quote with amounts; the customer sees it live and approves exactly that quote", async () => {
    await call("PUT", "/api/pricing/prices/SCREEN-9", { amount: 8_990, currency: "EUR" });
    const order = (
      await call("POST", "/api/orders", { lifecycle: "repair-booking", customerId: "alice" })
    ).body;
    const tracker = await RawClient.connect(server.wsUrl, alice);
    clients.push(tracker);
    await tracker.subscribe(`order:${order.id}`);

    const sent = await call("POST", "/api/pricing/order-quotes", {
      orderId: order.id,
      currency: "EUR",
      lines: [
        {
          kind: "labour",
          description: "Screen replacement, 1.5 h",
          quantity: 3,
          unitAmount: 2_500,
        },
        { kind: "parts", description: "Screen", sku: "SCREEN-9" },
        { kind: "discount", description: "Loyalty", unitAmount: 490 },
      ],
    });
    expect(sent.status).toBe(201);
    const quote = orderQuoteSchema.parse(sent.body);
    expect(quote.lines.map((l) => l.amount)).toEqual([7_500, 8_990, -490]);
    expect(quote).toMatchObject({
      subtotal: 16_000,
      taxPercent: 25,
      tax: 4_000,
      total: 20_000,
      status: "proposed",
      version: 1,
    });

    const [live] = await tracker.collect(
      (f) => f.type === "message" && f.event === "quote",
      1,
      15_000,
    );
    expect(orderQuoteEventSchema.parse(live?.data)).toMatchObject({ id: quote.id, total: 20_000 });
    expect(
      (await call("GET", `/api/pricing/order-quotes?orderId=${order.id}`, undefined, alice)).body
        .quotes,
    ).toHaveLength(1);
    expect(
      (await call("GET", `/api/pricing/order-quotes?orderId=${order.id}`, undefined, bob)).status,
    ).toBe(403);

    const decide = (body: unknown, token = alice) =>
      call("POST", `/api/pricing/order-quotes/${quote.id}/decision`, body, token);
    // another total than the quote's: refused, with the real one
    const wrong = await decide({ decision: "approve", version: 1, total: 19_000 });
    expect(wrong.status).toBe(409);
    expect(wrong.body.code).toBe("quote_changed");
    expect((await decide({ decision: "approve", version: 1, total: 20_000 }, bob)).status).toBe(
      403,
    );
    // two racing decisions: one wins
    const both = await Promise.all([
      decide({ decision: "approve", version: 1, total: 20_000 }),
      decide({ decision: "decline", version: 1, total: 20_000 }),
    ]);
    expect(both.map((b) => b.status).sort()).toEqual([200, 409]);
    const decided = both.find((b) => b.status === 200)?.body;
    expect(decided).toMatchObject({ version: 2, decidedBy: "alice" });
    const [announced] = await tracker.collect(
      (f) => f.type === "message" && f.event === "quote",
      1,
      15_000,
    );
    expect(announced?.data).toMatchObject({ status: decided.status, version: 2 });
  });

  it("replaces an open quote, prices a line from a lock, and refuses bad quotes with codes", async () => {
    await call("PUT", "/api/pricing/prices/BAT-9", { amount: 3_000, currency: "EUR" });
    await call("PUT", "/api/pricing/prices/YEN-1", { amount: 500, currency: "JPY" });
    const order = (
      await call("POST", "/api/orders", { lifecycle: "repair-booking", customerId: "alice" })
    ).body;
    const lock = (await call("POST", "/api/pricing/locks", { sku: "BAT-9" }, alice)).body;
    await call("PUT", "/api/pricing/prices/BAT-9", { amount: 3_500, currency: "EUR" });
    const first = (
      await call("POST", "/api/pricing/order-quotes", {
        orderId: order.id,
        currency: "EUR",
        taxPercent: 0,
        lines: [{ kind: "parts", description: "Battery", lockId: lock.id }],
      })
    ).body;
    expect(first.total).toBe(3_000);
    // the lock was used by the quote
    expect((await call("GET", `/api/pricing/locks/${lock.id}`, undefined, alice)).body.status).toBe(
      "used",
    );
    const second = (
      await call("POST", "/api/pricing/order-quotes", {
        orderId: order.id,
        currency: "EUR",
        lines: [{ kind: "fee", description: "Diagnosis", unitAmount: 1_000 }],
      })
    ).body;
    const quotes = (
      await call("GET", `/api/pricing/order-quotes?orderId=${order.id}`, undefined, alice)
    ).body.quotes;
    expect(quotes.map((q: { id: string; status: string }) => [q.id, q.status])).toEqual([
      [second.id, "proposed"],
      [first.id, "superseded"],
    ]);
    const stale = await call(
      "POST",
      `/api/pricing/order-quotes/${first.id}/decision`,
      { decision: "approve", version: 1, total: 3_000 },
      alice,
    );
    expect(stale.body.code).toBe("quote_changed");

    const base = { orderId: order.id, currency: "EUR" };
    const cases: [unknown, number, string][] = [
      [{ ...base, lines: [] }, 400, "bad_request"],
      [
        { ...base, lines: [{ kind: "labour", description: "x", unitAmount: 10.5 }] },
        400,
        "bad_request",
      ],
      [{ ...base, lines: [{ kind: "labour", description: "x" }] }, 400, "bad_request"],
      [
        { ...base, currency: "EURO", lines: [{ kind: "fee", description: "x", unitAmount: 1 }] },
        400,
        "bad_request",
      ],
      [
        { ...base, lines: [{ kind: "parts", description: "x", sku: "YEN-1" }] },
        400,
        "currency_mismatch",
      ],
      [
        { ...base, lines: [{ kind: "parts", description: "x", lockId: lock.id }] },
        409,
        "price_lock_used",
      ],
      [
        { ...base, lines: [{ kind: "discount", description: "x", unitAmount: 5 }] },
        400,
        "amount_out_of_range",
      ],
      [
        {
          ...base,
          lines: [{ kind: "fee", description: "x", unitAmount: 1_000_000_000, quantity: 2 }],
        },
        400,
        "amount_out_of_range",
      ],
      [
        {
          ...base,
          validUntil: "2001-01-01T00:00:00Z",
          lines: [{ kind: "fee", description: "x", unitAmount: 1 }],
        },
        400,
        "bad_request",
      ],
      [{ ...base, lines: [{ kind: "parts", description: "x", sku: "NONE-1" }] }, 404, "not_found"],
    ];
    for (const [body, status, code] of cases) {
      const r = await call("POST", "/api/pricing/order-quotes", body);
      expect([r.status, r.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(
      (
        await call(
          "POST",
          "/api/pricing/order-quotes",
          { ...base, lines: [{ kind: "fee", description: "x", unitAmount: 1 }] },
          alice,
        )
      ).status,
    ).toBe(403);
  });
});
