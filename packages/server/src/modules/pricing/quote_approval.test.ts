import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "../../platform/durable/types.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import {
  PRICE_CHANGED_EVENT,
  priceChangedEventSchema,
  QUOTE_APPROVED_EVENT,
  quoteApprovedEventSchema,
} from "./contract.js";

const until = async (check: () => boolean, what: string, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.each(DIALECTS)(
  "an approved quote moves its order, with durable events (%s)",
  (database) => {
    let server: TestServer;
    let customer: string;
    const seen: DomainEvent[] = [];
    beforeAll(async () => {
      server = await startTestServer({
        database,
        env: { SWITCHBOARD_CHAT_BOT: "off", SWITCHBOARD_PRICING_TAX_PERCENT: "0" },
      });
      customer = await server.token({ sub: "qa-alice", role: "customer" });
      for (const type of [QUOTE_APPROVED_EVENT, PRICE_CHANGED_EVENT])
        server.app.events.on(type, `test.${type.replace(".", "-")}`, async (e) => {
          seen.push(e);
        });
    });
    afterAll(async () => {
      await server.close();
    });
    const call = (method: string, path: string, body?: unknown, token?: string) =>
      restCall(server, method, path, { body, ...(token !== undefined && { token }) });

    /** A repair booking walked by staff to `diagnosis-complete`, the step before a quote. */
    async function diagnosed(): Promise<string> {
      const order = (
        await call("POST", "/api/orders", { lifecycle: "repair-booking", customerId: "qa-alice" })
      ).body as { id: string };
      for (const to of ["confirmed", "device-received", "diagnosis", "diagnosis-complete"])
        expect((await call("POST", `/api/orders/${order.id}/transitions`, { to })).status).toBe(
          200,
        );
      return order.id;
    }
    const status = async (id: string) =>
      ((await call("GET", `/api/orders/${id}`, undefined, customer)).body as { status: string })
        .status;
    const sendQuote = async (orderId: string, amount: number) => {
      const r = await call("POST", "/api/pricing/order-quotes", {
        orderId,
        currency: "EUR",
        lines: [{ kind: "labour", description: "Repair", unitAmount: amount }],
      });
      expect(r.status).toBe(201);
      return r.body as { id: string; version: number; total: number };
    };

    it("sending a quote makes the order wait for it; approving moves it to quote-approved and emits quote.approved once", async () => {
      const orderId = await diagnosed();
      const quote = await sendQuote(orderId, 14_900);
      expect(await status(orderId)).toBe("quote-pending");
      const approved = await call(
        "POST",
        `/api/pricing/order-quotes/${quote.id}/decision`,
        { decision: "approve", version: quote.version, total: quote.total },
        customer,
      );
      expect(approved.status).toBe(200);
      expect(await status(orderId)).toBe("quote-approved");
      await until(
        () =>
          seen.some((e) => e.type === QUOTE_APPROVED_EVENT && e.aggregate === `order:${orderId}`),
        "quote.approved",
      );
      const events = seen.filter(
        (e) => e.type === QUOTE_APPROVED_EVENT && e.aggregate === `order:${orderId}`,
      );
      expect(events).toHaveLength(1);
      expect(quoteApprovedEventSchema.parse(events[0]?.payload)).toMatchObject({
        orderId,
        quoteId: quote.id,
        amountMinor: 14_900,
        currency: "EUR",
        userId: "qa-alice",
      });
      // the tracker's history says so, with the amount
      const order = (await call("GET", `/api/orders/${orderId}`, undefined, customer)).body as {
        history: { to: string; note?: string }[];
      };
      expect(order.history.find((h) => h.to === "quote-approved")?.note).toContain("149.00");
    });

    it("racing approve and decline: one wins, and the order is in exactly the winner's state", async () => {
      const orderId = await diagnosed();
      const quote = await sendQuote(orderId, 9_900);
      const body = (decision: string) => ({ decision, version: quote.version, total: quote.total });
      const results = await Promise.all(
        ["approve", "decline", "approve", "decline"].map((d) =>
          call("POST", `/api/pricing/order-quotes/${quote.id}/decision`, body(d), customer),
        ),
      );
      const won = results.filter((r) => r.status === 200);
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual([
        "quote_changed",
        "quote_changed",
        "quote_changed",
      ]);
      const winner = (won[0] as { body: { status: string } }).body.status;
      expect(await status(orderId)).toBe(
        winner === "approved" ? "quote-approved" : "quote-declined",
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(
        seen.filter((e) => e.type === QUOTE_APPROVED_EVENT && e.aggregate === `order:${orderId}`),
      ).toHaveLength(winner === "approved" ? 1 : 0);
    });

    it("a quote for an order whose lifecycle has no quote step is decided without moving it", async () => {
      const order = (
        await call("POST", "/api/orders", { lifecycle: "store-order", customerId: "qa-alice" })
      ).body as { id: string; status: string };
      const quote = await sendQuote(order.id, 500);
      const r = await call(
        "POST",
        `/api/pricing/order-quotes/${quote.id}/decision`,
        { decision: "approve", version: quote.version, total: quote.total },
        customer,
      );
      expect(r.status).toBe(200);
      expect(await status(order.id)).toBe(order.status);
    });

    it("a price write emits price.changed with the previous amount, in order per product", async () => {
      await call("PUT", "/api/pricing/prices/QA-PHONE", { amount: 50_000, currency: "EUR" });
      await call("PUT", "/api/pricing/prices/QA-PHONE", { amount: 45_000, currency: "EUR" });
      const mine = () =>
        seen.filter((e) => e.type === PRICE_CHANGED_EVENT && e.aggregate === "price:QA-PHONE");
      await until(() => mine().length === 2, "two price.changed");
      expect(mine().map((e) => priceChangedEventSchema.parse(e.payload))).toMatchObject([
        { productId: "QA-PHONE", amountMinor: 50_000, previousMinor: null, currency: "EUR" },
        { productId: "QA-PHONE", amountMinor: 45_000, previousMinor: 50_000, currency: "EUR" },
      ]);
    });
  },
);
