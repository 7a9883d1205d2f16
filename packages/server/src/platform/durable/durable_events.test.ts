import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInModules } from "../../modules/index.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { ledgerModule } from "../test-fixtures/ledger/index.js";
import type { DomainEvent } from "./types.js";

const modules = [...builtInModules(), ledgerModule];

/** Polls `read` until `done` holds (generous limit: a busy machine). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)("durable events and the scheduler (%s)", (database) => {
  let server: TestServer;
  const call = (method: string, path: string, body?: unknown) =>
    restCall(server, method, path, { body });
  const effects = async () =>
    (await call("GET", "/api/ledger/effects")).body as {
      by: string;
      ref: string;
      aggregate: string;
      seq: number;
      attempt: number;
    }[];

  beforeAll(async () => {
    server = await startTestServer({
      database,
      modules,
      // fast retries for the failure test: backoff starts at 1 s
      config: { durable: { pollMs: 100, leaseMs: 30_000, maxAttempts: 3 } },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("runs every handler of an emitted event once, after the commit, in order per aggregate", async () => {
    const r = await call("POST", "/api/ledger/emit", { aggregate: "a1", count: 20 });
    expect(r.status).toBe(200);
    const ids = r.body.ids as string[];
    const rows = await until(effects, (e) => e.filter((x) => x.aggregate === "a1").length === 40);
    for (const by of ["ledger.record", "ledger.slow"]) {
      const mine = rows.filter((x) => x.by === by && x.aggregate === "a1");
      expect(mine.map((x) => x.ref)).toEqual(ids); // ids sort in emit order; rows in run order
      expect(mine.map((x) => x.seq)).toEqual(ids.map((_, i) => i + 1));
    }
    expect(await server.app.store.db.selectFrom("event_deliveries").selectAll().execute()).toEqual(
      [],
    );
  });

  it("never runs handlers of an event whose transaction rolled back", async () => {
    await expect(
      server.app.store.db.transaction().execute(async (trx) => {
        await server.app.events.emit(trx, {
          type: "ledger.entry",
          aggregate: "rolled-back",
          payload: { seq: 1 },
        });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    // a later event of another aggregate is handled: the dispatcher has looked since
    await call("POST", "/api/ledger/emit", { aggregate: "after-rollback", count: 1 });
    await until(effects, (e) => e.some((x) => x.aggregate === "after-rollback"));
    await server.app.events.runOnce();
    expect((await effects()).filter((x) => x.aggregate === "rolled-back")).toEqual([]);
  });

  it("retries a failing handler with backoff, keeping later events of its aggregate waiting", async () => {
    // event 1 fails once per handler, event 2 must still come after it
    await server.app.store.db.transaction().execute(async (trx) => {
      await server.app.events.emit(trx, {
        type: "ledger.entry",
        aggregate: "flaky",
        payload: { seq: 1, failTimes: 1 },
      });
      await server.app.events.emit(trx, {
        type: "ledger.entry",
        aggregate: "flaky",
        payload: { seq: 2 },
      });
    });
    const rows = await until(effects, (e) => e.filter((x) => x.aggregate === "flaky").length === 4);
    for (const by of ["ledger.record", "ledger.slow"]) {
      const mine = rows.filter((x) => x.by === by && x.aggregate === "flaky");
      expect(mine.map((x) => [x.seq, x.attempt])).toEqual([
        [1, 2],
        [2, 1],
      ]);
    }
  });

  it("parks a delivery as a dead letter after maxAttempts and lets later events pass", async () => {
    await call("POST", "/api/ledger/emit", { aggregate: "poison", count: 1, failTimes: 99 });
    const dead = await until(
      () =>
        server.app.store.db
          .selectFrom("event_deliveries")
          .selectAll()
          .where("aggregate", "=", "poison")
          .where("status", "=", "dead")
          .execute(),
      (rows) => rows.length === 2,
    );
    expect(dead.map((d) => d.attempts)).toEqual([3, 3]);
    expect(dead[0]?.last_error).toMatch(/fails on attempt 3/);
    await call("POST", "/api/ledger/emit", { aggregate: "poison", count: 1 });
    await until(effects, (e) => e.filter((x) => x.aggregate === "poison").length === 2);
  });

  it("delivers to handlers registered on the bus as ctx.events.on does, with the event's fields", async () => {
    const seen: DomainEvent[] = [];
    server.app.events.on("ledger.probe", "ledger.probe-seen", async (e) => {
      seen.push(e);
    });
    const id = await server.app.store.db
      .transaction()
      .execute((trx) =>
        server.app.events.emit(trx, { type: "ledger.probe", aggregate: "p:1", payload: { x: 1 } }),
      );
    await until(
      async () => seen.length,
      (n) => n === 1,
    );
    expect(seen[0]).toMatchObject({
      id,
      type: "ledger.probe",
      aggregate: "p:1",
      payload: { x: 1 },
    });
    expect(Date.parse(seen[0]?.occurredAt ?? "")).not.toBeNaN();
  });

  it("refuses bad names and bad events", async () => {
    expect(() => server.app.events.on("Bad", "ledger.x", async () => {})).toThrow(/event type/);
    expect(() => server.app.events.on("ledger.entry", "nodot", async () => {})).toThrow(
      /handler name/,
    );
    expect(() => server.app.events.on("ledger.entry", "ledger.record", async () => {})).toThrow(
      /registered twice/,
    );
    // the outbox's publications are rows of this name: no module handler may take them
    expect(() => server.app.events.on("ledger.entry", "realtime.publish", async () => {})).toThrow(
      /reserved/,
    );
    await expect(
      server.app.store.db
        .transaction()
        .execute((trx) =>
          server.app.events.emit(trx, { type: "ledger.entry", aggregate: "", payload: 1 }),
        ),
    ).rejects.toThrow(/aggregate/);
  });

  it("runs a scheduled task once when due; upsert by key replaces it; cancel removes it", async () => {
    const { scheduler, store } = server.app;
    const soon = new Date(Date.now() + 300);
    await scheduler.schedule(store.db, {
      task: "ledger.tick",
      key: "t:once",
      runAt: soon,
      payload: { seq: 1 },
    });
    // the same key again: one task, with the new payload
    await scheduler.schedule(store.db, {
      task: "ledger.tick",
      key: "t:once",
      runAt: soon,
      payload: { seq: 2 },
    });
    await scheduler.schedule(store.db, {
      task: "ledger.tick",
      key: "t:cancelled",
      runAt: new Date(Date.now() + 60_000),
      payload: { seq: 3 },
    });
    await scheduler.schedule(store.db, {
      task: "ledger.tick",
      key: "t:moved",
      runAt: new Date(Date.now() + 3_600_000),
      payload: { seq: 4 },
    });
    expect(await scheduler.cancel(store.db, "t:cancelled")).toBe(true);
    expect(await scheduler.cancel(store.db, "t:cancelled")).toBe(false);
    expect(await scheduler.reschedule(store.db, "t:moved", new Date())).toBe(true);
    expect(await scheduler.reschedule(store.db, "t:nothing", new Date())).toBe(false);
    const rows = await until(
      effects,
      (e) => e.filter((x) => x.by === "task:ledger.tick" && x.ref.startsWith("t:")).length >= 2,
    );
    await scheduler.runOnce();
    const ticks = (await effects()).filter(
      (x) => x.by === "task:ledger.tick" && x.ref.startsWith("t:"),
    );
    expect(ticks.map((t) => [t.ref, t.seq]).sort()).toEqual([
      ["t:moved", 4],
      ["t:once", 2],
    ]);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(await store.db.selectFrom("scheduled_tasks").selectAll().execute()).toEqual([]);
  });

  it("schedules inside a transaction: a rollback schedules nothing", async () => {
    const { scheduler, store } = server.app;
    await expect(
      store.db.transaction().execute(async (trx) => {
        await scheduler.schedule(trx, {
          task: "ledger.tick",
          key: "t:rb",
          runAt: new Date(),
          payload: { seq: 9 },
        });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(
      await store.db.selectFrom("scheduled_tasks").selectAll().where("key", "=", "t:rb").execute(),
    ).toEqual([]);
    await expect(
      scheduler.schedule(store.db, { task: "Bad", key: "k", runAt: new Date(), payload: null }),
    ).rejects.toThrow(/task name/);
    await expect(
      scheduler.schedule(store.db, {
        task: "ledger.tick",
        key: "",
        runAt: new Date(),
        payload: null,
      }),
    ).rejects.toThrow(/key/);
    await expect(
      scheduler.schedule(store.db, {
        task: "ledger.tick",
        key: "k",
        runAt: new Date("nope"),
        payload: null,
      }),
    ).rejects.toThrow(/runAt/);
  });
});
