import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../auth/tokens.js";
import { openStore } from "../store/db.js";
import { type ServerProcess, startServerProcess } from "../test-support/process.js";
import {
  dropPrefix,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from "../test-support/services.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";

const up = (await redisAvailable()) && (await postgresAvailable());

describe.runIf(up)("two server processes on Redis + PostgreSQL", () => {
  const secret = randomBytes(32).toString("hex");
  const prefix = `sbtest:${ulid()}:`;
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-chat-cluster-"));
  const nodes: ServerProcess[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema });
    await store.close();
    const env = {
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      DATABASE_URL: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_BOT: "off",
    };
    // both at once, as a deploy starts them: they race to migrate the same database
    nodes.push(...(await Promise.all([startServerProcess(env), startServerProcess(env)])));
  }, 180_000);

  afterAll(async () => {
    closeAll(clients);
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await dropPrefix(prefix);
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(
    node: ServerProcess,
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ) {
    const res = await fetch(`${node.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  it("never exceeds an agent's capacity while both nodes route at once", async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const agents = [
      { id: "agent-a", node: a, capacity: 2 },
      { id: "agent-b", node: b, capacity: 3 },
    ];
    for (const agent of agents) {
      const token = await mintToken(secret, { sub: agent.id, role: "agent" });
      const ws = await RawClient.connect(`${agent.node.url.replace("http", "ws")}/ws`, token);
      clients.push(ws);
      await ws.subscribe("staff:chat");
      expect(
        (
          await call(agent.node, token, "PUT", "/api/chat/agents/me", {
            status: "online",
            capacity: agent.capacity,
          })
        ).status,
      ).toBe(200);
    }
    const opened = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const token = await mintToken(secret, { sub: `customer-${i}` });
        return call(i % 2 ? a : b, token, "POST", "/api/chat/conversations", {
          subject: `help ${i}`,
        });
      }),
    );
    expect(opened.every((r) => r.status === 201)).toBe(true);
    const admin = await mintToken(secret, { sub: "boss", role: "admin" });
    await new Promise((r) => setTimeout(r, 2500)); // let both nodes' routing jobs run too
    const list = (await call(b, admin, "GET", "/api/chat/agents")).body.agents as {
      userId: string;
      activeCount: number;
      capacity: number;
    }[];
    expect(list.map((x) => [x.userId, x.activeCount])).toEqual([
      ["agent-a", 2],
      ["agent-b", 3],
    ]);
    const active = (await call(a, admin, "GET", "/api/chat/conversations?status=active&limit=200"))
      .body.items;
    expect(active).toHaveLength(5);
    const waiting = (
      await call(a, admin, "GET", "/api/chat/conversations?status=waiting&limit=200")
    ).body.items;
    expect(waiting).toHaveLength(15);
  }, 30_000);

  it("never oversells when racing reservations are spread over both nodes", async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const staff = await mintToken(secret, { sub: "stock-keeper", role: "admin" });
    expect(
      (await call(a, staff, "PUT", "/api/inventory/items/RACE-1", { onHand: 50 })).status,
    ).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const token = await mintToken(secret, { sub: `buyer-${i}` });
        return call(i % 2 ? a : b, token, "POST", "/api/inventory/reservations", {
          sku: "RACE-1",
          quantity: 1,
        });
      }),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(50);
    expect(results.filter((r) => r.status === 409)).toHaveLength(150);
    const item = (await call(b, staff, "GET", "/api/inventory/items/RACE-1")).body;
    expect(item).toMatchObject({ onHand: 50, reserved: 50, available: 0, inStock: false });
  }, 30_000);
});
