import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import type { BackInStock } from "./index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Data = Record<string, unknown>;

describe.each(DIALECTS)("inventory live on %s", (database) => {
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
  const call = (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = server.apiKey,
  ) => restCall(server, method, path, { body, token });

  const adjust = (sku: string, delta: number) =>
    call("POST", `/api/inventory/items/${sku}/adjustments`, {
      delta,
      reason: delta > 0 ? "restock" : "sale",
    });
  const events = (c: RawClient, channel: string) =>
    c.messages(channel).map((m) => ({ event: m.event as string, ...(m.data as Data) }));

  it("publishes every change of availability on product:{sku}, in order, and nothing for a commit", async () => {
    await call("PUT", "/api/inventory/items/LIVE-1", { onHand: 3, lowStockThreshold: 1 });
    const shopper = await connect("viewer");
    await shopper.subscribe("product:LIVE-1");
    const r = (await call("POST", "/api/inventory/reservations", { sku: "LIVE-1", quantity: 2 }))
      .body;
    await call("POST", `/api/inventory/reservations/${r.id}/commit`); // available stays 1
    await adjust("LIVE-1", -1);
    await adjust("LIVE-1", 4);
    const seen = await shopper.collect((f) => f.type === "message", 3);
    expect(seen.map((m) => m.data)).toEqual([
      { sku: "LIVE-1", available: 1, inStock: true, lowStock: true, version: 2 },
      { sku: "LIVE-1", available: 0, inStock: false, lowStock: false, version: 4 },
      { sku: "LIVE-1", available: 4, inStock: true, lowStock: false, version: 5 },
    ]);
    expect(seen.every((m) => m.event === "stock")).toBe(true);
    await sleep(100);
    expect(shopper.messages("product:LIVE-1")).toHaveLength(0);
  });

  it("alerts staff on staff:inventory when stock runs low, runs out and comes back; customers may not listen", async () => {
    await call("PUT", "/api/inventory/items/LIVE-2", {
      onHand: 10,
      lowStockThreshold: 3,
      name: "Lamp",
    });
    const staff = await connect("sam", "agent");
    await staff.subscribe("staff:inventory");
    const customer = await connect("carl");
    expect(await customer.request({ type: "subscribe", channel: "staff:inventory" })).toMatchObject(
      { type: "error", code: "forbidden" },
    );
    await adjust("LIVE-2", -6); // 4 left: not low yet
    await adjust("LIVE-2", -1); // 3: low
    await adjust("LIVE-2", -1); // 2: still low, no second alert
    const r = (await call("POST", "/api/inventory/reservations", { sku: "LIVE-2", quantity: 2 }))
      .body; // 0: out
    await call("POST", `/api/inventory/reservations/${r.id}/release`); // 2: back (and low again)
    const isAlert = (f: { type: string; event?: unknown }) =>
      f.type === "message" && f.event !== "levels";
    const alerts = await staff.collect(isAlert, 4);
    expect(alerts.map((a) => a.event)).toEqual([
      "low_stock",
      "out_of_stock",
      "back_in_stock",
      "low_stock",
    ]);
    expect(alerts[1]!.data).toMatchObject({
      sku: "LIVE-2",
      name: "Lamp",
      available: 0,
      onHand: 2,
      reserved: 2,
      lowStockThreshold: 3,
    });
    await sleep(100);
    expect(events(staff, "staff:inventory").filter((e) => e.event !== "levels")).toEqual([]);
  });

  it("follows every change of an item on staff:inventory (levels), a commit and a rename included", async () => {
    await call("PUT", "/api/inventory/items/LIVE-3", {
      onHand: 5,
      lowStockThreshold: 1,
      name: "Fan",
    });
    const staff = await connect("sue", "agent");
    await staff.subscribe("staff:inventory");
    const r = (await call("POST", "/api/inventory/reservations", { sku: "LIVE-3", quantity: 2 }))
      .body;
    await call("POST", `/api/inventory/reservations/${r.id}/commit`); // available stays 3
    await adjust("LIVE-3", 3);
    await call("PUT", "/api/inventory/items/LIVE-3", { onHand: 10, name: "Desk fan" });
    const levels = await staff.collect((f) => f.type === "message" && f.event === "levels", 4);
    const shape = ({
      sku,
      name,
      onHand,
      reserved,
      available,
      lowStockThreshold,
      version,
    }: Data) => ({ sku, name, onHand, reserved, available, lowStockThreshold, version });
    expect(levels.map((m) => shape(m.data as Data))).toEqual([
      {
        sku: "LIVE-3",
        name: "Fan",
        onHand: 5,
        reserved: 2,
        available: 3,
        lowStockThreshold: 1,
        version: 2,
      },
      {
        sku: "LIVE-3",
        name: "Fan",
        onHand: 3,
        reserved: 0,
        available: 3,
        lowStockThreshold: 1,
        version: 3,
      },
      {
        sku: "LIVE-3",
        name: "Fan",
        onHand: 6,
        reserved: 0,
        available: 6,
        lowStockThreshold: 1,
        version: 4,
      },
      {
        sku: "LIVE-3",
        name: "Desk fan",
        onHand: 10,
        reserved: 0,
        available: 10,
        lowStockThreshold: 1,
        version: 5,
      },
    ]);
    expect(levels.every((m) => typeof (m.data as Data).at === "string")).toBe(true);
    // one event per committed change: nothing more arrives
    await sleep(100);
    expect(events(staff, "staff:inventory")).toEqual([]);
  });

  it("tells a watcher on user:{sub} once when the item is back, and only them", async () => {
    await call("PUT", "/api/inventory/items/LIVE-3", { onHand: 1, name: "Kettle" });
    const r = (await call("POST", "/api/inventory/reservations", { sku: "LIVE-3", quantity: 1 }))
      .body;
    const anna = await connect("anna");
    const ben = await connect("ben");
    await anna.subscribe("user:anna");
    await ben.subscribe("user:ben");
    const annaToken = await server.token({ sub: "anna" });
    const watch = await call("POST", "/api/inventory/items/LIVE-3/watch", {}, annaToken);
    expect(watch.body).toMatchObject({ sku: "LIVE-3", customerId: "anna", watching: true });
    expect(watch.body.inStock).toBe(false);
    // ben asks, then changes his mind; staff watch on behalf of a phone customer
    const benToken = await server.token({ sub: "ben" });
    await call("POST", "/api/inventory/items/LIVE-3/watch", {}, benToken);
    await call("DELETE", "/api/inventory/items/LIVE-3/watch", {}, benToken);
    expect((await call("POST", "/api/inventory/items/LIVE-3/watch", {})).status).toBe(400);
    expect(
      (await call("POST", "/api/inventory/items/LIVE-3/watch", { customerId: "ben" }, annaToken))
        .status,
    ).toBe(403);
    const domain: BackInStock[] = [];
    server.app.events.local.on("inventory.back_in_stock", (e) => void domain.push(e));

    await call("POST", `/api/inventory/reservations/${r.id}/release`);
    // only back_in_stock counts: notifications speaks on user:{sub} too (its inbox item)
    const told = await anna.next(
      (f) => f.type === "message" && f.channel === "user:anna" && f.event === "back_in_stock",
    );
    expect(told).toMatchObject({
      event: "back_in_stock",
      data: { sku: "LIVE-3", name: "Kettle", available: 1 },
    });
    // the watch is used up: running out and coming back again says nothing more
    await adjust("LIVE-3", -1);
    await adjust("LIVE-3", 1);
    await sleep(150);
    const backInStock = (c: typeof anna, channel: string) =>
      c.messages(channel).filter((m) => m.event === "back_in_stock");
    expect(backInStock(anna, "user:anna")).toHaveLength(0);
    expect(backInStock(ben, "user:ben")).toHaveLength(0);
    await server.app.events.settled();
    expect(domain).toEqual([{ sku: "LIVE-3", name: "Kettle", available: 1, users: ["anna"] }]);
  });

  it("counts viewers of a product from presence: people, not connections", async () => {
    await call("PUT", "/api/inventory/items/LIVE-4", { onHand: 1 });
    const tabs = [await connect("v1"), await connect("v1"), await connect("v2")];
    for (const t of tabs) await t.subscribe("product:LIVE-4");
    const third = await connect("v3");
    await third.subscribe("product:LIVE-4");
    const viewers = async () => (await call("GET", "/api/inventory/items/LIVE-4", undefined)).body;
    expect((await viewers()).viewers).toBe(3);
    const cheap = await call("GET", "/api/inventory/items/LIVE-4/viewers", undefined, null);
    expect(cheap.body).toEqual({ sku: "LIVE-4", channel: "product:LIVE-4", viewers: 3 });
    third.close();
    tabs[0]!.close(); // v1 still has a tab open
    const deadline = Date.now() + 3000;
    while ((await viewers()).viewers !== 2 && Date.now() < deadline) await sleep(50);
    expect((await viewers()).viewers).toBe(2);
  });

  it("shows an expiry live: the units come back to the product page", async () => {
    await call("PUT", "/api/inventory/items/LIVE-5", { onHand: 2 });
    await call("POST", "/api/inventory/reservations", {
      sku: "LIVE-5",
      quantity: 2,
      ttlSeconds: 1,
    });
    const shopper = await connect("viewer");
    await shopper.subscribe("product:LIVE-5");
    const back = await shopper.next((f) => f.type === "message", 6000);
    expect(back.data).toMatchObject({ available: 2, inStock: true });
  });
});
