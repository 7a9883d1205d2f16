import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("inventory items over REST on %s", (database) => {
  let server: TestServer;
  let staff: string;
  let alice: string;

  beforeAll(async () => {
    server = await startTestServer({ database });
    staff = await server.token({ sub: "sam", role: "agent" });
    alice = await server.token({ sub: "alice" });
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (method: string, path: string, token: string | null, body?: unknown) =>
    restCall(server, method, path, { body, token });

  const item = (sku: string) => `/api/inventory/items/${sku}`;

  it("creates an item (201), then sets it (200); anyone reads its availability without credentials", async () => {
    const created = await call("PUT", item("TEE-01"), staff, { onHand: 10, name: "Tee" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sku: "TEE-01",
      baseSku: "TEE-01",
      name: "Tee",
      onHand: 10,
      reserved: 0,
      available: 10,
      lowStockThreshold: 5,
      inStock: true,
      lowStock: false,
      version: 1,
    });
    const set = await call("PUT", item("TEE-01"), staff, { onHand: 4, lowStockThreshold: 2 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ onHand: 4, lowStockThreshold: 2, name: "Tee", version: 2 });
    const read = await call("GET", item("TEE-01"), null);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ sku: "TEE-01", available: 4, viewers: 0 });
    expect(read.body.onHand).toBeUndefined(); // unit counts are for staff
    expect((await call("GET", item("TEE-01"), staff)).body).toMatchObject({ onHand: 4 });
  });

  it("keys variants and locations as SKU:variant@location, each its own item", async () => {
    for (const [key, onHand] of [
      ["MUG:blue", 3],
      ["MUG:blue@berlin", 7],
      ["MUG@paris", 1],
    ] as const)
      expect((await call("PUT", item(key), staff, { onHand })).status).toBe(201);
    const berlin = await call("GET", item("MUG:blue@berlin"), alice);
    expect(berlin.body).toMatchObject({
      sku: "MUG:blue@berlin",
      baseSku: "MUG",
      variant: "blue",
      location: "berlin",
      available: 7,
    });
    // clients that percent-encode the separators reach the same item
    expect(
      (await call("GET", item(encodeURIComponent("MUG:blue@berlin")), null)).body.available,
    ).toBe(7);
    const paris = await call("GET", item("MUG@paris"), null);
    expect(paris.body).toMatchObject({ baseSku: "MUG", location: "paris" });
    expect(paris.body.variant).toBeUndefined();
    const list = await call("GET", "/api/inventory/items?baseSku=MUG", staff);
    expect(list.body.items.map((i: { sku: string }) => i.sku)).toEqual([
      "MUG:blue",
      "MUG:blue@berlin",
      "MUG@paris",
    ]);
    const low = await call("GET", "/api/inventory/items?baseSku=MUG&lowStock=true", staff);
    expect(low.body.items.map((i: { sku: string }) => i.sku)).toEqual(["MUG:blue", "MUG@paris"]);
  });

  it("adjusts with a reason and keeps every change in the history (staff only)", async () => {
    await call("PUT", item("CAP"), staff, { onHand: 5 });
    const restock = await call("POST", `${item("CAP")}/adjustments`, staff, {
      delta: 10,
      reason: "restock",
      note: "delivery 42",
    });
    expect(restock.status).toBe(200);
    expect(restock.body).toMatchObject({ onHand: 15, available: 15 });
    const damage = await call("POST", `${item("CAP")}/adjustments`, staff, {
      delta: -3,
      reason: "damage",
    });
    expect(damage.body.onHand).toBe(12);
    const history = await call("GET", `${item("CAP")}/history`, staff);
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([
      expect.objectContaining({
        kind: "adjustment",
        reason: "damage",
        deltaOnHand: -3,
        onHand: 12,
      }),
      expect.objectContaining({
        kind: "adjustment",
        reason: "restock",
        deltaOnHand: 10,
        note: "delivery 42",
        by: "sam",
      }),
      expect.objectContaining({ kind: "set", deltaOnHand: 5, onHand: 5 }),
    ]);
    const page = await call("GET", `${item("CAP")}/history?limit=2`, staff);
    const rest = await call(
      "GET",
      `${item("CAP")}/history?limit=2&cursor=${page.body.nextCursor}`,
      staff,
    );
    expect(rest.body.items).toHaveLength(1);
    expect((await call("GET", `${item("CAP")}/history`, alice)).status).toBe(403);
  });

  it("refuses an adjustment or a set below what is reserved (409) and changes nothing", async () => {
    await call("PUT", item("LAMP"), staff, { onHand: 5 });
    const r = await call("POST", "/api/inventory/reservations", alice, {
      sku: "LAMP",
      quantity: 3,
    });
    expect(r.status).toBe(201);
    const tooMuch = await call("POST", `${item("LAMP")}/adjustments`, staff, {
      delta: -3,
      reason: "damage",
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body).toMatchObject({
      code: "conflict",
      details: { onHand: 5, reserved: 3, available: 2 },
    });
    expect((await call("PUT", item("LAMP"), staff, { onHand: 2 })).status).toBe(409);
    expect((await call("GET", item("LAMP"), staff)).body).toMatchObject({ onHand: 5, reserved: 3 });
    const ok = await call("POST", `${item("LAMP")}/adjustments`, staff, {
      delta: -2,
      reason: "sale",
    });
    expect(ok.body).toMatchObject({ onHand: 3, reserved: 3, available: 0, inStock: false });
  });

  it("lets only staff or the API key write stock", async () => {
    expect((await call("PUT", item("X1"), alice, { onHand: 1 })).status).toBe(403);
    expect((await call("PUT", item("X1"), null, { onHand: 1 })).status).toBe(401);
    expect((await call("PUT", item("X1"), server.apiKey, { onHand: 1 })).status).toBe(201);
    expect(
      (await call("POST", `${item("X1")}/adjustments`, alice, { delta: 1, reason: "return" }))
        .status,
    ).toBe(403);
    expect((await call("GET", "/api/inventory/items", alice)).status).toBe(403);
  });

  it("answers 404 not_found for an unknown SKU everywhere", async () => {
    for (const [method, path, body] of [
      ["GET", item("NOPE"), undefined],
      ["POST", `${item("NOPE")}/adjustments`, { delta: 1, reason: "restock" }],
      ["GET", `${item("NOPE")}/history`, undefined],
      ["POST", `${item("NOPE")}/watch`, {}],
      ["POST", "/api/inventory/reservations", { sku: "NOPE", quantity: 1 }],
      ["POST", "/api/inventory/reservations/01NOPE/commit", undefined],
      ["POST", "/api/inventory/reservations/01NOPE/release", undefined],
      ["GET", "/api/inventory/reservations/01NOPE", undefined],
    ] as const) {
      const r = await call(method, path, staff, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.code).toBe("not_found");
    }
  });

  it("keeps items across a restart", async () => {
    await call("PUT", item("KEEP:red@hq"), staff, { onHand: 9, name: "Keeper" });
    await server.stop();
    await server.restart();
    expect((await call("GET", item("KEEP:red@hq"), staff)).body).toMatchObject({
      onHand: 9,
      name: "Keeper",
      location: "hq",
    });
  });

  it("documents every route in OpenAPI, from the zod schemas", async () => {
    const doc = await (await fetch(`${server.url}/docs/json`)).json();
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).filter(
      ([path]) => path.startsWith("/api/inventory"),
    );
    const ops = routes.flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => ({ route: `${m} ${path}`, ...(op as object) })),
    ) as { route: string; summary?: string; tags?: string[] }[];
    expect(ops.map((o) => o.route).sort()).toEqual([
      "delete /api/inventory/items/{sku}/watch",
      "get /api/inventory/catalog",
      "get /api/inventory/items",
      "get /api/inventory/items/{sku}",
      "get /api/inventory/items/{sku}/history",
      "get /api/inventory/items/{sku}/viewers",
      "get /api/inventory/reservations",
      "get /api/inventory/reservations/{id}",
      "post /api/inventory/items/{sku}/adjustments",
      "post /api/inventory/items/{sku}/watch",
      "post /api/inventory/reservations",
      "post /api/inventory/reservations/{id}/commit",
      "post /api/inventory/reservations/{id}/release",
      "put /api/inventory/items/{sku}",
    ]);
    for (const op of ops) {
      expect(op.summary, op.route).toBeTruthy();
      expect(op.tags).toEqual(["inventory"]);
    }
  });

  it("works over the socket with the same service (rpc)", async () => {
    const { RawClient } = await import("../../test-support/ws-client.js");
    const c = await RawClient.connect(server.wsUrl, staff);
    try {
      const set = await c.request({
        type: "rpc",
        method: "inventory.set",
        params: { sku: "RPC-1", onHand: 2 },
      });
      expect(set).toMatchObject({ type: "result", data: { sku: "RPC-1", available: 2 } });
      const res = await c.request({
        type: "rpc",
        method: "inventory.reserve",
        params: { sku: "RPC-1", quantity: 3 },
      });
      expect(res).toMatchObject({
        type: "error",
        code: "insufficient_stock",
        details: { available: 2 },
      });
      const ok = await c.request({
        type: "rpc",
        method: "inventory.reserve",
        params: { sku: "RPC-1", quantity: 2 },
      });
      const id = (ok.data as { id: string }).id;
      expect(
        await c.request({ type: "rpc", method: "inventory.commit", params: { id } }),
      ).toMatchObject({ data: { status: "committed" } });
      expect(
        await c.request({ type: "rpc", method: "inventory.get", params: { sku: "RPC-1" } }),
      ).toMatchObject({ data: { onHand: 0, reserved: 0 } });
    } finally {
      c.close();
    }
  });
});
