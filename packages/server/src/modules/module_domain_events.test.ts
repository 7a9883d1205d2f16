import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "../platform/durable/types.js";
import { DIALECTS } from "../test-support/dialects.js";
import { restCall } from "../test-support/rest.js";
import { startTestServer, type TestServer } from "../testing.js";
import { CHAT_EVENTS, chatMessageCreatedSchema } from "./chat/contract.js";
import {
  INVENTORY_EVENTS,
  inventoryBackInStockSchema,
  inventoryLevelChangedSchema,
} from "./inventory/contract.js";
import { ORDER_EVENTS, orderCreatedSchema, orderStatusChangedSchema } from "./orders/contract.js";

async function until<T>(read: () => T, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The built-in modules emit their durable events, with the payloads their contracts declare. */
describe.each(DIALECTS)("durable events of the built-in modules (%s)", (database) => {
  let server: TestServer;
  const seen: DomainEvent[] = [];
  const of = (type: string) => seen.filter((e) => e.type === type);

  beforeAll(async () => {
    server = await startTestServer({ database, env: { SWITCHBOARD_CHAT_BOT: "off" } });
    for (const type of [
      ORDER_EVENTS.created,
      ORDER_EVENTS.statusChanged,
      INVENTORY_EVENTS.backInStock,
      INVENTORY_EVENTS.levelChanged,
      CHAT_EVENTS.messageCreated,
    ])
      server.app.events.on(type, `test.${type.replace(".", "-")}`, async (e) => {
        seen.push(e);
      });
  });
  afterAll(async () => {
    await server.close();
  });

  it("orders: order.created, then order.status_changed, in order on order:{id}", async () => {
    const staff = await server.token({ sub: "sam", role: "agent" });
    const created = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "alice", title: "Kettle" },
    });
    expect(created.status).toBe(201);
    const order = created.body as { id: string; status: string; allowed: { to: string }[] };
    const to = order.allowed[0]?.to as string;
    const moved = await restCall(server, "POST", `/api/orders/${order.id}/transitions`, {
      token: staff,
      body: { to },
    });
    expect(moved.status).toBe(200);
    await until(
      () => seen.filter((e) => e.aggregate === `order:${order.id}`),
      (l) => l.length === 2,
    );
    const mine = seen.filter((e) => e.aggregate === `order:${order.id}`);
    expect(mine.map((e) => e.type)).toEqual([ORDER_EVENTS.created, ORDER_EVENTS.statusChanged]);
    expect(orderCreatedSchema.parse(mine[0]?.payload)).toMatchObject({
      orderId: order.id,
      customerId: "alice",
      lifecycle: "store-order",
      status: order.status,
      title: "Kettle",
      version: 1,
    });
    expect(orderStatusChangedSchema.parse(mine[1]?.payload)).toMatchObject({
      orderId: order.id,
      customerId: "alice",
      from: order.status,
      to,
      version: 2,
    });
  });

  it("inventory: inventory.back_in_stock with the watchers when availability leaves 0", async () => {
    const call = (method: string, path: string, body?: unknown, token?: string) =>
      restCall(server, method, path, { body, ...(token && { token }) });
    expect(
      (await call("PUT", "/api/inventory/items/EV-1", { onHand: 0, name: "Lamp" })).status,
    ).toBe(201);
    const anna = await server.token({ sub: "anna", role: "customer" });
    expect((await call("POST", "/api/inventory/items/EV-1/watch", {}, anna)).status).toBeLessThan(
      300,
    );
    await call("PUT", "/api/inventory/items/EV-1", { onHand: 4 });
    const back = await until(
      () => of(INVENTORY_EVENTS.backInStock).filter((e) => e.aggregate === "product:EV-1"),
      (l) => l.length === 1,
    );
    expect(inventoryBackInStockSchema.parse(back[0]?.payload)).toMatchObject({
      sku: "EV-1",
      name: "Lamp",
      available: 4,
      watcherIds: ["anna"],
    });
    const levels = await until(
      () => of(INVENTORY_EVENTS.levelChanged).filter((e) => e.aggregate === "product:EV-1"),
      (l) => l.some((e) => (e.payload as { available: number }).available === 4),
    );
    expect(inventoryLevelChangedSchema.parse(levels.at(-1)?.payload)).toMatchObject({
      available: 4,
      previous: 0,
      inStock: true,
    });
  });

  it("chat: chat.message_created for each stored message, in order per conversation", async () => {
    const alice = await server.token({ sub: "alice", role: "customer" });
    const opened = await restCall(server, "POST", "/api/chat/conversations", {
      token: alice,
      body: { subject: "help" },
    });
    expect(opened.status).toBe(201);
    const id = (opened.body as { id: string }).id;
    for (const text of ["one", "two", "three"])
      expect(
        (
          await restCall(server, "POST", `/api/chat/conversations/${id}/messages`, {
            token: alice,
            body: { text },
          })
        ).status,
      ).toBe(201);
    const mine = await until(
      () => of(CHAT_EVENTS.messageCreated).filter((e) => e.aggregate === `conversation:${id}`),
      (l) => l.length >= 3,
    );
    const payloads = mine.map((e) => chatMessageCreatedSchema.parse(e.payload));
    const texts = payloads.filter((p) => p.authorRole === "customer").map((p) => p.text);
    expect(texts).toEqual(["one", "two", "three"]);
    expect(payloads[0]).toMatchObject({
      conversationId: id,
      customerId: "alice",
      authorId: "alice",
    });
  });
});
