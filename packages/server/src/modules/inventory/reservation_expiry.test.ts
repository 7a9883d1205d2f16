import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { EXPIRY_JOB } from "./index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)("reservation expiry on %s", (database) => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer({ database });
  });
  afterEach(async () => {
    await server.close();
  });

  const call = (method: string, path: string, body?: unknown) =>
    restCall(server, method, path, { body });

  const reserve = async (sku: string, quantity: number, ttlSeconds?: number) => {
    const r = await call("POST", "/api/inventory/reservations", { sku, quantity, ttlSeconds });
    expect(r.status).toBe(201);
    return r.body as { id: string; expiresAt: string };
  };
  const item = async (sku: string) => (await call("GET", `/api/inventory/items/${sku}`)).body;
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 8000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v) || Date.now() > deadline) return v;
      await sleep(100);
    }
  }

  it("releases an overdue reservation within a few seconds, and the history shows it", async () => {
    await call("PUT", "/api/inventory/items/EXP-1", { onHand: 5 });
    const r = await reserve("EXP-1", 2, 1);
    const kept = await reserve("EXP-1", 1);
    expect(Date.parse(r.expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    expect(Date.parse(kept.expiresAt) - Date.now()).toBeGreaterThan(890_000); // default 15 min
    const started = Date.now();
    const after = await until(
      () => item("EXP-1"),
      (i) => i.reserved === 1,
    );
    expect(after).toMatchObject({ onHand: 5, reserved: 1, available: 4 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await call("GET", `/api/inventory/reservations/${r.id}`)).body.status).toBe("expired");
    const history = (await call("GET", "/api/inventory/items/EXP-1/history")).body.items;
    expect(history[0]).toMatchObject({
      kind: "expire",
      reservationId: r.id,
      deltaReserved: -2,
      by: "system",
    });
  });

  it("refuses to commit after the deadline even before the sweep ran (409, status expired)", async () => {
    await call("PUT", "/api/inventory/items/EXP-2", { onHand: 3 });
    const r = await reserve("EXP-2", 3, 1);
    await sleep(Date.parse(r.expiresAt) - Date.now() + 20);
    const late = await call("POST", `/api/inventory/reservations/${r.id}/commit`);
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "conflict", details: { status: "expired" } });
    expect(await item("EXP-2")).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
  });

  it("expiry racing commits: every reservation ends exactly once, and the levels add up", async () => {
    await call("PUT", "/api/inventory/items/EXP-RACE", { onHand: 100 });
    const rs = await Promise.all(Array.from({ length: 30 }, () => reserve("EXP-RACE", 2, 1)));
    // Commits go out from 300 ms before to 300 ms after each deadline while the sweep runs
    // every 10 ms: some commits win, some lose to the sweep or to their deadline.
    let sweeping = true;
    const sweeps = (async () => {
      while (sweeping) {
        await server.app.jobs.trigger(EXPIRY_JOB);
        await sleep(10);
      }
    })();
    const commits = await Promise.all(
      rs.map(async (r, i) => {
        await sleep(Math.max(0, Date.parse(r.expiresAt) - 300 + i * 20 - Date.now()));
        return call("POST", `/api/inventory/reservations/${r.id}/commit`);
      }),
    );
    sweeping = false;
    await sweeps;
    await server.app.jobs.trigger(EXPIRY_JOB);
    const committed = commits.filter((c) => c.status === 200).length;
    for (const c of commits) {
      if (c.status !== 200) expect(c.body.details.status).toBe("expired");
    }
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(30);
    const final = await item("EXP-RACE");
    expect(final).toMatchObject({ onHand: 100 - 2 * committed, reserved: 0 });
    const history = (await call("GET", "/api/inventory/items/EXP-RACE/history?limit=500")).body
      .items as { kind: string; reservationId?: string }[];
    for (const r of rs) {
      const endings = history.filter((h) => h.reservationId === r.id && h.kind !== "reserve");
      expect(endings, r.id).toHaveLength(1);
    }
  });

  it("keeps items, reservations and their deadlines across a restart; what fell due while down goes at start", async () => {
    await call("PUT", "/api/inventory/items/EXP-RST", { onHand: 10 });
    const short = await reserve("EXP-RST", 4, 2);
    const long = await reserve("EXP-RST", 3, 600);
    await server.stop();
    await sleep(2500); // the short one falls due while no server runs
    await server.restart();
    const after = await until(
      () => item("EXP-RST"),
      (i) => i.reserved === 3,
    );
    expect(after).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
    expect((await call("GET", `/api/inventory/reservations/${short.id}`)).body.status).toBe(
      "expired",
    );
    const kept = (await call("GET", `/api/inventory/reservations/${long.id}`)).body;
    expect(kept).toMatchObject({ status: "active", expiresAt: long.expiresAt });
    expect((await call("POST", `/api/inventory/reservations/${long.id}/commit`)).status).toBe(200);
    expect(await item("EXP-RST")).toMatchObject({ onHand: 7, reserved: 0 });
  });
});
