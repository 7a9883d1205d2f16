import { afterEach, describe, expect, it } from "vitest";
import { type Caller, chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

type Row = { id: string; agentId?: string; status: string; teamId?: string };

async function setUpDealers(admin: Caller) {
  for (const [id, members] of [
    ["dealer-a", ["a-1", "a-2"]],
    ["dealer-b", ["b-1"]],
  ] as const) {
    const r = await admin.call("PUT", `/api/chat/teams/${id}`, { name: id, members });
    expect(r.status).toBe(201);
  }
  const car = await admin.call("PUT", "/api/inventory/items/CAR-1", {
    onHand: 1,
    name: "Red roadster",
    teamId: "dealer-a",
  });
  expect(car.status).toBeLessThan(300);
  expect(car.body.teamId).toBe("dealer-a");
}

describe.each(DIALECTS)("team routing across two nodes on %s", (database) => {
  const servers: TestServer[] = [];
  const harnesses: { cleanup(): void }[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) h.cleanup();
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  async function cluster(env: Record<string, string> = {}) {
    const a = await startTestServer({ database, env: { SWITCHBOARD_CHAT_BOT: "off", ...env } });
    const b = await startTestServer({ shareWith: a, env: { SWITCHBOARD_CHAT_BOT: "off", ...env } });
    servers.push(a, b);
    const onA = chatHarness(() => a);
    const onB = chatHarness(() => b);
    harnesses.push(onA, onB);
    const admin = await onA.as("boss", "admin");
    await setUpDealers(admin);
    const route = () =>
      Promise.all([a.app.jobs.trigger("chat-routing"), b.app.jobs.trigger("chat-routing")]);
    return { a, b, onA, onB, admin, route };
  }

  it("a conversation about a dealer's car reaches only that dealer's agents, on either node", async () => {
    const { onA, onB, admin, route } = await cluster();
    // dealer-a's agents are on both nodes; another dealer and the general pool are online too
    await onA.agent("a-1", { capacity: 2 });
    await onB.agent("a-2", { capacity: 2 });
    await onA.agent("b-1", { capacity: 5 });
    await onB.agent("pool-1", { capacity: 5 });
    const customers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? onA : onB).as(`buyer-${i}`)),
    );
    const opened = await Promise.all(
      customers.map((c) =>
        c.call("POST", "/api/chat/conversations", { subject: { type: "product", id: "CAR-1" } }),
      ),
    );
    for (const r of opened) {
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        teamId: "dealer-a",
        about: { type: "product", id: "CAR-1" },
        subject: "Red roadster",
      });
    }
    await route();
    const rows = (await admin.call("GET", "/api/chat/conversations?limit=100")).body.items as Row[];
    const active = rows.filter((r) => r.status === "active");
    // four seats in dealer-a; the other two wait for them, never for b-1 or the pool
    expect(active).toHaveLength(4);
    for (const r of active) expect(["a-1", "a-2"]).toContain(r.agentId);
    expect(rows.filter((r) => r.status === "waiting")).toHaveLength(2);

    // dealer-b does not even see dealer-a's queue, and cannot take from it
    const b1 = await onA.as("b-1", "agent");
    const seen = (await b1.call("GET", "/api/chat/conversations?status=waiting")).body
      .items as Row[];
    expect(seen).toHaveLength(0);
    const waitingId = rows.find((r) => r.status === "waiting")?.id;
    const stolen = await b1.call("POST", `/api/chat/conversations/${waitingId}/claim`);
    expect(stolen.status).toBe(403);
    const a2 = await onB.as("a-2", "agent");
    const teamQueue = (await a2.call("GET", "/api/chat/conversations?status=waiting")).body
      .items as Row[];
    expect(teamQueue).toHaveLength(2);

    // a general question still goes to anyone with room
    const general = await customers[0]?.call("POST", "/api/chat/conversations", {
      subject: "Opening hours?",
    });
    await route();
    const g = (await admin.call("GET", `/api/chat/conversations/${general?.body.id}`)).body;
    expect(g.status).toBe("active");
    expect(g.teamId).toBeUndefined();
  }, 60_000);

  it("falls back to the general pool when nobody of the team is online (default)", async () => {
    const { onA, onB, admin, route } = await cluster();
    await onA.agent("b-1", { capacity: 5 });
    await onB.agent("pool-1", { capacity: 5 });
    const buyer = await onA.as("buyer");
    const opened = await buyer.call("POST", "/api/chat/conversations", {
      subject: { type: "product", id: "CAR-1" },
    });
    await route();
    const c = (await admin.call("GET", `/api/chat/conversations/${opened.body.id}`)).body;
    expect(c.status).toBe("active");
    expect(c.agentId).toBe("pool-1"); // the pool, never another dealer
  }, 60_000);

  it("waits for the team when the fallback is `wait`", async () => {
    const { onA, onB, admin, route } = await cluster({ SWITCHBOARD_CHAT_TEAM_FALLBACK: "wait" });
    await onA.agent("b-1", { capacity: 5 });
    await onB.agent("pool-1", { capacity: 5 });
    const buyer = await onA.as("buyer");
    const opened = await buyer.call("POST", "/api/chat/conversations", {
      subject: { type: "product", id: "CAR-1" },
    });
    await route();
    const id = opened.body.id as string;
    expect((await admin.call("GET", `/api/chat/conversations/${id}`)).body.status).toBe("waiting");
    await onB.agent("a-2"); // the dealer comes online on the other node
    await route();
    const c = (await admin.call("GET", `/api/chat/conversations/${id}`)).body;
    expect(c).toMatchObject({ status: "active", agentId: "a-2" });
  });
});

describe("teams: bad input and access", () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  }, 60_000);

  it("answers clear codes, never a crash", async () => {
    const server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(server);
    const h = chatHarness(() => server);
    try {
      const admin = await h.as("boss", "admin");
      const agent = await h.as("a-1", "agent");
      const buyer = await h.as("buyer");
      expect((await admin.call("PUT", "/api/chat/teams/Bad Id", { name: "x" })).status).toBe(400);
      expect((await admin.call("PUT", "/api/chat/teams/ok", {})).status).toBe(400);
      expect(
        (await admin.call("PUT", "/api/chat/teams/ok", { name: "x", members: "a-1" })).status,
      ).toBe(400);
      expect((await agent.call("PUT", "/api/chat/teams/ok", { name: "x" })).status).toBe(403);
      expect((await buyer.call("GET", "/api/chat/teams")).status).toBe(403);
      expect((await admin.call("DELETE", "/api/chat/teams/none")).status).toBe(404);
      const put = await admin.call("PUT", "/api/chat/teams/ok", { name: "OK", members: ["a-1"] });
      expect(put.status).toBe(201);
      expect((await admin.call("PUT", "/api/chat/teams/ok", { name: "OK 2" })).status).toBe(200);
      expect((await agent.call("GET", "/api/chat/teams")).body.teams).toEqual([]);
      expect(
        (await admin.call("PUT", "/api/inventory/items/X-1", { onHand: 1, teamId: "Not OK" }))
          .status,
      ).toBe(400);
      for (const subject of [
        { type: "car", id: "X" },
        { type: "product" },
        { type: "product", id: "" },
        { type: "product", id: "x".repeat(201) },
      ]) {
        const r = await buyer.call("POST", "/api/chat/conversations", { subject });
        expect(r.status).toBe(400);
      }
      const missing = await buyer.call("POST", "/api/chat/conversations", {
        subject: { type: "product", id: "NOPE" },
      });
      expect(missing.status).toBe(404);
      const order = await admin.call("POST", "/api/orders", {
        lifecycle: "repair-booking",
        customerId: "someone-else",
      });
      expect(order.status).toBe(201);
      const theirs = await buyer.call("POST", "/api/chat/conversations", {
        subject: { type: "order", id: order.body.id },
      });
      expect(theirs.status).toBe(403);
      const plain = await buyer.call("POST", "/api/chat/conversations", { subject: "Hi" });
      expect(
        (await buyer.call("GET", `/api/chat/conversations/${plain.body.id}/context`)).status,
      ).toBe(404);
    } finally {
      h.cleanup();
    }
  }, 60_000);
});
