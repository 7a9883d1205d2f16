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
 * How the dispatcher picks rows (claims.ts): a group (handler, aggregate) with a row running on
 * another node or backing off is skipped whole, and a long skipped group does not starve others.
 */
describe.each(DIALECTS)("durable event claims (%s)", (dialect) => {
  let store: Store;
  let events: DurableEvents;
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-claims-"));
  const schema = `claims_${randomBytes(5).toString("hex")}`;
  const ran: { aggregate: string; n: number }[] = [];
  let failing = true;

  beforeAll(async () => {
    store = await openStore(
      dialect === "sqlite"
        ? { databaseUrl: `sqlite:${join(dataDir, "claims.db")}`, dataDir }
        : { databaseUrl: POSTGRES_URL, dataDir },
      dialect === "postgres" ? { schema } : {},
    );
    await migrate(store.db, [coreMigrations], { postgres: dialect === "postgres" });
    // not started: each test drives passes itself with runOnce
    events = new DurableEvents({
      db: store.db,
      dialect,
      logger: pino({ level: "silent" }),
      nodeId: "claims-test",
      pollMs: 60_000,
      leaseMs: 30_000,
      maxAttempts: 100,
      batch: 5,
      chunk: 5,
    });
    events.on<{ n: number }>("claims.happened", "claims.record", async (e) => {
      if (failing && e.aggregate === "stuck" && e.payload.n === 0) throw new Error("not yet");
      ran.push({ aggregate: e.aggregate, n: e.payload.n });
    });
  });

  afterAll(async () => {
    await events.stop();
    if (dialect === "postgres")
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const emit = (aggregate: string, from: number, count: number) =>
    store.db.transaction().execute((trx) =>
      events.emitAll(
        trx,
        Array.from({ length: count }, (_, i) => ({
          type: "claims.happened",
          aggregate,
          payload: { n: from + i },
        })),
      ),
    );
  const drain = async () => {
    for (let i = 0; i < 50 && (await events.runOnce()); i++);
  };
  const of = (aggregate: string) => ran.filter((r) => r.aggregate === aggregate).map((r) => r.n);

  it("skips a backing-off group whole, however long, and runs the others behind it", async () => {
    await emit("stuck", 0, 1); // fails, then backs off
    await drain();
    await emit("stuck", 1, 24); // five batches' worth waiting behind it, emitted first
    await emit("free", 0, 3);
    await drain();
    expect(of("stuck")).toEqual([]);
    expect(of("free")).toEqual([0, 1, 2]);
    // mended and due again: the whole group runs, in order
    failing = false;
    await store.db
      .updateTable("event_deliveries")
      .set({ next_at: new Date(0).toISOString() })
      .where("aggregate", "=", "stuck")
      .where("attempts", ">", 0)
      .execute();
    await drain();
    expect(of("stuck")).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it("leaves a group alone while another node's lease runs, and takes its row when the lease ran out", async () => {
    const [first] = await emit("leased", 0, 1);
    await emit("leased", 1, 2);
    const future = new Date(Date.now() + 60_000).toISOString();
    // another node holds the first under a live lease (what its claim writes)
    await store.db
      .updateTable("event_deliveries")
      .set({ claim: "other-node:1", lease_until: future, next_at: future })
      .where("event_id", "=", first as string)
      .execute();
    await drain();
    expect(of("leased")).toEqual([]);
    // that node died: its lease ran out, the row is due again and runs first
    const past = new Date(Date.now() - 1000).toISOString();
    await store.db
      .updateTable("event_deliveries")
      .set({ lease_until: past, next_at: past })
      .where("event_id", "=", first as string)
      .execute();
    await drain();
    expect(of("leased")).toEqual([0, 1, 2]);
    expect(await store.db.selectFrom("event_deliveries").select("id").execute()).toEqual([]);
  });
});
