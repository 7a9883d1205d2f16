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

/**
 * A node frozen (SIGSTOP, a long GC, a stuck socket) inside a handler's transaction keeps a row
 * lock on its delivery after its lease ran out. Other nodes' claims must pass that row by, not
 * wait on it while they hold the cluster-wide claim lock: that would stall every node's events.
 */
describe.skipIf(!DIALECTS.includes("postgres"))(
  "durable claims beside a locked row (postgres)",
  () => {
    let store: Store;
    let events: DurableEvents;
    const dataDir = mkdtempSync(join(tmpdir(), "switchboard-locked-"));
    const schema = `locked_${randomBytes(5).toString("hex")}`;
    const ran: string[] = [];

    beforeAll(async () => {
      store = await openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema });
      await migrate(store.db, [coreMigrations], { postgres: true });
      events = new DurableEvents({
        db: store.db,
        dialect: "postgres",
        logger: pino({ level: "silent" }),
        nodeId: "locked-test",
        pollMs: 60_000,
        leaseMs: 30_000,
        maxAttempts: 100,
        batch: 10,
        chunk: 10,
      });
      events.on<{ n: number }>("locked.happened", "locked.record", async (e) => {
        ran.push(`${e.aggregate}:${e.payload.n}`);
      });
    });

    afterAll(async () => {
      await events.stop();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("runs the other groups while a frozen node's row stays locked, and that group once the lock is gone", async () => {
      const emit = (aggregate: string, count: number) =>
        store.db.transaction().execute((trx) =>
          events.emitAll(
            trx,
            Array.from({ length: count }, (_, n) => ({
              type: "locked.happened",
              aggregate,
              payload: { n },
            })),
          ),
        );
      await emit("frozen", 1);
      await emit("free", 2);
      // the frozen node: its claim's lease ran out, and its transaction still holds the row
      const past = new Date(Date.now() - 1000).toISOString();
      await store.db
        .updateTable("event_deliveries")
        .set({ claim: "frozen-node:1", lease_until: past, next_at: past })
        .where("aggregate", "=", "frozen")
        .execute();
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = store.db.transaction().execute(async (trx) => {
        await sql`select id from event_deliveries where aggregate = 'frozen' for update`.execute(
          trx,
        );
        locked();
        await released;
      });
      await isLocked;
      try {
        // Without skipping the locked row this pass would wait for the lock forever.
        const pass = (async () => {
          for (let i = 0; i < 20 && (await events.runOnce()); i++);
        })();
        const outcome = await Promise.race([
          pass.then(() => "done"),
          new Promise((resolve) => setTimeout(() => resolve("stalled"), 60_000)),
        ]);
        expect(outcome).toBe("done");
        expect(ran).toEqual(["free:0", "free:1"]);
      } finally {
        release();
        await holder;
      }
      for (let i = 0; i < 20 && (await events.runOnce()); i++);
      expect(ran).toEqual(["free:0", "free:1", "frozen:0"]);
    }, 120_000);
  },
);
