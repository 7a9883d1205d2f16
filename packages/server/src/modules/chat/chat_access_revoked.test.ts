import { ulid } from "ulid";
import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../../test-support/services.js";
import type { RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

const redisUp = await redisAvailable();

const revoked = (channel: string) => (f: { type: string; channel?: unknown; code?: unknown }) =>
  f.type === "unsubscribed" && f.channel === channel && f.code === "revoked";

/**
 * An agent who loses a conversation (transferred away, requeued, resolved) stops receiving it
 * live, on every node: two nodes on one Redis, the agent with a socket on each.
 */
describe.runIf(redisUp)("chat: live access is revoked on every node", () => {
  const servers: TestServer[] = [];
  let prefix = "";
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
    if (prefix) await dropPrefix(prefix);
  });

  it("drops the old agent's subscriptions on transfer, requeue and resolve", async () => {
    prefix = `sbtest:${ulid()}:`;
    const env = { SWITCHBOARD_CHAT_BOT: "off" };
    const a = await startTestServer({ env, redis: { url: REDIS_URL, prefix } });
    const b = await startTestServer({ shareWith: a, env });
    servers.push(a, b);
    const onA = chatHarness(() => a);
    const onB = chatHarness(() => b);
    try {
      const first = await onA.agent("agent-1", { capacity: 1 });
      const customer = await onB.as("cust");
      const opened = await customer.call("POST", "/api/chat/conversations", {});
      expect(opened.status).toBe(201);
      const id = opened.body.id as string;
      const channel = `conversation:${id}`;
      await a.app.jobs.trigger("chat-routing");
      const got = await customer.call("GET", `/api/chat/conversations/${id}`);
      expect(got.body.agentId).toBe("agent-1");

      // agent-1 follows it from both nodes; the customer from node B.
      const firstOnA = first.ws as RawClient;
      const firstOnB = await (await onB.as("agent-1", "agent")).socket();
      await firstOnA.subscribe(channel);
      await firstOnB.subscribe(channel);
      const custWs = await customer.socket();
      await custWs.subscribe(channel);

      // Transfer (on node B) to agent-2: both of agent-1's sockets are dropped.
      const second = await onB.agent("agent-2", { capacity: 1 });
      const moved = await first.call("POST", `/api/chat/conversations/${id}/transfer`, {
        agentId: "agent-2",
      });
      expect(moved.status).toBe(200);
      await firstOnA.next(revoked(channel), 15_000);
      await firstOnB.next(revoked(channel), 15_000);
      const secondWs = second.ws as RawClient;
      await secondWs.subscribe(channel);
      const posted = await customer.call("POST", `/api/chat/conversations/${id}/messages`, {
        text: "after the transfer",
      });
      expect(posted.status).toBe(201);
      await secondWs.next((f) => f.type === "message" && f.event === "message", 15_000);
      await custWs.next((f) => f.type === "message" && f.event === "message", 15_000);
      expect(firstOnA.messages(channel).filter((f) => f.event === "message")).toEqual([]);
      expect(firstOnB.messages(channel).filter((f) => f.event === "message")).toEqual([]);
      // And it cannot come back.
      expect(await firstOnA.request({ type: "subscribe", channel })).toMatchObject({
        type: "error",
        code: "forbidden",
      });

      // Requeue: agent-2 goes offline, the conversation goes back to waiting.
      const off = await second.call("PUT", "/api/chat/agents/me", { status: "offline" });
      expect(off.status).toBe(200);
      await secondWs.next(revoked(channel), 15_000);

      // Routed to agent-1 again, who follows it; then the customer resolves it.
      await a.app.jobs.trigger("chat-routing");
      expect((await customer.call("GET", `/api/chat/conversations/${id}`)).body.agentId).toBe(
        "agent-1",
      );
      await firstOnB.subscribe(channel);
      const done = await customer.call("POST", `/api/chat/conversations/${id}/resolve`, {});
      expect(done.status).toBe(200);
      await firstOnB.next((f) => f.type === "message" && f.event === "status", 15_000);
      await firstOnB.next(revoked(channel), 15_000);
      // The customer keeps following their own conversation.
      expect(custWs.frames.some(revoked(channel))).toBe(false);
    } finally {
      onA.cleanup();
      onB.cleanup();
    }
  }, 120_000);
});
