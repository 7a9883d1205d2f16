import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../store/db.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { type ServerProcess, startServerProcess } from "../../test-support/process.js";
import { restCall } from "../../test-support/rest.js";
import { POSTGRES_URL } from "../../test-support/services.js";
import { ok, overview, until } from "./test-kit.js";

/** A private database: an SQLite file in the data dir, or a fresh PostgreSQL schema. */
async function database(dialect: "sqlite" | "postgres", dataDir: string) {
  if (dialect === "sqlite") {
    const url = `sqlite:${join(dataDir, "switchboard.db")}`;
    return { url, open: () => openStore({ databaseUrl: url, dataDir }), drop: async () => {} };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const made = await openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema });
  await made.close();
  return {
    url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    open: () => openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema }),
    drop: async () => {
      const s = await openStore({ databaseUrl: POSTGRES_URL, dataDir });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(s.db);
      await s.close();
    },
  };
}

/**
 * The server is killed (SIGKILL) while metrics handles the first sale — its rollups written, not
 * committed. After a restart the sale is handled again from its durable event, and every figure
 * counts each order and sale exactly once, in every grain.
 */
describe.each(DIALECTS)("a restart in the middle counts nothing twice (%s)", (dialect) => {
  const processes: ServerProcess[] = [];
  let dataDir = "";
  let drop: () => Promise<void> = async () => {};
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill("SIGKILL");
      await p.exited;
    }
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sums orders and sales once each after kill -9 inside the handler", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-metrics-crash-"));
    const apiKey = `sb_test_${randomBytes(16).toString("hex")}`;
    const db = await database(dialect, dataDir);
    drop = db.drop;
    const start = async (crashAt?: string) => {
      const p = await startServerProcess({
        NODE_ENV: "test",
        SWITCHBOARD_DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        SWITCHBOARD_JWT_SECRET: randomBytes(32).toString("hex"),
        SWITCHBOARD_API_KEY: apiKey,
        SWITCHBOARD_EVENTS_POLL_MS: "50",
        ...(crashAt && { SWITCHBOARD_CRASH_POINTS: crashAt }),
      });
      processes.push(p);
      return { url: p.url, apiKey, process: p };
    };

    const first = await start("metrics.after-rollup.inventory.reservation-committed");
    for (let i = 0; i < 5; i++)
      await ok(
        restCall(first, "POST", "/api/orders", {
          body: { lifecycle: "store-order", customerId: `c${i}`, title: `Order ${i}` },
        }),
      );
    await until(
      "five orders counted",
      () => overview(first),
      (o) => o.orders.value === 5,
    );
    await ok(
      restCall(first, "PUT", "/api/pricing/prices/PEN-1", {
        body: { amount: 150, currency: "USD" },
      }),
    );
    await ok(restCall(first, "PUT", "/api/inventory/items/PEN-1", { body: { onHand: 10 } }));
    // the first sale's handler kills the server: calls after it may find it gone
    try {
      const r = await restCall(first, "POST", "/api/inventory/reservations", {
        body: { sku: "PEN-1", quantity: 2, customerId: "s0" },
      });
      await restCall(first, "POST", `/api/inventory/reservations/${r.body.id}/commit`);
    } catch {
      // connection reset by the kill
    }
    expect((await first.process.exited).signal).toBe("SIGKILL");

    const second = await start();
    // the sales the first server committed before dying, then the rest on the second
    const probe = await db.open();
    const committed = Number(
      (
        await probe.db
          .selectFrom("inventory_reservations")
          .select((eb) => eb.fn.countAll<number | string>().as("n"))
          .where("status", "=", "committed")
          .executeTakeFirstOrThrow()
      ).n,
    );
    await probe.close();
    expect(committed).toBeGreaterThanOrEqual(1);
    for (let i = committed; i < 3; i++) {
      const r = await ok(
        restCall(second, "POST", "/api/inventory/reservations", {
          body: { sku: "PEN-1", quantity: 2, customerId: `t${i}` },
        }),
      );
      await ok(restCall(second, "POST", `/api/inventory/reservations/${r.id}/commit`));
    }
    const o = await until(
      "every sale counted",
      () => overview(second),
      (v) => v.sales.value === 3,
    );
    expect(o.orders.value).toBe(5);
    expect(o.revenue).toEqual([expect.objectContaining({ currency: "USD", value: 3 * 2 * 150 })]);
    // no grain counted anything twice
    const check = await db.open();
    try {
      const rows = (
        await check.db
          .selectFrom("metrics_rollups")
          .select((eb) => [
            "grain",
            "kpi",
            eb.fn.sum<number | string>("sum_value").as("total"),
            eb.fn.sum<number | string>("count").as("n"),
          ])
          .where("dim", "=", "")
          .where("kpi", "in", ["orders", "sales"])
          .groupBy(["grain", "kpi"])
          .orderBy("grain")
          .orderBy("kpi")
          .execute()
      ).map((r) => ({ grain: r.grain, kpi: r.kpi, total: Number(r.total), n: Number(r.n) }));
      expect(rows).toEqual(
        ["day", "hour", "minute"].flatMap((grain) => [
          { grain, kpi: "orders", total: 5, n: 5 },
          { grain, kpi: "sales", total: 3, n: 3 },
        ]),
      );
    } finally {
      await check.close();
    }
  }, 300_000);
});
