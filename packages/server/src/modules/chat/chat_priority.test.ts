import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { startTestServer, type TestServer } from "../../testing.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

describe("chat: queue priority", () => {
  it("is not the customer's to pick; staff, the API key and signed claims set it", async () => {
    server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
    const h = chatHarness(() => server);
    try {
      const vip = await h.as("vip-customer", "customer", { vip: true });
      const sneaky = await h.as("sneaky");
      const refused = await sneaky.call("POST", "/api/chat/conversations", { priority: "urgent" });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe("forbidden");

      const vipOpened = await vip.call("POST", "/api/chat/conversations", {});
      const plain = await sneaky.call("POST", "/api/chat/conversations", {});
      expect(plain.body.priority).toBe("normal");

      // Signed claim: the identity provider says this customer's conversations are high.
      const token = await server.token({ sub: "gold", claims: { priority: "high" } });
      const gold = await fetch(`${server.url}/api/chat/conversations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(gold.status).toBe(201);
      expect(((await gold.json()) as { priority: string }).priority).toBe("high");

      // Staff (and the API key) may set it for a customer.
      const agent = await h.as("agent-x", "agent");
      const byStaff = await agent.call("POST", "/api/chat/conversations", {
        customerId: "someone",
        priority: "urgent",
      });
      expect(byStaff.status).toBe(201);
      expect(byStaff.body.priority).toBe("urgent");

      // The sneaky customer did not get ahead of the VIP.
      const admin = await h.as("boss", "admin");
      const waiting = (await admin.call("GET", "/api/chat/conversations?status=waiting&limit=50"))
        .body.items as { id: string; priority: string }[];
      const sneakys = waiting.filter((c) => c.id === plain.body.id);
      expect(sneakys.map((c) => c.priority)).toEqual(["normal"]);
      expect(waiting.some((c) => c.id === vipOpened.body.id)).toBe(true);
    } finally {
      h.cleanup();
    }
  });
});
