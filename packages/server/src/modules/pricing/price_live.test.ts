import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import {
  PRICE_CHANGED,
  type PriceChanged,
  priceAlertEventSchema,
  priceEventSchema,
  WATCH_TRIGGERED,
  type WatchTriggered,
} from "./contract.js";

type Msg = { type: string; channel?: string; event?: string; data?: unknown };
const priceOn = (channel: string) => (f: Msg) =>
  f.type === "message" && f.channel === channel && f.event === "price";
const settle = () => new Promise((r) => setTimeout(r, 300));

describe.each(DIALECTS)("live prices on %s", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });

  async function start(env: Record<string, string> = {}) {
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0",
        SWITCHBOARD_PRICING_MAX_STEP_PERCENT: "100",
        ...env,
      },
    });
  }
  async function connect(sub: string) {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role: "customer" }));
    clients.push(c);
    return c;
  }
  afterEach(async () => {
    closeAll(clients);
    await server.close();
  });

  describe("with no debounce", () => {
    beforeEach(() => start());

    it("brings a signal change that moves a price to a storefront once, explained", async () => {
      await call("PUT", "/api/pricing/prices/PHONE-1", { amount: 40_000, currency: "EUR" });
      await call("POST", "/api/pricing/rules", {
        name: "High demand",
        when: [{ kind: "signal", name: "demand", atLeast: 3 }],
        adjust: { percent: 10 },
      });
      const shopper = await connect("shopper");
      await shopper.subscribe("product:PHONE-1");
      const domain: PriceChanged[] = [];
      server.app.events.on<PriceChanged>(PRICE_CHANGED, "test.prices", async (e) => {
        domain.push(e.payload);
      });

      expect((await call("PUT", "/api/pricing/signals/demand", { value: 3 })).body).toEqual({
        moved: 1,
      });
      // the same value again moves nothing; a value that keeps the rule true moves nothing either
      expect((await call("PUT", "/api/pricing/signals/demand", { value: 3 })).body).toEqual({
        moved: 0,
      });
      expect((await call("PUT", "/api/pricing/signals/demand", { value: 4 })).body).toEqual({
        moved: 0,
      });
      const [m] = await shopper.collect(priceOn("product:PHONE-1"), 1, 15_000);
      const event = priceEventSchema.parse(m?.data);
      expect(event).toMatchObject({
        sku: "PHONE-1",
        amount: 44_000,
        previous: 40_000,
        base: 40_000,
        currency: "EUR",
      });
      expect(event.factors).toEqual([
        expect.objectContaining({
          name: "High demand",
          effect: 4000,
          reason: "+10% (demand 3 ≥ 3)",
        }),
      ]);
      await settle();
      expect(shopper.messages("product:PHONE-1")).toHaveLength(0);
      // durable handlers run after the commit, on their own schedule: wait for them (bounded)
      await expect.poll(() => domain.length, { timeout: 15_000 }).toBe(1);
      await settle();
      expect(domain).toEqual([
        { sku: "PHONE-1", oldAmount: 40_000, newAmount: 44_000, currency: "EUR", reason: "signal" },
      ]);
    }, 60_000);

    it("reads inventory's stock level as the stock signal (its event, not its tables)", async () => {
      await call("PUT", "/api/inventory/items/LENS-1", { onHand: 10, name: "Lens" });
      await call("PUT", "/api/pricing/prices/LENS-1", { amount: 9900, currency: "EUR" });
      await call("POST", "/api/pricing/rules", {
        name: "Last few",
        skus: ["LENS-1"],
        when: [{ kind: "stock", below: 3 }],
        adjust: { percent: 15 },
      });
      const shopper = await connect("shopper");
      await shopper.subscribe("product:LENS-1");
      await call("POST", "/api/inventory/items/LENS-1/adjustments", { delta: -8, reason: "sale" });
      const [m] = await shopper.collect(priceOn("product:LENS-1"), 1, 15_000);
      expect(m?.data).toMatchObject({ amount: 11_385, previous: 9900 });
      expect(priceEventSchema.parse(m?.data).factors[0]?.reason).toBe("+15% (stock 2 < 3)");
    });

    it("alerts a watcher once per crossing, again after the price goes back up and down, and no one else", async () => {
      await call("PUT", "/api/pricing/prices/TV-1", { amount: 50_000, currency: "EUR" });
      const dana = await connect("dana");
      const erin = await connect("erin");
      await dana.subscribe("user:dana");
      await erin.subscribe("user:erin");
      const danaToken = await server.token({ sub: "dana", role: "customer" });
      const erinToken = await server.token({ sub: "erin", role: "customer" });
      const watch = await call(
        "POST",
        "/api/pricing/watches",
        { sku: "TV-1", below: 45_000 },
        danaToken,
      );
      expect(watch.status).toBe(201);
      expect(watch.body).toMatchObject({
        sku: "TV-1",
        below: 45_000,
        reference: 50_000,
        armed: true,
      });
      // erin watches a 20 % drop
      await call("POST", "/api/pricing/watches", { sku: "TV-1", dropPercent: 20 }, erinToken);
      const triggered: WatchTriggered[] = [];
      server.app.events.on<WatchTriggered>(WATCH_TRIGGERED, "test.watches", async (e) => {
        triggered.push(e.payload);
      });

      const setPrice = (amount: number) =>
        call("PUT", "/api/pricing/prices/TV-1", { amount, currency: "EUR" });
      await setPrice(44_000); // crosses dana's line
      await setPrice(43_000); // still below: no second alert
      await setPrice(42_000);
      await setPrice(46_000); // back above: re-armed, no alert
      await setPrice(44_500); // crosses again
      const alerts = await dana.collect(
        (f) => f.type === "message" && f.event === "price_alert",
        2,
        15_000,
      );
      expect(alerts.map((a) => priceAlertEventSchema.parse(a.data).amount)).toEqual([
        44_000, 44_500,
      ]);
      expect(alerts[0]?.data).toMatchObject({ sku: "TV-1", below: 45_000, currency: "EUR" });
      await settle();
      // only price alerts count: other modules (notifications) also speak on user:{sub}
      const priceAlerts = (c: typeof dana, channel: string) =>
        c.messages(channel).filter((m) => m.event === "price_alert");
      expect(priceAlerts(dana, "user:dana")).toHaveLength(0);
      expect(priceAlerts(erin, "user:erin")).toHaveLength(0); // 44 500 is not 20 % below 50 000
      await setPrice(39_000);
      const [e] = await erin.collect(
        (f) => f.type === "message" && f.event === "price_alert",
        1,
        15_000,
      );
      expect(e?.data).toMatchObject({ amount: 39_000, dropPercent: 20, reference: 50_000 });
      await expect.poll(() => triggered.length, { timeout: 15_000 }).toBe(3);
      await settle();
      expect(triggered[0]).toMatchObject({ amountText: "440.00 EUR", sku: "TV-1" });
      // one watch's alerts in order (its aggregate); watches among themselves in any order
      expect(triggered.map((t) => `${t.userId} ${t.amount}`).sort()).toEqual([
        "dana 44000",
        "dana 44500",
        "erin 39000",
      ]);
      // watches are one's own
      expect(
        (await call("GET", "/api/pricing/watches", undefined, erinToken)).body.watches,
      ).toHaveLength(1);
      expect(
        (await call("DELETE", `/api/pricing/watches/${watch.body.id}`, undefined, erinToken))
          .status,
      ).toBe(404);
      expect(
        (await call("DELETE", `/api/pricing/watches/${watch.body.id}`, undefined, danaToken))
          .status,
      ).toBe(204);
      for (const body of [
        { sku: "TV-1" },
        { sku: "TV-1", below: 1, dropPercent: 5 },
        { sku: "TV-1", below: 9.5 },
        { sku: "TV-1", dropPercent: 120 },
      ])
        expect((await call("POST", "/api/pricing/watches", body, danaToken)).status).toBe(400);
      expect(
        (await call("POST", "/api/pricing/watches", { sku: "NONE-1", below: 5 }, danaToken)).status,
      ).toBe(404);
    }, 60_000);
  });

  describe("with a debounce interval", () => {
    beforeEach(() =>
      start({
        SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "1500",
        SWITCHBOARD_PRICING_MAX_STEP_PERCENT: "10",
      }),
    );

    it("does not flap: a change inside the interval waits for its end, and a step is at most the max change", async () => {
      await call("PUT", "/api/pricing/prices/DRONE-1", { amount: 10_000, currency: "EUR" });
      await call("POST", "/api/pricing/rules", {
        name: "Queue surcharge",
        when: [{ kind: "signal", name: "queue", atLeast: 5 }],
        adjust: { percent: 15 },
      });
      const shopper = await connect("shopper");
      await shopper.subscribe("product:DRONE-1");
      // the list price was set a moment ago: this automatic change waits out the interval
      await call("PUT", "/api/pricing/signals/queue", { value: 6 });
      const events = await shopper.collect(priceOn("product:DRONE-1"), 2, 30_000);
      const amounts = events.map((e) => priceEventSchema.parse(e.data));
      // +15 % wanted, 10 % per step: 11 000, then 11 500
      expect(amounts.map((a) => a.amount)).toEqual([11_000, 11_500]);
      expect(amounts[0]?.factors.at(-1)).toMatchObject({ rule: "max_change", effect: -500 });
      expect(amounts[1]?.seq).toBe((amounts[0]?.seq ?? 0) + 1);
      const first = Date.parse(amounts[0]?.at ?? "");
      expect(Date.parse(amounts[1]?.at ?? "") - first).toBeGreaterThanOrEqual(1500);
    }, 60_000);
  });
});
