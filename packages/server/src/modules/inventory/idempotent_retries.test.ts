import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("inventory writes retried with an Idempotency-Key on %s", (database) => {
  let server: TestServer;
  let carol: string;

  beforeAll(async () => {
    server = await startTestServer({ database });
    carol = await server.token({ sub: "carol" });
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (
    method: string,
    path: string,
    body: unknown,
    key: string | undefined,
    token = server.apiKey,
  ) =>
    restCall(server, method, path, { body, token, headers: key ? { "idempotency-key": key } : {} });
  const item = async (sku: string) =>
    (await call("GET", `/api/inventory/items/${sku}`, undefined, undefined)).body;

  it("a retried reservation returns the same reservation and holds the units once", async () => {
    await call("PUT", "/api/inventory/items/IDEM-1", { onHand: 10 }, "put-idem-1");
    const body = { sku: "IDEM-1", quantity: 3 };
    const first = await call("POST", "/api/inventory/reservations", body, "cart-42", carol);
    const again = await call("POST", "/api/inventory/reservations", body, "cart-42", carol);
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, replayed: true });
    expect(again.body.id).toBe(first.body.id);
    expect(await item("IDEM-1")).toMatchObject({ reserved: 3, available: 7 });
    // the same key from another customer is another request
    const dave = await server.token({ sub: "dave" });
    const daves = await call("POST", "/api/inventory/reservations", body, "cart-42", dave);
    expect(daves.body.id).not.toBe(first.body.id);
    expect((await item("IDEM-1")).reserved).toBe(6);
  });

  it("ten racing retries of one reservation hold the units once", async () => {
    await call("PUT", "/api/inventory/items/IDEM-2", { onHand: 10 }, undefined);
    const body = { sku: "IDEM-2", quantity: 2 };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        call("POST", "/api/inventory/reservations", body, "burst-1", carol),
      ),
    );
    for (const r of results) expect([201, 409]).toContain(r.status);
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe("conflict"); // still in progress
    expect(await item("IDEM-2")).toMatchObject({ reserved: 2 });
  });

  it("a retried commit, adjustment or refusal replays its answer and changes nothing more", async () => {
    await call("PUT", "/api/inventory/items/IDEM-3", { onHand: 4 }, undefined);
    const r = (
      await call("POST", "/api/inventory/reservations", { sku: "IDEM-3", quantity: 1 }, undefined)
    ).body;
    const commit = `/api/inventory/reservations/${r.id}/commit`;
    const c1 = await call("POST", commit, undefined, "commit-1");
    const c2 = await call("POST", commit, undefined, "commit-1");
    expect([c1.status, c2.status]).toEqual([200, 200]);
    expect(c2.replayed).toBe(true);
    const adj = { delta: -1, reason: "damage" };
    const a1 = await call("POST", "/api/inventory/items/IDEM-3/adjustments", adj, "adj-1");
    const a2 = await call("POST", "/api/inventory/items/IDEM-3/adjustments", adj, "adj-1");
    expect(a2.body).toEqual(a1.body);
    expect(await item("IDEM-3")).toMatchObject({ onHand: 2, reserved: 0 });
    const tooMany = { sku: "IDEM-3", quantity: 5 };
    const n1 = await call("POST", "/api/inventory/reservations", tooMany, "big-1");
    await call("PUT", "/api/inventory/items/IDEM-3", { onHand: 50 }, undefined);
    const n2 = await call("POST", "/api/inventory/reservations", tooMany, "big-1");
    expect(n1).toMatchObject({ status: 409, body: { code: "insufficient_stock", available: 2 } });
    expect(n2).toMatchObject({ status: 409, replayed: true }); // the answer given, not a new try
  });
});
