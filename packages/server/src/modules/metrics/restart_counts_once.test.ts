import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../../test-support/process.js";
import { restCall } from "../../test-support/rest.js";
import { ok, overview, until } from "./test-kit.js";

/**
 * The server is killed (SIGKILL) while metrics handles the first sale — its rollups written, not
 * committed. After a restart the sale is handled again from its durable event, and every figure
 * counts each order and sale exactly once, in every grain.
 */
describe("a restart in the middle counts nothing twice", () => {
  const processes: ServerProcess[] = [];
  let dataDir = "";
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill("SIGKILL");
      await p.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sums orders and sales once each after kill -9 inside the handler", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-metrics-crash-"));
    const apiKey = `sb_test_${randomBytes(16).toString("hex")}`;
    const start = async (crashAt?: string) => {
      const p = await startServerProcess({
        NODE_ENV: "test",
        SWITCHBOARD_DATA_DIR: dataDir,
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
    const db = () => new SQLite(join(dataDir, "switchboard.db"), { readonly: true });
    const probe = db();
    const committed = (
      probe
        .prepare("select count(*) as n from inventory_reservations where status = 'committed'")
        .get() as { n: number }
    ).n;
    probe.close();
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
    const check = db();
    try {
      const rows = check
        .prepare(
          "select grain, kpi, sum(sum_value) as total, sum(count) as n from metrics_rollups where dim = '' and kpi in ('orders', 'sales') group by grain, kpi order by grain, kpi",
        )
        .all();
      expect(rows).toEqual(
        ["day", "hour", "minute"].flatMap((grain) => [
          { grain, kpi: "orders", total: 5, n: 5 },
          { grain, kpi: "sales", total: 3, n: 3 },
        ]),
      );
    } finally {
      check.close();
    }
  }, 300_000);
});
