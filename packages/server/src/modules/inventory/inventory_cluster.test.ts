import { afterEach, describe, expect, it } from "vitest";
import { Outbox } from "../../store/outbox.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import type { InventorySettings } from "./config.js";
import { createInventoryService } from "./service.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)("inventory across two nodes on %s", (database) => {
  const servers: TestServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    closeAll(clients);
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  async function cluster() {
    const a = await startTestServer({ database });
    const b = await startTestServer({ shareWith: a });
    servers.push(a, b);
    return [a, b] as const;
  }
  const call = (node: TestServer, method: string, path: string, body?: unknown) =>
    restCall(node, method, path, { body });
  /** The service as a node builds it, but with no lease around it: what a second sweeper would do. */
  function bareService(node: TestServer) {
    const { db } = node.app.store;
    return createInventoryService({
      db,
      outbox: new Outbox(db, (c, e, d) => node.publish(c, e, d), node.app.logger),
      events: node.app.events,
      broker: node.app.broker,
      logger: node.app.logger,
      dialect: node.app.store.dialect,
      settings: node.app.config.moduleSettings.inventory as InventorySettings,
    });
  }

  it("200 reservations racing through both nodes for 50 units: exactly 50 win", async () => {
    const [a, b] = await cluster();
    await call(a, "PUT", "/api/inventory/items/CL-1", { onHand: 50 });
    const watcher = await RawClient.connect(b.wsUrl, await b.token({ sub: "viewer" }));
    clients.push(watcher);
    await watcher.subscribe("product:CL-1");
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(i % 2 ? a : b, "POST", "/api/inventory/reservations", { sku: "CL-1", quantity: 1 }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(50);
    expect(results.filter((r) => r.status === 409)).toHaveLength(150);
    for (const node of [a, b])
      expect((await call(node, "GET", "/api/inventory/items/CL-1")).body).toMatchObject({
        onHand: 50,
        reserved: 50,
        available: 0,
      });
    // a viewer on node b follows the changes made on either node down to 0 (reservations that
    // commit together are announced together, so there are at most 50 events)
    const last = await watcher.next(
      (f) => f.type === "message" && (f.data as { available: number }).available === 0,
      10_000,
    );
    expect(last.data).toMatchObject({ inStock: false });
  });

  it("two sweepers without a lease and commits on both nodes: every reservation ends exactly once", async () => {
    const [a, b] = await cluster();
    await call(a, "PUT", "/api/inventory/items/CL-2", { onHand: 40 });
    const rs = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) =>
          (
            await call(i % 2 ? a : b, "POST", "/api/inventory/reservations", {
              sku: "CL-2",
              quantity: 2,
              ttlSeconds: 1,
            })
          ).body as { id: string; expiresAt: string },
      ),
    );
    const sweepers = [bareService(a), bareService(b)];
    let sweeping = true;
    const sweeps = sweepers.map(async (s) => {
      while (sweeping) {
        await s.reservations.expireDue();
        await sleep(5);
      }
    });
    const commits = await Promise.all(
      rs.map(async (r, i) => {
        await sleep(Math.max(0, Date.parse(r.expiresAt) - 200 + i * 20 - Date.now()));
        return call(i % 2 ? b : a, "POST", `/api/inventory/reservations/${r.id}/commit`);
      }),
    );
    sweeping = false;
    await Promise.all(sweeps);
    const committed = commits.filter((c) => c.status === 200).length;
    expect(commits.every((c) => c.status === 200 || c.status === 409)).toBe(true);
    const item = (await call(a, "GET", "/api/inventory/items/CL-2")).body;
    expect(item).toMatchObject({
      onHand: 40 - 2 * committed,
      reserved: 0,
      available: 40 - 2 * committed,
    });
    const history = (await call(b, "GET", "/api/inventory/items/CL-2/history?limit=500")).body
      .items as { kind: string; reservationId?: string }[];
    for (const r of rs)
      expect(history.filter((h) => h.reservationId === r.id && h.kind !== "reserve")).toHaveLength(
        1,
      );
  });

  it("counts viewers on every node", async () => {
    const [a, b] = await cluster();
    await call(a, "PUT", "/api/inventory/items/CL-3", { onHand: 1 });
    for (const [node, sub] of [
      [a, "p1"],
      [b, "p2"],
      [b, "p3"],
    ] as const) {
      const c = await RawClient.connect(node.wsUrl, await node.token({ sub }));
      clients.push(c);
      await c.subscribe("product:CL-3");
    }
    expect((await call(a, "GET", "/api/inventory/items/CL-3")).body.viewers).toBe(3);
    expect((await call(b, "GET", "/api/inventory/items/CL-3/viewers")).body.viewers).toBe(3);
  });
});
