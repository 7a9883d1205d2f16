/**
 * (9) Live business metrics (Switchboard only, issue 17). Two figures, each against an anchor
 * measured in the same run:
 *  - event → KPI update latency: the simulator drives the server at 200 actions/s from
 *    WORKERS processes (one Node process cannot start that many real actions a second here); for
 *    every order it created, the time from the server's answer until `dashboard:overview` first shows
 *    a count including it — against the anchor of the same order's `staff:orders` board message
 *    (a plain outbox publish of the same change, no rollup, no overview).
 *  - rollup cost per event: the metrics handler (rollups in 3 grains, customer, feed line) for
 *    `order.created`, one transaction per event as the dispatcher runs them when idle, against
 *    the anchor of a handler inserting one row per event in the same database (SQLite); and in
 *    chunks of CHUNK events per transaction as the dispatcher runs them under load — written
 *    together (the batch, as the module does) and each on its own (as before batching) —
 *    against the anchor of CHUNK one-row inserts per transaction.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { mintToken } from "../../packages/server/src/auth/tokens.js";
import { ulid } from "../../packages/server/src/ids.js";
import { MetricsBatch } from "../../packages/server/src/modules/metrics/batch.js";
import { metricsConfig } from "../../packages/server/src/modules/metrics/config.js";
import { handleEvent } from "../../packages/server/src/modules/metrics/handlers.js";
import type { ModuleEvents } from "../../packages/server/src/platform/durable/types.js";
import { simulate } from "../../packages/server/src/simulate/simulator.js";
import { Outbox } from "../../packages/server/src/store/outbox.js";
import { RawClient } from "../../packages/server/src/test-support/ws-client.js";
import { startTestServer } from "../../packages/server/src/testing.js";
import type { Ctx } from "../lib/context.js";
import {
  freePort,
  procCpuMicros,
  procRssBytes,
  stopChild,
  track,
  waitForPort,
} from "../lib/proc.js";
import { ROOT, type ServerName, SWITCHBOARD_MAIN } from "../lib/servers.js";

const RATE = 200;
/** Deliveries per transaction when the dispatcher is busy (its SQLite chunk). */
const CHUNK = 50;
/** Simulator processes sharing the rate (each with its own sockets and HTTP connections). */
const WORKERS = 4;

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

async function latency(ctx: Ctx, seconds: number): Promise<void> {
  // the server in its own process (as deployed), the simulator and the watcher in this one
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-bench-metrics-"));
  const secret = randomBytes(32).toString("hex");
  const apiKey = `sb_bench_${randomBytes(16).toString("hex")}`;
  const port = await freePort();
  // the built server (as deployed), with --cpu-prof under `--profile`
  const node = [process.execPath, ...ctx.nodeFlagsFor("switchboard"), SWITCHBOARD_MAIN];
  const argv = ctx.serverCores ? ["taskset", "-c", ctx.serverCores, ...node] : node;
  const child = track(
    spawn(argv[0] as string, argv.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        HOST: "127.0.0.1",
        PORT: String(port),
        SWITCHBOARD_DATA_DIR: dataDir,
        SWITCHBOARD_JWT_SECRET: secret,
        SWITCHBOARD_API_KEY: apiKey,
        SWITCHBOARD_CHAT_BOT: "off",
        SWITCHBOARD_METRICS_LIVE_INTERVAL_MS: "5000",
      },
    }),
  );
  let stderr = "";
  const keep = (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const token = (sub: string, role: "customer" | "agent" | "admin") =>
    mintToken(secret, { sub, role, expiresInSeconds: 3600 });
  const url = `http://127.0.0.1:${port}`;
  const server = { url, wsUrl: `ws://127.0.0.1:${port}/ws`, apiKey };
  try {
    await waitForPort(port, 60_000, () => child.exitCode === null && child.signalCode === null);
    const owner = await RawClient.connect(server.wsUrl, await token("sam", "admin"));
    const accepted: { id: string; at: number }[] = [];
    const boardAt = new Map<string, number>();
    const countAt: { count: number; at: number }[] = [];
    owner.socket.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as { type: string; channel?: string; data?: unknown };
      if (f.type !== "message") return;
      if (f.channel === "dashboard:overview")
        countAt.push({
          count: (f.data as { orders: { value: number } }).orders.value,
          at: Date.now(),
        });
      else if (f.channel === "staff:orders") {
        const id = (f.data as { order?: { id: string } }).order?.id;
        if (id && !boardAt.has(id)) boardAt.set(id, Date.now());
      }
    });
    await owner.subscribe("dashboard:overview");
    await owner.subscribe("staff:orders");
    const pid = child.pid as number;
    const cpu0 = procCpuMicros(pid);
    const mono0 = process.hrtime.bigint() / 1000n;
    const summary = await simulate({
      url: server.url,
      apiKey: server.apiKey,
      token,
      minutes: seconds / 60,
      rate: RATE,
      workers: WORKERS,
      seed: 17,
      onOrder: (id, at) => accepted.push({ id, at }),
    });
    const serverCpu = procCpuMicros(pid) - cpu0;
    ctx.window(
      "switchboard",
      "metrics simulator",
      Number(mono0),
      Number(process.hrtime.bigint() / 1000n),
    );
    // until the dashboard counts every accepted order (an overloaded server lags; at most 60 s)
    const settled = Date.now() + 60_000;
    while (
      Date.now() < settled &&
      (countAt.at(-1)?.count ?? 0) < accepted.length &&
      (await new Promise((r) => setTimeout(r, 250, true)))
    );
    owner.close();
    // the k-th accepted order is on the dashboard once an overview counts k orders
    const overview: number[] = [];
    const board: number[] = [];
    accepted.sort((a, b) => a.at - b.at);
    accepted.forEach((o, i) => {
      const seen = countAt.find((c) => c.count >= i + 1 && c.at >= o.at);
      if (seen) overview.push(seen.at - o.at);
      const b = boardAt.get(o.id);
      if (b !== undefined) board.push(b - o.at);
    });
    const p50 = quantile(overview, 0.5);
    const p99 = quantile(overview, 0.99);
    const a50 = quantile(board, 0.5);
    const a99 = quantile(board, 0.99);
    const actionsPerSec = summary.actions / seconds;
    const note = `${summary.actions} actions in ${seconds} s by ${summary.workers} simulator processes (${actionsPerSec.toFixed(0)}/s accepted, ${summary.failed} refused; ${summary.orders} orders, ${summary.sales} sales, ${summary.bookings} bookings, ${summary.chats} chats); ${overview.length}/${accepted.length} orders seen on dashboard:overview: p50 ${p50} ms, p99 ${p99} ms; anchor staff:orders p50 ${a50} ms, p99 ${a99} ms; ratio p50 ${p50 !== null && a50 ? (p50 / a50).toFixed(1) : "—"}×; server CPU ${(serverCpu / 1000 / seconds / 10).toFixed(0)}% of a core, ${(serverCpu / Math.max(1, summary.actions)).toFixed(0)} µs per action`;
    ctx.progress(`metrics latency: ${note}`);
    const refusals = Object.entries(summary.refusals).sort((a, b) => b[1] - a[1]);
    if (refusals.length)
      ctx.progress(
        `metrics simulator refusals: ${refusals
          .slice(0, 6)
          .map(([why, n]) => `${n}× ${why}`)
          .join("; ")}`,
      );
    ctx.add({
      name: `event → dashboard:overview (simulator at ${RATE} actions/s)`,
      server: "switchboard",
      deliveriesPerSec: actionsPerSec,
      p50Ms: p50,
      p99Ms: p99,
      cpuMicrosPerDelivery: serverCpu / Math.max(1, summary.actions),
      rssBytes: procRssBytes(pid),
      rssBytesPerConn: null,
      note,
    });
    ctx.add({
      name: `anchor: the same change → staff:orders (simulator at ${RATE} actions/s)`,
      server: "switchboard",
      deliveriesPerSec: actionsPerSec,
      p50Ms: a50,
      p99Ms: a99,
      cpuMicrosPerDelivery: null,
      rssBytes: null,
      rssBytesPerConn: null,
      note: "plain outbox publish of the same order change",
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server output ---\n${stderr}`);
  } finally {
    await stopChild(child, 8000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function rollupCost(ctx: Ctx, count: number): Promise<void> {
  const server = await startTestServer();
  try {
    const db = server.app.store.db;
    const settings = metricsConfig.build(metricsConfig.schema.parse({}));
    const logger = pino({ level: "silent" });
    const outbox = new Outbox(db, async () => undefined, logger);
    const events = {
      emit: async () => ulid(),
      emitAll: async () => [],
      on: () => {},
      local: undefined as never,
    } as unknown as ModuleEvents;
    await db.schema
      .createTable("bench_metrics_anchor")
      .addColumn("id", "text", (c) => c.primaryKey())
      .execute();
    const run = async (fn: (i: number) => Promise<void>) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < count; i++) await fn(i);
      return Number(process.hrtime.bigint() - t0) / 1000 / count; // µs per event
    };
    const deps = { events, outbox, settings, logger };
    const event = (i: number) => ({
      id: ulid(),
      type: "order.created",
      aggregate: `order:${i}`,
      payload: {
        orderId: `o${i}`,
        customerId: `c${i % 500}`,
        lifecycle: "store-order",
        title: `Order ${i}`,
      },
      occurredAt: new Date().toISOString(),
    });
    const rollup = (i: number) =>
      db.transaction().execute(async (trx) => {
        await handleEvent(trx, event(i), deps);
      });
    // CHUNK events per transaction: `run` calls these once per chunk (i a multiple of CHUNK)
    const chunked = (fn: (i: number) => Promise<void>) => async (i: number) => {
      if (i % CHUNK === 0) await fn(i);
    };
    const batched = chunked((from) =>
      db.transaction().execute(async (trx) => {
        const batch = new MetricsBatch(settings.timeZone);
        for (let i = from; i < from + CHUNK; i++) await handleEvent(trx, event(i), deps, batch);
        await batch.write(trx, outbox);
      }),
    );
    const eachAlone = chunked((from) =>
      db.transaction().execute(async (trx) => {
        for (let i = from; i < from + CHUNK; i++) await handleEvent(trx, event(i), deps);
      }),
    );
    const anchorChunk = chunked((from) =>
      db.transaction().execute(async (trx) => {
        for (let i = from; i < from + CHUNK; i++)
          await trx
            .insertInto("bench_metrics_anchor" as never)
            .values({ id: `b${i}-${ulid()}` } as never)
            .execute();
      }),
    );
    const anchor = (i: number) =>
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto("bench_metrics_anchor" as never)
          .values({ id: `a${i}-${ulid()}` } as never)
          .execute();
      });
    await run(rollup); // warm-up
    await run(anchor);
    await run(batched);
    await run(eachAlone);
    await run(anchorChunk);
    const us = await run(rollup);
    const anchorUs = await run(anchor);
    const batchedUs = await run(batched);
    const aloneUs = await run(eachAlone);
    const anchorChunkUs = await run(anchorChunk);
    const note = `${us.toFixed(0)} µs per order.created (3 rollup grains + customer + feed line + outbox row, own transaction, SQLite) vs anchor ${anchorUs.toFixed(0)} µs (one insert, own transaction): ${(us / anchorUs).toFixed(1)}×`;
    ctx.progress(`metrics rollup cost: ${note}`);
    const chunkNote = `${batchedUs.toFixed(0)} µs per order.created in chunks of ${CHUNK} per transaction, written together (the batch) vs ${aloneUs.toFixed(0)} µs each written alone (${(aloneUs / batchedUs).toFixed(1)}× more) vs anchor ${anchorChunkUs.toFixed(0)} µs (${CHUNK} one-row inserts per transaction): ${(batchedUs / anchorChunkUs).toFixed(1)}× (alone ${(aloneUs / anchorChunkUs).toFixed(1)}×)`;
    ctx.progress(`metrics rollup cost, busy dispatcher: ${chunkNote}`);
    ctx.add({
      name: `metrics rollup cost per event, ${CHUNK} per transaction (SQLite)`,
      server: "switchboard",
      deliveriesPerSec: 1e6 / batchedUs,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: batchedUs,
      rssBytes: null,
      rssBytesPerConn: null,
      note: chunkNote,
    });
    ctx.add({
      name: "metrics rollup cost per event (SQLite)",
      server: "switchboard",
      deliveriesPerSec: 1e6 / us,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: us,
      rssBytes: null,
      rssBytesPerConn: null,
      note,
    });
  } finally {
    await server.close();
  }
}

export async function metrics(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have no business modules
  await rollupCost(ctx, ctx.plan.quick ? 1000 : 5000);
  await latency(ctx, ctx.plan.quick ? 15 : 60);
}
