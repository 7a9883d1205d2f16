import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../auth/tokens.js";
import { type ServerProcess, startServerProcess } from "../test-support/process.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";

const up = await redisAvailable();

describe.runIf(up)("a cluster of server processes on one Redis", () => {
  const secret = randomBytes(32).toString("hex");
  const apiKey = `sb_${randomBytes(16).toString("hex")}`;
  const prefix = `sbtest:${ulid()}:`;
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-cluster-"));
  const nodes: ServerProcess[] = [];
  const clients: RawClient[] = [];
  const ws = (node: ServerProcess) => `${node.url.replace("http", "ws")}/ws`;
  const connect = async (
    node: ServerProcess,
    sub: string,
    role: "customer" | "agent" = "customer",
  ) => {
    const c = await RawClient.connect(ws(node), await mintToken(secret, { sub, role, name: sub }));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const env = {
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_API_KEY: apiKey,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_NODE_TTL_MS: "2000",
      SWITCHBOARD_RATE_PER_SECOND: "10000",
      SWITCHBOARD_RATE_BURST: "10000",
    };
    nodes.push(
      ...(await Promise.all([
        startServerProcess(env),
        startServerProcess(env),
        startServerProcess(env),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    closeAll(clients);
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers a publish on node B to a subscriber on node A, in order", async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const reader = await connect(a, "reader");
    await reader.subscribe("product:orders");
    const writer = await connect(b, "writer", "agent");
    for (let i = 0; i < 200; i++)
      writer.send({
        type: "publish",
        id: 1000 + i,
        channel: "product:orders",
        event: "n",
        data: i,
      });
    const got = await reader.collect((f) => f.type === "message", 200, 10_000);
    expect(got.map((f) => f.data)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(got.map((f) => f.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("counts presence members on every node, and any node answers the same", async () => {
    for (const [i, node] of nodes.entries()) {
      const viewer = await connect(node, `viewer-${i}`);
      await viewer.subscribe("product:popular");
    }
    for (const node of nodes) {
      const res = await fetch(`${node.url}/api/channels/product:popular/presence`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect((await res.json()).count).toBe(3);
    }
  });

  it("dedupes an idempotency key retried on another node", async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const body = JSON.stringify({ channel: "product:idem", event: "e", data: 1, key: "once" });
    const init = (url: string) =>
      fetch(`${url}/api/publish`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body,
      });
    const [r1, r2] = await Promise.all([init(a.url), init(b.url)]);
    expect([r1.status, r2.status].sort()).toEqual([200, 201]);
  });

  it("kill -9 of a node: its clients recover everything on another node, its members expire", async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const watcher = await connect(a, "watcher", "agent");
    await watcher.subscribe("staff:floor");
    const victim = await connect(c, "victim", "agent");
    const sub = await victim.subscribe("staff:floor");
    await watcher.next(
      (f) => f.type === "join" && (f.member as { user: string }).user === "victim",
    );
    const publisher = await connect(b, "publisher", "agent");

    c.kill("SIGKILL");
    await victim.closed;
    for (let i = 0; i < 50; i++) {
      expect(
        await publisher.request({ type: "publish", channel: "staff:floor", event: "n", data: i }),
      ).toMatchObject({ type: "published" });
    }
    // the client comes back on another node and recovers what was published while it was away
    const back = await connect(a, "victim", "agent");
    const reply = await back.subscribe("staff:floor", {
      recover: { epoch: sub.epoch, offset: sub.offset },
    });
    expect(reply.recovered).toBe(true);
    expect((reply.publications as { data: number }[]).map((p) => p.data)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    back.close();
    // the dead node's presence entry for "victim" is reaped by a survivor; others see the leave
    const leave = await watcher.next(
      (f) => f.type === "leave" && (f.member as { user: string }).user === "victim",
      15_000,
    );
    expect(leave.channel).toBe("staff:floor");
    const res = await fetch(`${b.url}/api/channels/staff:floor/presence`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const users = (await res.json()).members.map((m: { user: string }) => m.user);
    expect(users).not.toContain("victim");
  }, 30_000);
});
