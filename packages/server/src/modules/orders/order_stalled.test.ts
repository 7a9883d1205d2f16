import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "../../platform/durable/types.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { ORDER_EVENTS, orderStalledSchema } from "./contract.js";
import { STALLED_TASK } from "./stalled.js";

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The worked example's scheduled task: `order.stalled` once an order sits in one status. */
describe.each(DIALECTS)("orders: the stalled-order task (%s)", (database) => {
  let server: TestServer;
  let staff: string;
  const stalled: DomainEvent[] = [];
  const key = (id: string) => `orders:stalled:${id}`;
  const task = (id: string) =>
    server.app.store.db
      .selectFrom("scheduled_tasks")
      .selectAll()
      .where("key", "=", key(id))
      .executeTakeFirst();
  const create = async () => {
    const r = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "repair-booking", customerId: "alice", title: "Phone" },
    });
    expect(r.status).toBe(201);
    return r.body as { id: string; status: string; version: number };
  };
  const move = async (id: string, to: string) => {
    const r = await restCall(server, "POST", `/api/orders/${id}/transitions`, {
      token: staff,
      body: { to },
    });
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    // long enough that nothing fires by itself during the test: the test brings tasks due
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_ORDERS_STALLED_AFTER_MS: "3600000" },
    });
    staff = await server.token({ sub: "sam", role: "agent" });
    server.app.events.on(ORDER_EVENTS.stalled, "test.order-stalled", async (e) => {
      stalled.push(e);
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("arms one task per order in its write, moves it with each transition, drops it when terminal", async () => {
    const order = await create();
    const armed = await task(order.id);
    expect(armed?.task).toBe(STALLED_TASK);
    expect(JSON.parse(armed?.payload ?? "null")).toEqual({ orderId: order.id, version: 1 });
    const due = Date.parse(armed?.run_at ?? "");
    expect(due - Date.now()).toBeGreaterThan(3_000_000);

    await move(order.id, "confirmed");
    const moved = await task(order.id);
    expect(JSON.parse(moved?.payload ?? "null")).toEqual({ orderId: order.id, version: 2 });
    expect(Date.parse(moved?.run_at ?? "")).toBeGreaterThanOrEqual(due);

    await move(order.id, "cancelled");
    expect(await task(order.id)).toBeUndefined();
  });

  it("emits order.stalled when due, with the status it sat in, once", async () => {
    const order = await create();
    await move(order.id, "confirmed");
    await server.app.scheduler.reschedule(server.app.store.db, key(order.id), new Date());
    const [event] = await until(
      async () => stalled.filter((e) => e.aggregate === `order:${order.id}`),
      (list) => list.length === 1,
    );
    const payload = orderStalledSchema.parse(event?.payload);
    expect(payload).toMatchObject({ orderId: order.id, status: "confirmed", version: 2 });
    expect(await task(order.id)).toBeUndefined(); // ran: gone until the next write
  });

  it("emits nothing for a task armed for a version the order has left", async () => {
    const order = await create();
    await move(order.id, "confirmed");
    // as if the version-1 task came due on another node just as the transition committed
    await server.app.scheduler.schedule(server.app.store.db, {
      task: STALLED_TASK,
      key: key(order.id),
      runAt: new Date(),
      payload: { orderId: order.id, version: 1 },
    });
    await until(
      async () => task(order.id),
      (t) => t === undefined,
    );
    await server.app.events.runOnce();
    expect(stalled.filter((e) => e.aggregate === `order:${order.id}`)).toEqual([]);
  });

  it("refuses a bad SWITCHBOARD_ORDERS_STALLED_AFTER_MS at start", async () => {
    await expect(
      startTestServer({ database, env: { SWITCHBOARD_ORDERS_STALLED_AFTER_MS: "soon" } }),
    ).rejects.toThrow(/SWITCHBOARD_ORDERS_STALLED_AFTER_MS/);
  });
});
