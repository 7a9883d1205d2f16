import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("reservations never oversell on %s", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ database });
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (method: string, path: string, token: string, body?: unknown) =>
    restCall(server, method, path, { body, token });

  const put = (sku: string, onHand: number) =>
    call("PUT", `/api/inventory/items/${sku}`, server.apiKey, { onHand });
  const reserve = (sku: string, quantity: number, token = server.apiKey) =>
    call("POST", "/api/inventory/reservations", token, { sku, quantity });
  const read = async (sku: string) =>
    (await call("GET", `/api/inventory/items/${sku}`, server.apiKey)).body;

  /** What the database says, straight from the tables: the levels must equal the reservations. */
  async function ledger(sku: string) {
    const db = server.app.store.db;
    const active = await db
      .selectFrom("inventory_reservations")
      .select(["quantity"])
      .where("sku", "=", sku)
      .where("status", "=", "active")
      .execute();
    const history = await db
      .selectFrom("inventory_history")
      .select(["delta_on_hand", "delta_reserved"])
      .where("sku", "=", sku)
      .execute();
    return {
      activeUnits: active.reduce((s, r) => s + r.quantity, 0),
      onHandFromHistory: history.reduce((s, h) => s + h.delta_on_hand, 0),
      reservedFromHistory: history.reduce((s, h) => s + h.delta_reserved, 0),
    };
  }

  async function expectConsistent(sku: string) {
    const item = await read(sku);
    const l = await ledger(sku);
    expect(item.reserved).toBe(l.activeUnits);
    expect(item.onHand).toBe(l.onHandFromHistory);
    expect(item.reserved).toBe(l.reservedFromHistory);
    expect(item.onHand).toBeGreaterThanOrEqual(item.reserved);
    expect(item.available).toBe(item.onHand - item.reserved);
    return item;
  }

  it("200 customers racing for 50 units over HTTP: exactly 50 get one, 150 get 409 insufficient_stock", async () => {
    await put("RACE-200", 50);
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => server.token({ sub: `racer-${i}` })),
    );
    const results = await Promise.all(tokens.map((t) => reserve("RACE-200", 1, t)));
    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status === 409);
    expect(won).toHaveLength(50);
    expect(lost).toHaveLength(150);
    for (const r of lost) {
      expect(r.body).toMatchObject({ code: "insufficient_stock", available: 0 });
      expect(r.body.details).toMatchObject({ available: 0, requested: 1 });
    }
    // each winner holds its own reservation, for itself
    expect(new Set(won.map((r) => r.body.id)).size).toBe(50);
    expect(new Set(won.map((r) => r.body.customerId)).size).toBe(50);
    const item = await expectConsistent("RACE-200");
    expect(item).toMatchObject({ onHand: 50, reserved: 50, available: 0, inStock: false });
  });

  it("mixed quantities racing: never more reserved than on hand, every refusal says what is left", async () => {
    await put("RACE-MIX", 50);
    const asks = Array.from({ length: 120 }, (_, i) => 1 + (i % 4));
    const results = await Promise.all(asks.map((q) => reserve("RACE-MIX", q)));
    let granted = 0;
    for (const [i, r] of results.entries()) {
      if (r.status === 201) granted += asks[i]!;
      else {
        expect(r.status).toBe(409);
        expect(r.body.available).toBeLessThan(asks[i]!);
      }
    }
    const item = await expectConsistent("RACE-MIX");
    expect(item.reserved).toBe(granted);
    expect(granted).toBeLessThanOrEqual(50);
    expect(granted).toBeGreaterThan(50 - 4); // nobody was refused while 4 were left
  });

  it("reservations arriving together (one group commit) are answered each on its own", async () => {
    await put("MIX-A", 3);
    await put("MIX-B", 1);
    const asks = [
      ["MIX-A", 2],
      ["MIX-B", 1],
      ["NOPE", 1],
      ["MIX-A", 2],
      ["MIX-B", 1],
      ["MIX-A", 1],
    ] as const;
    const results = await Promise.all(asks.map(([sku, q]) => reserve(sku, q)));
    // whatever order they arrive in: one of the two 2s and one of the two Bs cannot be served
    const status = results.map((r) => r.status);
    expect([status[0], status[3]].sort()).toEqual([201, 409]);
    expect([status[1], status[4]].sort()).toEqual([201, 409]);
    expect([status[2], status[5]]).toEqual([404, 201]);
    for (const r of results.filter((r) => r.status === 409))
      expect(r.body).toMatchObject({ code: "insufficient_stock", available: 0 });
    expect(await expectConsistent("MIX-A")).toMatchObject({ reserved: 3, available: 0 });
    expect(await expectConsistent("MIX-B")).toMatchObject({ reserved: 1, available: 0 });
  });

  it("racing commit and release of the same reservations: exactly one wins each", async () => {
    await put("RACE-END", 100);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await reserve("RACE-END", 1)).body.id);
    const outcomes = await Promise.all(
      ids.map(async (id, i) => {
        const first = i % 2 ? "commit" : "release";
        const second = i % 2 ? "release" : "commit";
        const [a, b] = await Promise.all([
          call("POST", `/api/inventory/reservations/${id}/${first}`, server.apiKey),
          call("POST", `/api/inventory/reservations/${id}/${second}`, server.apiKey),
        ]);
        return { [first]: a, [second]: b } as Record<"commit" | "release", typeof a>;
      }),
    );
    let committed = 0;
    for (const o of outcomes) {
      expect([o.commit.status, o.release.status].sort()).toEqual([200, 409]);
      const loser = o.commit.status === 409 ? o.commit : o.release;
      expect(loser.body.code).toBe("conflict");
      if (o.commit.status === 200) committed++;
    }
    const item = await expectConsistent("RACE-END");
    expect(item).toMatchObject({ onHand: 100 - committed, reserved: 0 });
  });

  it("adjustments racing reservations and commits keep onHand ≥ reserved and the ledger exact", async () => {
    await put("RACE-ADJ", 60);
    const held: string[] = [];
    for (let i = 0; i < 20; i++) held.push((await reserve("RACE-ADJ", 1)).body.id);
    const adjust = (delta: number) =>
      call("POST", "/api/inventory/items/RACE-ADJ/adjustments", server.apiKey, {
        delta,
        reason: delta > 0 ? "restock" : "damage",
      });
    const results = await Promise.all([
      ...Array.from({ length: 30 }, () => reserve("RACE-ADJ", 1)),
      ...held.map((id) => call("POST", `/api/inventory/reservations/${id}/commit`, server.apiKey)),
      ...Array.from({ length: 15 }, () => adjust(-2)),
      ...Array.from({ length: 10 }, () => adjust(+1)),
    ]);
    expect(results.every((r) => r.status === 200 || r.status === 201 || r.status === 409)).toBe(
      true,
    );
    expect(results.slice(30, 50).every((r) => r.status === 200)).toBe(true); // commits always fit
    const item = await expectConsistent("RACE-ADJ");
    const reservedNow = results.slice(0, 30).filter((r) => r.status === 201).length;
    expect(item.reserved).toBe(reservedNow);
  });
});
