import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { boardEventSchema, customerOrderEventSchema, statusChangeSchema } from "./contract.js";
import type { OrderStatusChanged } from "./service.js";

describe.each(DIALECTS)("following an order live on %s", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    server = await startTestServer({ database });
  });
  afterEach(async () => {
    closeAll(clients);
    await server.close();
  });

  async function connect(sub: string, role: "customer" | "agent" = "customer") {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
    clients.push(c);
    return c;
  }
  const api = async (path: string, body: unknown) =>
    (await restCall(server, "POST", path, { body })).body;

  it("shows the customer each status once and in order, and the staff board every change", async () => {
    const order = await api("/api/orders", { lifecycle: "repair-booking", customerId: "alice" });
    const alice = await connect("alice");
    const board = await connect("sam", "agent");
    await alice.subscribe(`order:${order.id}`);
    await board.subscribe("staff:orders");
    const domain: OrderStatusChanged[] = [];
    server.app.events.local.on("order.status_changed", (e) => void domain.push(e));

    const path = [
      "confirmed",
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
    ];
    for (const to of path)
      await api(`/api/orders/${order.id}/transitions`, {
        to,
        note: `now ${to}`,
        location: "bench 2",
      });
    // the customer approves from the socket, through the same service
    expect(
      await alice.request({
        type: "rpc",
        method: "orders.transition",
        params: { id: order.id, to: "quote-approved" },
      }),
    ).toMatchObject({ type: "result" });

    const seen = await alice.collect((f) => f.type === "message", path.length + 1);
    expect(seen.map((m) => (m.data as { to: string }).to)).toEqual([...path, "quote-approved"]);
    expect(seen[0]!.data).toMatchObject({
      from: "pending",
      to: "confirmed",
      progress: 7,
      note: "now confirmed",
      location: "bench 2",
      by: "server",
      version: 2,
    });
    expect(seen.at(-1)!.data).toMatchObject({ by: "alice", progress: 42 });
    // the contract describes every field (parsing drops what it does not know)
    for (const m of seen) expect(statusChangeSchema.parse(m.data)).toEqual(m.data);
    await new Promise((r) => setTimeout(r, 50));
    expect(alice.messages(`order:${order.id}`)).toHaveLength(0);

    const boardSeen = await board.collect(
      (f) => f.type === "message" && f.channel === "staff:orders",
      path.length + 1,
    );
    expect(boardSeen.map((m) => (m.data as { order: { status: string } }).order.status)).toEqual([
      ...path,
      "quote-approved",
    ]);
    for (const m of boardSeen) expect(boardEventSchema.parse(m.data)).toEqual(m.data);
    await server.app.events.settled();
    expect(domain.map((e) => e.change.to)).toEqual([...path, "quote-approved"]);
  });

  it("tells a customer on user:{sub} of each new order of theirs and of every change, no one else", async () => {
    const alice = await connect("alice");
    const bob = await connect("bob");
    await alice.subscribe("user:alice");
    await bob.subscribe("user:bob");
    const first = await api("/api/orders", {
      lifecycle: "store-order",
      customerId: "alice",
      title: "Charger",
    });
    await api(`/api/orders/${first.id}/transitions`, { to: "paid" });
    const second = await api("/api/orders", { lifecycle: "test-drive", customerId: "alice" });
    const seen = await alice.collect((f) => f.type === "message" && f.event === "order", 3);
    expect(
      seen.map((m) => {
        const d = m.data as {
          type: string;
          order: { id: string; status: string; version: number };
        };
        return [d.type, d.order.id, d.order.status, d.order.version];
      }),
    ).toEqual([
      ["created", first.id, "pending", 1],
      ["status", first.id, "paid", 2],
      ["created", second.id, "requested", 1],
    ]);
    for (const m of seen) expect(customerOrderEventSchema.parse(m.data)).toEqual(m.data);
    expect(seen[0]!.data).toMatchObject({
      order: {
        customerId: "alice",
        title: "Charger",
        progress: 0,
        statusLabel: expect.any(String),
      },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(bob.messages("user:bob")).toEqual([]);
    expect(alice.messages("user:alice")).toEqual([]);
  });

  it("lets no other customer follow the order", async () => {
    const order = await api("/api/orders", { lifecycle: "store-order", customerId: "alice" });
    const bob = await connect("bob");
    expect(await bob.request({ type: "subscribe", channel: `order:${order.id}` })).toMatchObject({
      type: "error",
      code: "forbidden",
    });
    expect(await bob.request({ type: "subscribe", channel: "order:does-not-exist" })).toMatchObject(
      { code: "forbidden" },
    );
    expect(await bob.request({ type: "subscribe", channel: "staff:orders" })).toMatchObject({
      code: "forbidden",
    });
    const agent = await connect("sam", "agent");
    expect(await agent.request({ type: "subscribe", channel: `order:${order.id}` })).toMatchObject({
      type: "subscribed",
    });
  });

  it("recovers missed status changes after a reconnect, and the snapshot matches", async () => {
    const order = await api("/api/orders", { lifecycle: "store-order", customerId: "alice" });
    const first = await connect("alice");
    const sub = await first.subscribe(`order:${order.id}`);
    first.close();
    for (const to of ["paid", "packed", "shipped"])
      await api(`/api/orders/${order.id}/transitions`, { to });
    const again = await connect("alice");
    const reply = await again.subscribe(`order:${order.id}`, {
      recover: { epoch: sub.epoch, offset: sub.offset },
    });
    expect(reply.recovered).toBe(true);
    expect((reply.publications as { data: { to: string } }[]).map((p) => p.data.to)).toEqual([
      "paid",
      "packed",
      "shipped",
    ]);
  });

  it("announces a change committed while the broker was failing, once it works again (outbox)", async () => {
    const order = await api("/api/orders", { lifecycle: "store-order", customerId: "alice" });
    const alice = await connect("alice");
    await alice.subscribe(`order:${order.id}`);
    const broker = server.app.broker;
    const publish = broker.publish.bind(broker);
    broker.publish = async () => {
      throw new Error("broker down");
    };
    const moved = await api(`/api/orders/${order.id}/transitions`, { to: "paid" });
    expect(moved.status).toBe("paid"); // the change is committed
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.messages(`order:${order.id}`)).toHaveLength(0);
    broker.publish = publish;
    const late = await alice.next((f) => f.type === "message", 15_000);
    expect(late.data).toMatchObject({ from: "pending", to: "paid" });
  }, 20_000);
});
