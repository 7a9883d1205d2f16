import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("inventory refuses bad input on %s", (database) => {
  let server: TestServer;
  let alice: string;

  beforeAll(async () => {
    server = await startTestServer({ database });
    alice = await server.token({ sub: "alice" });
    await call("PUT", "/api/inventory/items/OK-1", { onHand: 5 });
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (method: string, path: string, body?: unknown, token = server.apiKey) =>
    restCall(server, method, path, { body, token });

  it.each([
    ["a negative onHand", { onHand: -1 }],
    ["a fractional onHand", { onHand: 1.5 }],
    ["onHand as a string", { onHand: "10" }],
    ["a huge onHand", { onHand: 1e10 }],
    ["an unsafe integer", { onHand: 2 ** 53 + 2 }],
    ["no onHand", { name: "x" }],
    ["a negative threshold", { onHand: 1, lowStockThreshold: -1 }],
    ["an empty name", { onHand: 1, name: "" }],
    ["a 300-character name", { onHand: 1, name: "n".repeat(300) }],
    ["an array body", [1, 2]],
    ["broken JSON", "{oops"],
  ])("PUT with %s → 400 bad_request", async (_name, body) => {
    const r = await call("PUT", "/api/inventory/items/OK-2", body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });

  it.each([
    ["a space", "bad%20key"],
    ["two variants", "A:B:C"],
    ["two locations", "A@B@C"],
    ["a location before the variant", "A@B:C"],
    ["an empty variant", "A:"],
    ["a 65-character part", "x".repeat(65)],
    ["a slash (encoded)", "a%2Fb"],
  ])("an item key with %s → 400 bad_request", async (_name, key) => {
    const r = await call("PUT", `/api/inventory/items/${key}`, { onHand: 1 });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
    expect((await call("GET", `/api/inventory/items/${key}`)).status).toBe(400);
  });

  it.each([
    ["delta 0", { delta: 0, reason: "restock" }],
    ["a fractional delta", { delta: 0.5, reason: "restock" }],
    ["delta as a string", { delta: "5", reason: "restock" }],
    ["a huge delta", { delta: -2e9, reason: "damage" }],
    ["an unknown reason", { delta: 1, reason: "theft" }],
    ["no reason", { delta: 1 }],
    ["a 600-character note", { delta: 1, reason: "return", note: "n".repeat(600) }],
  ])("an adjustment with %s → 400 bad_request", async (_name, body) => {
    const r = await call("POST", "/api/inventory/items/OK-1/adjustments", body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });

  it.each([
    ["quantity 0", { sku: "OK-1", quantity: 0 }],
    ["a negative quantity", { sku: "OK-1", quantity: -3 }],
    ["a fractional quantity", { sku: "OK-1", quantity: 1.5 }],
    ["quantity as a string", { sku: "OK-1", quantity: "1" }],
    ["a huge quantity", { sku: "OK-1", quantity: 1e12 }],
    ["quantity null", { sku: "OK-1", quantity: null }],
    ["no sku", { quantity: 1 }],
    ["sku as a number", { sku: 42, quantity: 1 }],
    ["a bad sku", { sku: "no spaces", quantity: 1 }],
    ["ttlSeconds 0", { sku: "OK-1", quantity: 1, ttlSeconds: 0 }],
    ["ttlSeconds over a week", { sku: "OK-1", quantity: 1, ttlSeconds: 10_000_000 }],
    ["an empty customerId", { sku: "OK-1", quantity: 1, customerId: "" }],
  ])("a reservation with %s → 400 bad_request", async (_name, body) => {
    const r = await call("POST", "/api/inventory/reservations", body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });

  it("answers 400 for bad list and history queries", async () => {
    expect((await call("GET", "/api/inventory/items?limit=0")).status).toBe(400);
    expect((await call("GET", "/api/inventory/items?lowStock=maybe")).status).toBe(400);
    expect((await call("GET", "/api/inventory/items/OK-1/history?limit=9999")).status).toBe(400);
  });

  it("takes the largest numbers it allows, and refuses to go past them with a 409", async () => {
    const max = 1_000_000_000;
    expect((await call("PUT", "/api/inventory/items/BIG", { onHand: max })).status).toBe(201);
    const over = await call("POST", "/api/inventory/items/BIG/adjustments", {
      delta: 1,
      reason: "restock",
    });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe("conflict");
    const all = await call("POST", "/api/inventory/reservations", { sku: "BIG", quantity: max });
    expect(all.status).toBe(201);
    const more = await call("POST", "/api/inventory/reservations", { sku: "OK-1", quantity: max });
    expect(more.status).toBe(409);
    expect(more.body).toMatchObject({ code: "insufficient_stock", available: 5 });
  });

  it("lets a customer reserve only for themself, and release only their own", async () => {
    const other = await call(
      "POST",
      "/api/inventory/reservations",
      { sku: "OK-1", quantity: 1, customerId: "bob" },
      alice,
    );
    expect(other.status).toBe(403);
    const own = await call(
      "POST",
      "/api/inventory/reservations",
      { sku: "OK-1", quantity: 1 },
      alice,
    );
    expect(own.body.customerId).toBe("alice");
    const bob = await server.token({ sub: "bob" });
    expect(
      (await call("GET", `/api/inventory/reservations/${own.body.id}`, undefined, bob)).status,
    ).toBe(403);
    expect(
      (await call("POST", `/api/inventory/reservations/${own.body.id}/release`, undefined, bob))
        .status,
    ).toBe(403);
    expect(
      (await call("POST", `/api/inventory/reservations/${own.body.id}/commit`, undefined, alice))
        .status,
    ).toBe(403); // a sale is the shop's call
    const released = await call(
      "POST",
      `/api/inventory/reservations/${own.body.id}/release`,
      undefined,
      alice,
    );
    expect(released.body.status).toBe("released");
    const again = await call("POST", `/api/inventory/reservations/${own.body.id}/release`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "conflict", details: { status: "released" } });
    expect(
      (await call("POST", "/api/inventory/reservations", { sku: "OK-1", quantity: 1 }, "nope"))
        .status,
    ).toBe(401);
  });
});
