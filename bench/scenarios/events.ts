/**
 * (8) Durable domain events (Switchboard only, issue 13): events/s through the whole durable
 * pipeline — emitted inside write transactions (100 per transaction, 1,000 aggregates), claimed
 * by the dispatcher under a lease, run by a handler that writes into its transaction, and marked
 * done — on SQLite and on PostgreSQL (skipped when BENCH_DATABASE_URL, default the test database
 * on 127.0.0.1, does not answer; BENCH_EVENTS_DIALECTS=sqlite picks one). Runs the platform's own
 * DurableEvents in this process against a fresh database; every event must be handled exactly once.
 * Target: ≥ 5,000 events/s on SQLite.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pino from "pino";
import { DurableEvents } from "../../packages/server/src/platform/durable/events.js";
import { coreMigrations } from "../../packages/server/src/store/core-migrations.js";
import { openStore } from "../../packages/server/src/store/db.js";
import { migrate } from "../../packages/server/src/store/migrations.js";
import type { Ctx } from "../lib/context.js";
import type { ServerName } from "../lib/servers.js";

const TARGET_SQLITE = 5000;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const PER_TRANSACTION = 100;
const AGGREGATES = 1000;

async function run(dialect: "sqlite" | "postgres", count: number) {
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-bench-events-"));
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const store = await openStore(
    dialect === "sqlite"
      ? { databaseUrl: `sqlite:${join(dataDir, "events.db")}`, dataDir }
      : { databaseUrl: POSTGRES_URL, dataDir },
    dialect === "postgres" ? { schema } : {},
  );
  try {
    await migrate(store.db, [coreMigrations], { postgres: dialect === "postgres" });
    await sql`create table bench_effects (id text primary key)`.execute(store.db);
    const events = new DurableEvents({
      db: store.db,
      logger: pino({ level: process.env.BENCH_EVENTS_LOG ?? "silent" }),
      nodeId: "bench",
      pollMs: 50,
      leaseMs: 30_000,
      maxAttempts: 3,
      dialect,
    });
    let handled = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    events.on<{ n: number }>("bench.happened", "bench.record", async (e, d) => {
      await sql`insert into bench_effects (id) values (${e.id})`.execute(d.transaction);
      if (++handled === count) done();
      if (process.env.BENCH_EVENTS_LOG && handled % 500 === 0)
        console.log(dialect, handled, new Date().toISOString());
    });
    events.start();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i += PER_TRANSACTION)
      await store.db.transaction().execute((trx) =>
        events.emitAll(
          trx,
          Array.from({ length: Math.min(PER_TRANSACTION, count - i) }, (_, j) => ({
            type: "bench.happened",
            aggregate: `a:${(i + j) % AGGREGATES}`,
            payload: { n: i + j },
          })),
        ),
      );
    const emittedAt = process.hrtime.bigint();
    await Promise.race([
      finished,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`only ${handled} of ${count} handled in 300 s`)),
          300_000,
        ),
      ),
    ]);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await events.stop();
    const effects = await sql<{
      n: number | string;
    }>`select count(*) as n from bench_effects`.execute(store.db);
    const left = await store.db.selectFrom("event_deliveries").select("id").execute();
    return {
      seconds,
      emitSeconds: Number(emittedAt - t0) / 1e9,
      exact: Number(effects.rows[0]?.n) === count && left.length === 0,
    };
  } finally {
    if (dialect === "postgres")
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db).catch(() => {});
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgresReachable(): Promise<boolean> {
  try {
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir: tmpdir() });
    const ok = await store.ready();
    await store.close();
    return ok;
  } catch {
    return false;
  }
}

export async function durableEvents(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have no durable events
  const count = ctx.plan.quick ? 20_000 : 100_000;
  for (const dialect of (process.env.BENCH_EVENTS_DIALECTS ?? "sqlite,postgres").split(",") as (
    | "sqlite"
    | "postgres"
  )[]) {
    const label = `durable events/s (${dialect}, ${PER_TRANSACTION} per transaction)`;
    if (dialect === "postgres" && !(await postgresReachable())) {
      ctx.note(`${label}: skipped, PostgreSQL not reachable at ${POSTGRES_URL}`);
      continue;
    }
    await run(dialect, Math.min(count, 5000)); // warm-up: JIT, statement cache
    const cpu0 = process.cpuUsage();
    const r = await run(dialect, count);
    const cpu = process.cpuUsage(cpu0);
    const rate = count / r.seconds;
    const target =
      dialect === "sqlite"
        ? `; target ≥ ${TARGET_SQLITE}/s ${rate >= TARGET_SQLITE ? "met" : "MISSED"}`
        : "";
    const verdict = r.exact ? "each handled once" : "NOT EXACT";
    ctx.progress(
      `durable events ${dialect}: ${rate.toFixed(0)}/s (${count} emitted in ${r.emitSeconds.toFixed(2)} s, all handled in ${r.seconds.toFixed(2)} s), ${verdict}${target}`,
    );
    ctx.add({
      name: label,
      server: name,
      deliveriesPerSec: rate,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: (cpu.user + cpu.system) / count,
      rssBytes: process.memoryUsage().rss,
      rssBytesPerConn: null,
      note: `${rate.toFixed(0)} events/s emitted and handled; ${verdict}${target}`,
    });
  }
}
