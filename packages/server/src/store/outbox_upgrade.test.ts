import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { PUBLICATION_HANDLER } from "../platform/durable/publications.js";
import { coreMigrations } from "./core-migrations.js";
import { openStore, type Store } from "./db.js";
import { migrate } from "./migrations.js";
import { Outbox } from "./outbox.js";

/**
 * Upgrading a server whose old `outbox` table still holds messages (it died, or the broker was
 * down): migration core/009 moves them into the durable event table, the table goes, and the
 * sweep publishes them in their order.
 */
describe("outbox upgrade (core/009)", () => {
  let dir = "";
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("moves the old table's leftovers into event_deliveries, and the sweep publishes them once", async () => {
    dir = mkdtempSync(join(tmpdir(), "switchboard-outbox-upgrade-"));
    store = await openStore({ databaseUrl: `sqlite:${join(dir, "db.sqlite")}`, dataDir: dir });
    const { "core/009_outbox_into_event_deliveries": upgrade, ...before } = coreMigrations;
    expect(upgrade).toBeDefined();
    await migrate(store.db, [before]);
    const old = new Date(Date.now() - 60_000).toISOString();
    for (const [id, data] of [
      ["01JOLD0000000000000000000A", { v: 1 }],
      ["01JOLD0000000000000000000B", { v: 2 }],
    ] as const)
      await sql`insert into outbox (id, channel, event, data, key, created_at)
        values (${id}, 'order:up', 'status', ${JSON.stringify(data)}, ${`up:${id}`}, ${old})`.execute(
        store.db,
      );

    await migrate(store.db, [coreMigrations]);
    const tables = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table'`.execute(store.db);
    expect(tables.rows.map((t) => t.name)).not.toContain("outbox");
    const rows = await store.db
      .selectFrom("event_deliveries")
      .selectAll()
      .where("handler", "=", PUBLICATION_HANDLER)
      .orderBy("event_id")
      .execute();
    expect(rows.map((r) => [r.event_id, r.aggregate, r.status])).toEqual([
      ["01JOLD0000000000000000000A", "order:up", "pending"],
      ["01JOLD0000000000000000000B", "order:up", "pending"],
    ]);

    const published: unknown[] = [];
    const outbox = new Outbox(
      store.db,
      async (channel, event, data, key) => {
        published.push({ channel, event, data, key });
      },
      pino({ level: "silent" }),
    );
    expect(await outbox.sweep()).toBe(2);
    expect(await outbox.sweep()).toBe(0);
    expect(published).toEqual([
      {
        channel: "order:up",
        event: "status",
        data: { v: 1 },
        key: "up:01JOLD0000000000000000000A",
      },
      {
        channel: "order:up",
        event: "status",
        data: { v: 2 },
        key: "up:01JOLD0000000000000000000B",
      },
    ]);
  });
});
