import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInModules } from "../../modules/index.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { ledgerModule } from "../test-fixtures/ledger/index.js";

/** Polls until `done` holds (generous: a loaded machine). */
async function until(done: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)("scheduler.scheduleMany (%s)", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database,
      modules: [...builtInModules(), ledgerModule],
      config: { durable: { pollMs: 100, leaseMs: 30_000, maxAttempts: 3 } },
    });
  });
  afterAll(async () => {
    await server.close();
  });
  const tasks = (prefix: string) =>
    server.app.store.db
      .selectFrom("scheduled_tasks")
      .selectAll()
      .where("key", "like", `${prefix}:%`)
      .orderBy("key")
      .execute();

  it("upserts many tasks in one call, like schedule one by one: replaced keys, the last of a repeated key", async () => {
    const { scheduler, store } = server.app;
    const later = new Date(Date.now() + 3_600_000);
    // an existing task that failed once: scheduleMany replaces it and its attempts start over
    await scheduler.schedule(store.db, {
      task: "ledger.tick",
      key: "m:000",
      runAt: later,
      payload: { seq: -1 },
    });
    await store.db
      .updateTable("scheduled_tasks")
      .set({ attempts: 2, last_error: "boom" })
      .where("key", "=", "m:000")
      .execute();
    // 250 tasks: more than one statement's worth (100 rows each)
    const many = Array.from({ length: 250 }, (_, i) => ({
      task: "ledger.tick",
      key: `m:${String(i).padStart(3, "0")}`,
      runAt: later,
      payload: { seq: i },
    }));
    // a key given twice keeps its last entry (one statement may not touch a row twice)
    many.push({ task: "ledger.tick", key: "m:007", runAt: later, payload: { seq: 7007 } });
    await store.db.transaction().execute((trx) => scheduler.scheduleMany(trx, many));
    const rows = await tasks("m");
    expect(rows.length).toBe(250);
    expect(rows[0]).toMatchObject({
      key: "m:000",
      payload: JSON.stringify({ seq: 0 }),
      attempts: 0,
      last_error: null,
      status: "pending",
      run_at: later.toISOString(),
      next_at: later.toISOString(),
    });
    expect(JSON.parse(rows[7]?.payload ?? "null")).toEqual({ seq: 7007 });
    expect(rows.map((r) => JSON.parse(r.payload).seq).slice(240)).toEqual([
      240, 241, 242, 243, 244, 245, 246, 247, 248, 249,
    ]);
    // nothing to schedule: nothing written
    await scheduler.scheduleMany(store.db, []);
    expect((await tasks("m")).length).toBe(250);
  });

  it("runs the due ones once; a rollback schedules none; a bad entry writes nothing", async () => {
    const { scheduler, store } = server.app;
    await scheduler.scheduleMany(
      store.db,
      [1, 2, 3].map((seq) => ({
        task: "ledger.tick",
        key: `due:${seq}`,
        runAt: new Date(Date.now() + 200),
        payload: { seq },
      })),
    );
    const effects = () =>
      store.db
        .selectFrom("ledger_effects")
        .select(["ref", "seq"])
        .where("ref", "like", "due:%")
        .orderBy("ref")
        .execute();
    await until(async () => (await effects()).length >= 3);
    await scheduler.runOnce();
    expect(await effects()).toEqual([
      { ref: "due:1", seq: 1 },
      { ref: "due:2", seq: 2 },
      { ref: "due:3", seq: 3 },
    ]);

    const entry = (key: string) => ({
      task: "ledger.tick",
      key,
      runAt: new Date(Date.now() + 3_600_000),
      payload: null,
    });
    await expect(
      store.db.transaction().execute(async (trx) => {
        await scheduler.scheduleMany(trx, [entry("rb:1"), entry("rb:2")]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await tasks("rb")).toEqual([]);
    // every entry is checked before any is written
    await expect(
      scheduler.scheduleMany(store.db, [entry("bad:1"), { ...entry("bad:2"), task: "Bad" }]),
    ).rejects.toThrow(/task name/);
    await expect(scheduler.scheduleMany(store.db, [entry("bad:3"), entry("")])).rejects.toThrow(
      /key/,
    );
    await expect(
      scheduler.scheduleMany(store.db, [
        entry("bad:4"),
        { ...entry("bad:5"), runAt: new Date("nope") },
      ]),
    ).rejects.toThrow(/runAt/);
    expect(await tasks("bad")).toEqual([]);
  });
});
