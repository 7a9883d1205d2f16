import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("chat routing across two nodes on %s", (database) => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  it("never puts an agent above capacity when conversations arrive on both nodes at once", async () => {
    const env = { SWITCHBOARD_CHAT_BOT: "off" };
    const a = await startTestServer({ database, env });
    const b = await startTestServer({ shareWith: a, env });
    servers.push(a, b);
    const onA = chatHarness(() => a);
    const onB = chatHarness(() => b);
    try {
      await onA.agent("agent-1", { capacity: 2 });
      await onB.agent("agent-2", { capacity: 2 });
      await onB.agent("agent-3", { capacity: 1 });
      const customers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? onA : onB).as(`customer-${i}`)),
      );
      const opened = await Promise.all(
        customers.map((c) => c.call("POST", "/api/chat/conversations", {})),
      );
      expect(opened.every((r) => r.status === 201)).toBe(true);
      // a routing pass on each node, racing each other
      await Promise.all([a.app.jobs.trigger("chat-routing"), b.app.jobs.trigger("chat-routing")]);
      const admin = await onA.as("boss", "admin");
      const agents = (await admin.call("GET", "/api/chat/agents")).body.agents as {
        userId: string;
        activeCount: number;
        capacity: number;
      }[];
      for (const agent of agents) expect(agent.activeCount).toBe(agent.capacity);
      const active = (await admin.call("GET", "/api/chat/conversations?status=active&limit=200"))
        .body.items as { agentId: string }[];
      expect(active).toHaveLength(5);
      const counts: Record<string, number> = {};
      for (const c of active) counts[c.agentId] = (counts[c.agentId] ?? 0) + 1;
      expect(counts).toEqual({ "agent-1": 2, "agent-2": 2, "agent-3": 1 });
    } finally {
      onA.cleanup();
      onB.cleanup();
    }
  });
});
