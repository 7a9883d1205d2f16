import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { openMigratedStore } from "../app.js";
import { defaultConfig } from "../config.js";
import { POSTGRES_URL, postgresAvailable } from "../test-support/services.js";
import { openStore } from "./db.js";

const up = await postgresAvailable();

describe.runIf(up)("migrations on PostgreSQL", () => {
  it("create their own tables in their schema even when another schema of the database has Switchboard", async () => {
    const config = defaultConfig({ databaseUrl: POSTGRES_URL });
    const [a, b] = [`t_${randomBytes(6).toString("hex")}`, `t_${randomBytes(6).toString("hex")}`];
    try {
      const first = await openMigratedStore(config, undefined, { schema: a });
      await first.close();
      const second = await openMigratedStore(config, undefined, { schema: b });
      const tables = await sql<{
        table_name: string;
      }>`select table_name from information_schema.tables where table_schema = ${b}`.execute(
        second.db,
      );
      await second.close();
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          "switchboard_migrations",
          "orders",
          "chat_messages",
          "event_deliveries",
        ]),
      );
    } finally {
      const admin = await openStore({ databaseUrl: POSTGRES_URL, dataDir: "." });
      for (const schema of [a, b])
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    }
  });
});
