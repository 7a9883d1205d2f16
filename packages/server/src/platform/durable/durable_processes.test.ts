import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../store/db.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { type ServerProcess, startServerProcess } from "../../test-support/process.js";
import { restCall } from "../../test-support/rest.js";
import {
  dropPrefix,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from "../../test-support/services.js";

const LEDGER_MAIN = fileURLToPath(new URL("../test-fixtures/ledger/main.ts", import.meta.url));
const apiKey = `sb_test_${randomBytes(16).toString("hex")}`;

interface Effect {
  by: string;
  ref: string;
  aggregate: string;
  seq: number;
  in_order: number;
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every (by, ref) once: the effect of each handler per event, of each task per key. */
function duplicates(effects: Effect[]): string[] {
  const seen = new Map<string, number>();
  for (const e of effects) seen.set(`${e.by} ${e.ref}`, (seen.get(`${e.by} ${e.ref}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** A private database per test: an SQLite file in its data dir, or a PostgreSQL schema. */
async function database(dialect: "sqlite" | "postgres", dataDir: string) {
  if (dialect === "sqlite")
    return { url: `sqlite:${join(dataDir, "ledger.db")}`, drop: async () => {} };
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema });
  await store.close();
  return {
    url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      const s = await openStore({ databaseUrl: POSTGRES_URL, dataDir });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(s.db);
      await s.close();
    },
  };
}

describe.each(DIALECTS)("durable events and tasks across kill -9 (%s)", (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-durable-"));
  const nodes: ServerProcess[] = [];
  let drop: () => Promise<void> = async () => {};

  afterAll(async () => {
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("kill -9 while handlers run: after a restart each handler's effect happened exactly once, and a task scheduled before runs after", async () => {
    const db = await database(dialect, dataDir);
    drop = db.drop;
    const env = {
      NODE_ENV: "test",
      DATABASE_URL: db.url,
      SWITCHBOARD_API_KEY: apiKey,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_CHAT_BOT: "off",
      // a dead node's claims are taken over after 2 s (default 30 s)
      SWITCHBOARD_EVENTS_LEASE_MS: "2000",
    };
    const first = await startServerProcess(env, 120_000, LEDGER_MAIN);
    nodes.push(first);
    const call = (node: ServerProcess, method: string, path: string, body?: unknown) =>
      restCall({ url: node.url, apiKey }, method, path, { body });
    // A task due well after the kill: it must survive it.
    expect(
      (await call(first, "POST", "/api/ledger/schedule", { prefix: "later", count: 3, inMs: 4000 }))
        .status,
    ).toBe(200);
    // 60 events whose slow handler sleeps 50 ms inside its transaction: kill -9 lands mid-run.
    const emitted = await call(first, "POST", "/api/ledger/emit", {
      aggregate: "k",
      count: 60,
      sleepMs: 50,
    });
    expect(emitted.status).toBe(200);
    const ids = emitted.body.ids as string[];
    await until(
      async () => (await call(first, "GET", "/api/ledger/effects")).body as Effect[],
      (e) => e.some((x) => x.aggregate === "k"),
    );
    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const second = await startServerProcess(env, 120_000, LEDGER_MAIN);
    nodes.push(second);
    const effects = await until(
      async () => (await call(second, "GET", "/api/ledger/effects")).body as Effect[],
      (e) =>
        e.filter((x) => x.aggregate === "k").length >= 120 &&
        e.filter((x) => x.ref.startsWith("later:")).length >= 3,
    );
    expect(duplicates(effects)).toEqual([]);
    expect(effects.filter((x) => x.in_order !== 1)).toEqual([]);
    for (const by of ["ledger.record", "ledger.slow"]) {
      const mine = effects.filter((x) => x.by === by && x.aggregate === "k");
      // once each, and in event order (the aggregate's order survived the crash)
      expect(mine.map((x) => x.ref)).toEqual(ids);
    }
    expect(
      effects
        .filter((x) => x.ref.startsWith("later:"))
        .map((x) => x.ref)
        .sort(),
    ).toEqual(["later:1", "later:2", "later:3"]);
  }, 400_000);
});

const clusterUp = (await redisAvailable()) && (await postgresAvailable());

describe.runIf(clusterUp)("two server processes on Redis + PostgreSQL", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-durable-cluster-"));
  const prefix = `sbtest:${randomBytes(6).toString("hex")}:`;
  const nodes: ServerProcess[] = [];
  let drop: () => Promise<void> = async () => {};

  afterAll(async () => {
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await drop();
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("handles each event once and runs each of 1,000 tasks due at the same moment once", async () => {
    const db = await database("postgres", dataDir);
    drop = db.drop;
    const env = {
      NODE_ENV: "test",
      DATABASE_URL: db.url,
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_API_KEY: apiKey,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_CHAT_BOT: "off",
    };
    nodes.push(
      ...(await Promise.all([
        startServerProcess(env, 180_000, LEDGER_MAIN),
        startServerProcess(env, 180_000, LEDGER_MAIN),
      ])),
    );
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const call = (node: ServerProcess, method: string, path: string, body?: unknown) =>
      restCall({ url: node.url, apiKey }, method, path, { body });
    // 1,000 tasks due at one moment, scheduled through both nodes; events emitted on both
    const due = await Promise.all([
      call(a, "POST", "/api/ledger/schedule", { prefix: "a", count: 500, inMs: 3000 }),
      call(b, "POST", "/api/ledger/schedule", { prefix: "b", count: 500, inMs: 3000 }),
    ]);
    expect(due.map((r) => r.status)).toEqual([200, 200]);
    const emits = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(i % 2 ? a : b, "POST", "/api/ledger/emit", { aggregate: `agg-${i}`, count: 30 }),
      ),
    );
    expect(emits.every((r) => r.status === 200)).toBe(true);
    const effects = await until(
      async () => (await call(a, "GET", "/api/ledger/effects")).body as Effect[],
      (e) =>
        e.filter((x) => x.by === "task:ledger.tick").length >= 1000 &&
        e.filter((x) => x.aggregate.startsWith("agg-")).length >= 600,
    );
    // settle: a duplicate would show up a moment later
    await new Promise((r) => setTimeout(r, 1500));
    const final = (await call(b, "GET", "/api/ledger/effects")).body as Effect[];
    expect(final.length).toBe(effects.length);
    expect(duplicates(final)).toEqual([]);
    expect(final.filter((x) => x.by === "task:ledger.tick")).toHaveLength(1000);
    expect(final.filter((x) => x.aggregate.startsWith("agg-"))).toHaveLength(600);
    // one aggregate's events (written in one transaction each, as a module writes an aggregate
    // under its row lock) reached each handler in event order, whichever node ran them
    expect(final.filter((x) => x.in_order !== 1)).toEqual([]);
  }, 400_000);
});
