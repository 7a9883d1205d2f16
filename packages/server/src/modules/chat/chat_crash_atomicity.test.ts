import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { mintToken } from "../../auth/tokens.js";
import { type ServerProcess, startServerProcess } from "../../test-support/process.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";

/**
 * Resolving a conversation and requeueing an agent's change three things: the conversation, the
 * agent's slot (active_count) and the outbox row that announces it. A server killed with SIGKILL
 * between the first and the others (a crash point armed with SWITCHBOARD_CRASH_POINTS) must leave all
 * three as they were: after a restart the slot is still held, and the change, done again, is
 * announced.
 */
describe("chat changes survive a kill -9 in the middle", () => {
  const secret = randomBytes(32).toString("hex");
  const apiKey = `sb_test_${randomBytes(16).toString("hex")}`;
  const processes: ServerProcess[] = [];
  const clients: RawClient[] = [];
  let dataDir = "";

  afterEach(async () => {
    closeAll(clients);
    for (const p of processes.splice(0)) {
      p.kill();
      await p.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (crashAt?: string) => {
    const p = await startServerProcess(
      {
        NODE_ENV: "test",
        SWITCHBOARD_DATA_DIR: dataDir,
        SWITCHBOARD_JWT_SECRET: secret,
        SWITCHBOARD_API_KEY: apiKey,
        SWITCHBOARD_CHAT_BOT: "off",
        ...(crashAt && { SWITCHBOARD_CRASH_POINTS: crashAt }),
      },
      120_000, // tsx compiles the server on each start: slow on a busy machine
    );
    processes.push(p);
    return p;
  };
  const as = (node: ServerProcess, sub: string, role: "customer" | "agent" = "customer") => ({
    call: async (method: string, path: string, body?: unknown) =>
      restCall(node, method, path, { token: await mintToken(secret, { sub, role }), body }),
    socket: async () => {
      const c = await RawClient.connect(
        `${node.url.replace("http", "ws")}/ws`,
        await mintToken(secret, { sub, role }),
      );
      clients.push(c);
      return c;
    },
  });

  /** A conversation of cara's, assigned to agent ann (who stays connected on staff:chat). */
  async function assigned(node: ServerProcess): Promise<string> {
    await (await as(node, "ann", "agent").socket()).subscribe("staff:chat");
    const online = await as(node, "ann", "agent").call("PUT", "/api/chat/agents/me", {
      status: "online",
    });
    expect(online.status).toBe(200);
    const opened = await as(node, "cara").call("POST", "/api/chat/conversations", {});
    expect(opened.body).toMatchObject({ status: "active", agentId: "ann" });
    return opened.body.id;
  }

  /** What the database holds, read with nothing running (the server was killed). */
  function stored(id: string) {
    const db = new SQLite(join(dataDir, "switchboard.db"), { readonly: true });
    try {
      return {
        conversation: db
          .prepare("select status, agent_id from chat_conversations where id = ?")
          .get(id),
        ann: db.prepare("select status, active_count from chat_agents where user_id = 'ann'").get(),
      };
    } finally {
      db.close();
    }
  }

  async function killedBy(node: ServerProcess, request: Promise<unknown>): Promise<void> {
    await expect(request).rejects.toThrow(); // the connection dies with the process
    expect((await node.exited).signal).toBe("SIGKILL");
  }

  it("resolve: a kill after the status update leaves the agent's slot and the conversation as they were", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-crash-"));
    const first = await start("chat.resolve.after-status");
    const id = await assigned(first);
    await killedBy(
      first,
      as(first, "cara").call("POST", `/api/chat/conversations/${id}/resolve`, {}),
    );
    expect(stored(id)).toEqual({
      conversation: { status: "active", agent_id: "ann" },
      ann: { status: "online", active_count: 1 },
    });

    const second = await start();
    const watcher = await as(second, "cara").socket();
    await watcher.subscribe(`conversation:${id}`);
    const resolved = await as(second, "cara").call(
      "POST",
      `/api/chat/conversations/${id}/resolve`,
      {},
    );
    expect(resolved).toMatchObject({ status: 200, body: { status: "resolved" } });
    const announced = await watcher.next((f) => f.event === "status", 10_000);
    expect(announced.data).toMatchObject({ conversationId: id, status: "resolved", by: "cara" });
    const agents = await as(second, "ann", "agent").call("GET", "/api/chat/agents");
    expect(agents.body.agents).toContainEqual(
      expect.objectContaining({ userId: "ann", activeCount: 0 }),
    );
  }, 400_000);

  it("requeue: a kill after the status update leaves all as it was, and the restarted server requeues", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-crash-"));
    const first = await start("chat.requeue.after-status");
    const id = await assigned(first);
    await killedBy(
      first,
      as(first, "ann", "agent").call("PUT", "/api/chat/agents/me", { status: "offline" }),
    );
    // Ann's going offline committed before the requeue began; the requeue itself left nothing.
    expect(stored(id)).toEqual({
      conversation: { status: "active", agent_id: "ann" },
      ann: { status: "offline", active_count: 1 },
    });

    const second = await start();
    const watcher = await as(second, "cara").socket();
    await watcher.subscribe(`conversation:${id}`);
    // The routing job finds the conversation of an offline agent and requeues it, announced.
    const requeued = await watcher.next(
      (f) => f.event === "status" && (f.data as { status: string }).status === "waiting",
      30_000,
    );
    expect(requeued.data).toMatchObject({
      conversationId: id,
      requeued: true,
      reason: "offline",
      previousAgent: "ann",
    });
    const agents = await as(second, "ann", "agent").call("GET", "/api/chat/agents");
    expect(agents.body.agents).toContainEqual(
      expect.objectContaining({ userId: "ann", status: "offline", activeCount: 0 }),
    );
  }, 400_000);
});
