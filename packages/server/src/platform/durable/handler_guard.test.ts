import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreMigrations } from "../../store/core-migrations.js";
import { openStore, type Store } from "../../store/db.js";
import { migrate } from "../../store/migrations.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { POSTGRES_URL } from "../../test-support/services.js";
import { DurableEvents } from "./events.js";
import { enableHandlerGuard } from "./handler-guard.js";
import { Scheduler } from "./scheduler.js";

/** Polls until `done` holds (generous: a busy machine); a hang fails here, not at the test timeout. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const effects = async (db: Store["db"]) =>
  (await sql<{ id: string }>`select id from guard_effects`.execute(db)).rows;

describe.each(DIALECTS)(
  "a durable handler that uses db instead of its transaction (%s)",
  (dialect) => {
    let store: Store;
    let events: DurableEvents;
    let scheduler: Scheduler;
    const dataDir = mkdtempSync(join(tmpdir(), "switchboard-guard-"));
    const schema = `guard_${randomBytes(5).toString("hex")}`;
    const localSeen: string[] = [];
    const afterCommitSaw: string[] = [];

    beforeAll(async () => {
      enableHandlerGuard();
      store = await openStore(
        dialect === "sqlite"
          ? { databaseUrl: `sqlite:${join(dataDir, "guard.db")}`, dataDir }
          : { databaseUrl: POSTGRES_URL, dataDir },
        dialect === "postgres" ? { schema } : {},
      );
      await migrate(store.db, [coreMigrations], { postgres: dialect === "postgres" });
      await sql`create table guard_effects (id text primary key)`.execute(store.db);
      const options = {
        db: store.db,
        dialect,
        logger: pino({ level: "silent" }),
        nodeId: "guard-test",
        pollMs: 100,
        leaseMs: 30_000,
        maxAttempts: 1,
      };
      events = new DurableEvents(options);
      scheduler = new Scheduler(options);
      events.on("guard.wrong", "guard.reads-db", async (e) => {
        // the mistake: the module's db, not d.transaction (SQLite: waits for itself forever)
        await effects(store.db);
        await sql`insert into guard_effects (id) values (${e.id})`.execute(store.db);
      });
      events.on("guard.wrong", "guard.opens-transaction", async () => {
        await store.db.transaction().execute(async () => {});
      });
      events.on("guard.right", "guard.uses-transaction", async (e, d) => {
        await sql`insert into guard_effects (id) values (${e.id})`.execute(d.transaction);
        // live-only work it starts runs after it, outside the guard: the db is fine there
        events.local.emit("guard.local" as never, e.id as never);
        d.afterCommit(async () => {
          const seen = await effects(store.db); // after the commit: its own write is there
          if (seen.some((x) => x.id === e.id)) afterCommitSaw.push(e.id);
        });
      });
      events.local.on("guard.local" as never, async (id: string) => {
        await effects(store.db);
        localSeen.push(id);
      });
      scheduler.register("guard.task-reads-db", async () => {
        await effects(store.db);
      });
      events.start();
      scheduler.start();
    });

    afterAll(async () => {
      await events.stop();
      await scheduler.stop();
      if (dialect === "postgres")
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const emit = (type: string) =>
      store.db
        .transaction()
        .execute((trx) => events.emit(trx, { type, aggregate: "g:1", payload: {} }));

    it("fails at once with an error naming the handler, and parks it; the server goes on", async () => {
      const id = await emit("guard.wrong");
      const dead = await until(
        () =>
          store.db.selectFrom("event_deliveries").selectAll().where("event_id", "=", id).execute(),
        (rows) => rows.length === 2 && rows.every((r) => r.status === "dead"),
      );
      for (const row of dead) {
        expect(row.last_error).toContain(
          `durable event handler ${row.handler} used the module's db`,
        );
        expect(row.last_error).toContain("BaseDbInHandler");
      }
      // nothing it meant to write escaped, and the database still answers
      expect(await effects(store.db)).toEqual([]);
    });

    it("lets a handler that uses its transaction run, and work it starts (local bus, afterCommit) use the db", async () => {
      const id = await emit("guard.right");
      await until(
        async () => ({
          effects: await effects(store.db),
          local: [...localSeen],
          afterCommit: [...afterCommitSaw],
        }),
        (v) =>
          v.effects.some((e) => e.id === id) && v.local.includes(id) && v.afterCommit.includes(id),
      );
    });

    it("guards scheduled tasks the same way", async () => {
      await scheduler.schedule(store.db, {
        task: "guard.task-reads-db",
        key: "guard:1",
        runAt: new Date(),
        payload: {},
      });
      const [row] = await until(
        () =>
          store.db.selectFrom("scheduled_tasks").selectAll().where("key", "=", "guard:1").execute(),
        (rows) => rows[0]?.status === "dead",
      );
      expect(row?.last_error).toContain("scheduled task guard.task-reads-db used the module's db");
    });

    it("leaves the db alone outside handlers", async () => {
      await expect(effects(store.db)).resolves.toBeDefined();
    });
  },
);
