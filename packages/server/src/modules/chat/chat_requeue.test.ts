import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("requeue and retention on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  afterEach(async () => {
    h.cleanup();
    await server.close();
  });

  it("requeues an agent's conversations when they disconnect past the grace period, to another agent", async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_CHAT_BOT: "off", SWITCHBOARD_CHAT_AGENT_GRACE_MS: "1000" },
    });
    const leaving = await h.agent("leaving", { capacity: 2 });
    const c1 = await h.as("c1");
    const c2 = await h.as("c2");
    const a = (await c1.call("POST", "/api/chat/conversations", {})).body;
    const b = (await c2.call("POST", "/api/chat/conversations", {})).body;
    expect([a.agentId, b.agentId]).toEqual(["leaving", "leaving"]);
    const ws = await c1.socket();
    await ws.subscribe(`conversation:${a.id}`);
    const staying = await h.agent("staying", { capacity: 1 });
    leaving.ws!.close(); // the laptop lid closes
    const requeued = await ws.next(
      (f) => f.event === "status" && (f.data as { status: string }).status === "waiting",
      15_000,
    );
    expect(requeued.data).toMatchObject({
      requeued: true,
      reason: "disconnected",
      previousAgent: "leaving",
    });
    const reassigned = await ws.next((f) => f.event === "assigned", 10_000);
    expect(reassigned.data).toMatchObject({ agentId: "staying" });
    const agents = (await staying.call("GET", "/api/chat/agents")).body.agents;
    expect(agents).toContainEqual(
      expect.objectContaining({ userId: "leaving", status: "offline", activeCount: 0 }),
    );
    expect(agents).toContainEqual(expect.objectContaining({ userId: "staying", activeCount: 1 }));
  }, 30_000);

  it("requeues at once when an agent goes offline", async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_CHAT_BOT: "off" },
    });
    const ann = await h.agent("ann");
    const c = await h.as("cara");
    const { id } = (await c.call("POST", "/api/chat/conversations", {})).body;
    await ann.call("PUT", "/api/chat/agents/me", { status: "offline" });
    expect((await c.call("GET", `/api/chat/conversations/${id}`)).body).toMatchObject({
      status: "waiting",
      queuePosition: 1,
    });
  });

  it("archives resolved conversations and deletes them after retention", async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_CHAT_BOT: "off" },
    });
    await h.agent("ann");
    const c = await h.as("old");
    const { id } = (await c.call("POST", "/api/chat/conversations", {})).body;
    await c.call("POST", `/api/chat/conversations/${id}/messages`, { text: "thanks" });
    await c.call("POST", `/api/chat/conversations/${id}/resolve`, {});
    const db = server.app.store.db;
    const longAgo = new Date(Date.now() - 400 * 24 * 3600 * 1000).toISOString();
    await db
      .updateTable("chat_conversations")
      .set({ resolved_at: longAgo })
      .where("id", "=", id)
      .execute();
    expect(await server.app.jobs.trigger("chat-retention")).toBe(true);
    expect(
      await db.selectFrom("chat_conversations").selectAll().where("id", "=", id).execute(),
    ).toEqual([]);
    expect(
      await db.selectFrom("chat_messages").selectAll().where("conversation_id", "=", id).execute(),
    ).toEqual([]);
  });
});
