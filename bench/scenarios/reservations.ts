/**
 * (6) Racing reservations (Switchboard only, issue 6): 100 HTTP clients, each a customer with its
 * own JWT, reserve one unit of the same item as fast as they can until the item runs out; we
 * time from the first request to the last unit. On SQLite and on PostgreSQL (when reachable).
 * Zero oversell is checked, not assumed: exactly `stock` reservations must succeed and the item
 * must end at reserved = onHand = stock, available 0. Target: ≥ 2,000 reservations/s on SQLite.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import pg from "pg";
import type { Ctx } from "../lib/context.js";
import { Histogram } from "../lib/histogram.js";
import {
  freePort,
  machineBusyMicros,
  procCpuMicros,
  procRssBytes,
  stopChild,
  track,
  waitForPort,
} from "../lib/proc.js";
import {
  BENCH_API_KEY,
  BENCH_SECRET,
  ROOT,
  type ServerName,
  SWITCHBOARD_MAIN,
} from "../lib/servers.js";

const CLIENTS = 100;
const TARGET_SQLITE = 2000;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

type Dialect = "sqlite" | "postgres";

interface Reply {
  status: number;
  body: string;
}

export function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload && {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
          }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A Switchboard process on SQLite (temp data dir) or on a fresh PostgreSQL schema. */
export async function startNode(ctx: Ctx, dialect: Dialect, extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-bench-inv-"));
  const schema = `bench_inv_${randomBytes(4).toString("hex")}`;
  let pool: pg.Pool | undefined;
  const env: Record<string, string> = {
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    SWITCHBOARD_JWT_SECRET: BENCH_SECRET,
    SWITCHBOARD_API_KEY: BENCH_API_KEY,
    SWITCHBOARD_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    ...extraEnv,
  };
  if (dialect === "postgres") {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await pool.query(`create schema ${schema}`);
    const url = new URL(POSTGRES_URL);
    url.searchParams.set("options", `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
  }
  const node = [process.execPath, ...ctx.nodeFlagsFor("switchboard"), SWITCHBOARD_MAIN];
  const argv = ctx.serverCores ? ["taskset", "-c", ctx.serverCores, ...node] : node;
  const child: ChildProcess = track(
    spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    }),
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  });
  const cleanup = async () => {
    await stopChild(child, 8000);
    rmSync(dataDir, { recursive: true, force: true });
    if (pool) {
      await pool.query(`drop schema if exists ${schema} cascade`).catch(() => {});
      await pool.end();
    }
  };
  try {
    await waitForPort(port, 20_000, () => child.exitCode === null && child.signalCode === null);
  } catch (err) {
    await cleanup();
    throw new Error(`switchboard (${dialect}) did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { port, pid: child.pid ?? 0, stop: cleanup, tail: () => stderr };
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** 100 clients reserve one unit each, again and again, until `stock` is gone. */
async function race(port: number, sku: string, stock: number, tokens: string[], agent: Agent) {
  const put = await send(agent, port, "PUT", `/api/inventory/items/${sku}`, BENCH_API_KEY, {
    onHand: stock,
  });
  if (put.status !== 201) throw new Error(`PUT ${sku}: ${put.status} ${put.body}`);
  const latency = new Histogram();
  let won = 0;
  let refused = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    tokens.map(async (token) => {
      for (;;) {
        const s = performance.now();
        const r = await send(agent, port, "POST", "/api/inventory/reservations", token, {
          sku,
          quantity: 1,
        });
        latency.recordMs(performance.now() - s);
        if (r.status === 201) won++;
        else if (r.status === 409 && r.body.includes("insufficient_stock")) {
          refused++;
          return; // sold out for this client
        } else {
          failures.push(`${r.status} ${r.body.slice(0, 120)}`);
          if (failures.length > 20) return;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const item = JSON.parse(
    (await send(agent, port, "GET", `/api/inventory/items/${sku}`, BENCH_API_KEY)).body,
  ) as {
    onHand: number;
    reserved: number;
    available: number;
  };
  return { won, refused, failures, seconds, latency, item };
}

export async function reservations(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have no inventory
  const stock = ctx.plan.quick ? 5_000 : 30_000;
  const tokens = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) =>
      new SignJWT({ role: "customer" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(`bench-shopper-${i}`)
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(new TextEncoder().encode(BENCH_SECRET)),
    ),
  );
  for (const dialect of ["sqlite", "postgres"] as const) {
    const label = `reservations/s (${dialect}, ${CLIENTS} clients)`;
    if (dialect === "postgres" && !(await postgresReachable())) {
      ctx.note(
        `${label}: skipped, PostgreSQL not reachable at ${POSTGRES_URL} (set BENCH_DATABASE_URL)`,
      );
      continue;
    }
    const srv = await startNode(ctx, dialect);
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    try {
      await race(srv.port, "BENCH-WARM", Math.min(stock, 3000), tokens, agent); // JIT, pools, caches
      const cpu0 = procCpuMicros(srv.pid);
      const busy0 = machineBusyMicros();
      const self0 = process.cpuUsage();
      const mono0 = process.hrtime.bigint();
      const r = await race(srv.port, "BENCH-RACE", stock, tokens, agent);
      ctx.window(
        name,
        `reservations (${dialect})`,
        Number(mono0 / 1000n),
        Number(process.hrtime.bigint() / 1000n),
      );
      const cpu = procCpuMicros(srv.pid) - cpu0;
      const self = process.cpuUsage(self0);
      // CPU others used meanwhile (other users' processes): the figure's noise, % of one core.
      const foreign = machineBusyMicros() - busy0 - cpu - self.user - self.system;
      const rate = r.won / r.seconds;
      const oversold = Math.max(0, r.won - stock, r.item.reserved - r.item.onHand);
      const exact =
        r.won === stock &&
        r.item.reserved === stock &&
        r.item.onHand === stock &&
        r.item.available === 0;
      const verdict = exact
        ? "0 oversold"
        : `NOT EXACT: won ${r.won}, item ${JSON.stringify(r.item)}`;
      const target =
        dialect === "sqlite"
          ? `; target ≥ ${TARGET_SQLITE}/s ${rate >= TARGET_SQLITE ? "met" : "MISSED"}`
          : "";
      ctx.progress(
        `reservations ${dialect}: ${rate.toFixed(0)}/s (${r.won} of ${stock} units in ${r.seconds.toFixed(2)} s, ` +
          `${r.refused} sold-out replies), p50 ${r.latency.percentileMs(50).toFixed(2)} ms p99 ${r.latency.percentileMs(99).toFixed(2)} ms, ` +
          `${verdict}${target}` +
          (r.failures.length ? `; failures: ${r.failures.slice(0, 3).join("; ")}` : ""),
      );
      ctx.add({
        name: label,
        server: name,
        deliveriesPerSec: rate,
        p50Ms: r.latency.percentileMs(50),
        p99Ms: r.latency.percentileMs(99),
        cpuMicrosPerDelivery: cpu / (r.won + r.refused),
        serverCpuPercent: (cpu / (r.seconds * 1e6)) * 100,
        foreignCpuPercent: Math.max(0, (foreign / (r.seconds * 1e6)) * 100),
        rssBytes: procRssBytes(srv.pid),
        rssBytesPerConn: null,
        note: `${rate.toFixed(0)} reservations/s; ${exact ? verdict : `${verdict}, oversold ${oversold}`}${target}`,
      });
      if (!exact || r.failures.length)
        ctx.note(`${label}: ${verdict}; ${r.failures.length} unexpected replies`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- switchboard output ---\n${srv.tail()}`);
    } finally {
      agent.destroy();
      await srv.stop();
    }
  }
}
