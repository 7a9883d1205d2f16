import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { startTestServer, type TestServer } from "../../testing.js";

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  let last = await what();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await what();
  }
  return last;
}

describe("a conversation about an item", () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  }, 60_000);

  it("shows both sides the item — name, price, stock, an order's status — and follows it live", async () => {
    const server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(server);
    const h = chatHarness(() => server);
    try {
      const admin = await h.as("boss", "admin");
      await admin.call("PUT", "/api/chat/teams/dealer-a", { name: "Dealer A", members: ["a-1"] });
      const listed = await admin.call("PUT", "/api/catalog/products/CAR-9", {
        name: "Blue hatchback",
        teamId: "dealer-a",
        price: { amount: 1_999_900, currency: "USD" },
      });
      expect(listed.status).toBeLessThan(300);
      await admin.call("PUT", "/api/inventory/items/CAR-9", { onHand: 2 });
      const agent = await h.agent("a-1");
      const other = await h.as("a-2", "agent");
      const buyer = await h.as("buyer");
      const opened = await buyer.call("POST", "/api/chat/conversations", {
        subject: { type: "product", id: "CAR-9" },
      });
      expect(opened.body).toMatchObject({ teamId: "dealer-a", subject: "Blue hatchback" });
      const id = opened.body.id as string;
      const context = `/api/chat/conversations/${id}/context`;
      await until(
        async () => (await admin.call("GET", `/api/chat/conversations/${id}`)).body.agentId,
        (a) => a === "a-1",
      );
      const first = await buyer.call("GET", context);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        type: "product",
        id: "CAR-9",
        name: "Blue hatchback",
        price: { amountMinor: 1_999_900, currency: "USD" },
        stock: { available: 2, inStock: true, lowStock: expect.any(Boolean) },
        teamId: "dealer-a",
        links: { customer: "/shop/CAR-9", staff: "/console/inventory" },
        channel: "product:CAR-9",
      });
      // the agent sees the same; an agent not on it does not
      expect((await agent.call("GET", context)).body).toEqual(first.body);
      expect((await other.call("GET", context)).status).toBe(403);

      // live: the item's channel announces the change, and the context reads it
      const tab = await buyer.socket();
      await tab.subscribe("product:CAR-9");
      await admin.call("POST", "/api/inventory/items/CAR-9/adjustments", {
        delta: -1,
        reason: "sale",
      });
      await admin.call("PUT", "/api/pricing/prices/CAR-9", { amount: 1_899_900, currency: "USD" });
      await tab.next((f) => f.channel === "product:CAR-9" && f.event === "stock", 10_000);
      await tab.next((f) => f.channel === "product:CAR-9" && f.event === "price", 10_000);
      const after = (await buyer.call("GET", context)).body;
      expect(after.stock.available).toBe(1);
      expect(after.price.amountMinor).toBe(1_899_900);

      // an order names its item: its conversation goes to the item's team, with its status
      const order = await admin.call("POST", "/api/orders", {
        lifecycle: "repair-booking",
        customerId: "buyer",
        title: "Service for the blue hatchback",
        details: { sku: "CAR-9" },
      });
      expect(order.status).toBe(201);
      const aboutOrder = await buyer.call("POST", "/api/chat/conversations", {
        subject: { type: "order", id: order.body.id },
      });
      expect(aboutOrder.status).toBe(201);
      expect(aboutOrder.body.teamId).toBe("dealer-a");
      const orderContext = `/api/chat/conversations/${aboutOrder.body.id}/context`;
      expect((await buyer.call("GET", orderContext)).body).toMatchObject({
        type: "order",
        name: "Service for the blue hatchback",
        status: "pending",
        channel: `order:${order.body.id}`,
        links: { customer: `/orders/${order.body.id}` },
      });
      const moved = await admin.call("POST", `/api/orders/${order.body.id}/transitions`, {
        to: "confirmed",
      });
      expect(moved.status).toBeLessThan(300);
      expect((await buyer.call("GET", orderContext)).body.status).toBe("confirmed");
    } finally {
      h.cleanup();
    }
  }, 60_000);

  it("a conversation about a booking goes to the team that owns its resource, and shows its status", async () => {
    const server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(server);
    const h = chatHarness(() => server);
    try {
      const admin = await h.as("boss", "admin");
      await admin.call("PUT", "/api/chat/teams/sales", {
        name: "Sales floor",
        members: ["s-1"],
        resources: ["salesperson-1"],
      });
      const at = "2026-12-10T15:00:00.000Z";
      await server.app.store.db
        .insertInto("appointments")
        .values({
          id: "ap-1",
          service_id: "test-drive",
          resource_id: "salesperson-1",
          customer_id: "buyer",
          status: "confirmed",
          starts_at: at,
          ends_at: at,
          time_zone: "UTC",
          day: at.slice(0, 10),
          claim_from: 0,
          claim_to: 0,
          session: "ap-1",
          expires_at: null,
          version: 1,
          created_at: at,
          updated_at: at,
        })
        .execute();
      const buyer = await h.as("buyer");
      const other = await h.as("someone-else");
      const opened = await buyer.call("POST", "/api/chat/conversations", {
        subject: { type: "appointment", id: "ap-1" },
      });
      expect(opened.status).toBe(201);
      expect(opened.body.teamId).toBe("sales");
      const context = (await buyer.call("GET", `/api/chat/conversations/${opened.body.id}/context`))
        .body;
      expect(context).toMatchObject({
        type: "appointment",
        id: "ap-1",
        status: "confirmed",
        startsAt: at,
        links: { customer: "/appointments", staff: "/console/appointments" },
      });
      const theirs = await other.call("POST", "/api/chat/conversations", {
        subject: { type: "appointment", id: "ap-1" },
      });
      expect(theirs.status).toBe(403);
    } finally {
      h.cleanup();
    }
  }, 60_000);
});
