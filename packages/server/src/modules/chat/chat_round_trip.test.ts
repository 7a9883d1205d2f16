import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("support chat on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  beforeEach(async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_CHAT_BOT: "off" },
    });
  });
  afterEach(async () => {
    h.cleanup();
    await server.close();
  });

  it("round trip: customer ↔ agent with typing, delivered and read", async () => {
    const ann = await h.agent("ann");
    const alice = await h.as("alice");
    const opened = await alice.call("POST", "/api/chat/conversations", {
      subject: "Cracked screen",
      metadata: { source: "widget", language: "en" },
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      status: "active",
      agentId: "ann",
      customerId: "alice",
      priority: "normal",
    });
    const id = opened.body.id as string;
    const channel = `conversation:${id}`;
    const aliceWs = await alice.socket();
    const annWs = ann.ws!;
    await aliceWs.subscribe(channel);
    await annWs.subscribe(channel);

    // typing is a signal: no offset, not in history
    expect(
      await aliceWs.request({ type: "signal", channel, event: "typing", data: { typing: true } }),
    ).toMatchObject({ type: "ok" });
    expect(await annWs.next((f) => f.type === "message" && f.event === "typing")).toMatchObject({
      from: { user: "alice" },
    });

    const sent = await alice.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "Hi, my screen is cracked",
      clientId: "c1",
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      seq: 1,
      author: { id: "alice", role: "customer" },
      text: "Hi, my screen is cracked",
    });
    const atAgent = await annWs.next((f) => f.type === "message" && f.event === "message");
    expect(atAgent.data).toMatchObject({ seq: 1, text: "Hi, my screen is cracked" });

    // the agent's client acks delivery, then reading; the customer sees both receipts
    expect(
      (await ann.call("POST", `/api/chat/conversations/${id}/delivered`, { upTo: 1 })).body,
    ).toMatchObject({ deliveredSeq: 1, readSeq: 0 });
    expect((await aliceWs.next((f) => f.event === "delivered")).data).toMatchObject({
      userId: "ann",
      upTo: 1,
    });
    await ann.call("POST", `/api/chat/conversations/${id}/read`, { upTo: 1 });
    expect((await aliceWs.next((f) => f.event === "read")).data).toMatchObject({
      userId: "ann",
      upTo: 1,
    });
    // a late ack does not move receipts back
    expect(
      (await ann.call("POST", `/api/chat/conversations/${id}/delivered`, { upTo: 0 })).body,
    ).toMatchObject({ deliveredSeq: 1, readSeq: 1 });

    // the agent answers over the socket (rpc), same service
    const answer = await annWs.request({
      type: "rpc",
      method: "chat.send",
      params: { id, text: "We can fix that today." },
    });
    expect(answer).toMatchObject({ type: "result", data: { seq: 2, author: { role: "agent" } } });
    const reply = await aliceWs.next(
      (f) => f.event === "message" && (f.data as { seq: number }).seq === 2,
    );
    expect(reply.data).toMatchObject({ text: "We can fix that today.", author: { id: "ann" } });

    // retry with the same clientId stores nothing new
    const retry = await alice.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "Hi, my screen is cracked",
      clientId: "c1",
    });
    expect(retry.body.seq).toBe(1);
    const history = await alice.call("GET", `/api/chat/conversations/${id}/messages`);
    expect(history.body.items.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    const snapshot = await alice.call("GET", `/api/chat/conversations/${id}`);
    expect(snapshot.body.receipts).toContainEqual({ userId: "ann", deliveredSeq: 1, readSeq: 1 });

    const resolved = await alice.call("POST", `/api/chat/conversations/${id}/resolve`, {
      rating: 5,
    });
    expect(resolved.body).toMatchObject({ status: "resolved", rating: 5 });
    expect((await aliceWs.next((f) => f.event === "status")).data).toMatchObject({
      status: "resolved",
      rating: 5,
    });
    expect((await ann.call("GET", "/api/chat/agents/me")).body.activeCount).toBe(0);
    expect(
      (await alice.call("POST", `/api/chat/conversations/${id}/messages`, { text: "more" })).status,
    ).toBe(409);
  });

  it("assigns 20 conversations opened at once to 3 agents, never above capacity, and queues the rest", async () => {
    await h.agent("a1", { capacity: 1 });
    await h.agent("a2", { capacity: 2 });
    await h.agent("a3", { capacity: 3 });
    const customers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.as(`c${i}`)));
    const opened = await Promise.all(
      customers.map((c) => c.call("POST", "/api/chat/conversations", { subject: "help" })),
    );
    expect(opened.every((r) => r.status === 201)).toBe(true);
    await server.app.store.db.selectFrom("chat_agents").selectAll().execute();
    const admin = await h.as("boss", "admin");
    const agents = (await admin.call("GET", "/api/chat/agents")).body.agents as {
      userId: string;
      activeCount: number;
      capacity: number;
    }[];
    for (const a of agents) expect(a.activeCount).toBe(a.capacity);
    const active = await admin.call("GET", "/api/chat/conversations?status=active&limit=200");
    expect(active.body.items).toHaveLength(6);
    const perAgent = new Map<string, number>();
    for (const c of active.body.items) perAgent.set(c.agentId, (perAgent.get(c.agentId) ?? 0) + 1);
    expect(Object.fromEntries(perAgent)).toEqual({ a1: 1, a2: 2, a3: 3 });
    const waiting = await admin.call("GET", "/api/chat/conversations?status=waiting&limit=200");
    expect(waiting.body.items).toHaveLength(14);
    const positions = await Promise.all(
      waiting.body.items.map((c: { id: string; customerId: string }) =>
        admin.call("GET", `/api/chat/conversations/${c.id}`),
      ),
    );
    expect(
      positions.map((p) => p.body.queuePosition).sort((x: number, y: number) => x - y),
    ).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
  });

  it("serves VIP and urgent conversations first and shows a waiting customer their place moving", async () => {
    const normal = await h.as("normal");
    const vip = await h.as("vipcustomer", "customer", { vip: true });
    const first = (await normal.call("POST", "/api/chat/conversations", {})).body;
    const second = (await vip.call("POST", "/api/chat/conversations", {})).body;
    expect(second.vip).toBe(true);
    expect(second.queuePosition).toBe(1); // the VIP jumped ahead
    expect(
      (await normal.call("GET", `/api/chat/conversations/${first.id}`)).body.queuePosition,
    ).toBe(2);
    const ws = await normal.socket();
    await ws.subscribe(`conversation:${first.id}`);
    await h.agent("solo", { capacity: 1 }); // takes the VIP
    // (queue updates come in rounds: one telling place 2 may still arrive before this one)
    const moved = await ws.next(
      (f) => f.event === "queue" && (f.data as { position: number }).position === 1,
    );
    expect(moved.data).toMatchObject({
      position: 1,
      waiting: 1,
    });
    expect((await vip.call("GET", `/api/chat/conversations/${second.id}`)).body).toMatchObject({
      status: "active",
      agentId: "solo",
    });
  });

  it("routes by skills: only an agent with every required skill gets it", async () => {
    await h.agent("generalist", { skills: ["english"] });
    const c = await h.as("dana");
    const opened = (
      await c.call("POST", "/api/chat/conversations", { skills: ["english", "iphone"] })
    ).body;
    expect(opened.status).toBe("waiting");
    await h.agent("specialist", { skills: ["english", "iphone"] });
    expect((await c.call("GET", `/api/chat/conversations/${opened.id}`)).body).toMatchObject({
      status: "active",
      agentId: "specialist",
    });
  });

  it("lets exactly one of two racing agents claim a conversation", async () => {
    const x = await h.agent("x", { capacity: 2 });
    const y = await h.agent("y", { capacity: 2 });
    await x.call("PUT", "/api/chat/agents/me", { status: "busy" }); // not auto-assigned, may still claim
    await y.call("PUT", "/api/chat/agents/me", { status: "busy" });
    for (let round = 0; round < 3; round++) {
      const c = await h.as(`racer${round}`);
      const { id } = (await c.call("POST", "/api/chat/conversations", {})).body;
      const results = await Promise.all([
        x.call("POST", `/api/chat/conversations/${id}/claim`),
        y.call("POST", `/api/chat/conversations/${id}/claim`),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    }
    const total = (await x.call("GET", "/api/chat/agents")).body.agents.reduce(
      (s: number, a: { activeCount: number }) => s + a.activeCount,
      0,
    );
    expect(total).toBe(3);
  });

  it("transfers a conversation to another agent", async () => {
    const first = await h.agent("first", { capacity: 1 });
    const c = await h.as("erin");
    const { id } = (await c.call("POST", "/api/chat/conversations", {})).body;
    const second = await h.agent("second", { capacity: 1 });
    const ws = await c.socket();
    await ws.subscribe(`conversation:${id}`);
    const moved = await first.call("POST", `/api/chat/conversations/${id}/transfer`, {
      agentId: "second",
      note: "billing question",
    });
    expect(moved.body).toMatchObject({ agentId: "second", status: "active" });
    expect((await ws.next((f) => f.event === "transferred")).data).toMatchObject({
      from: "first",
      to: "second",
    });
    expect((await second.call("GET", "/api/chat/agents/me")).body.activeCount).toBe(1);
    expect((await first.call("GET", "/api/chat/agents/me")).body.activeCount).toBe(0);
    expect(
      (await first.call("POST", `/api/chat/conversations/${id}/transfer`, { agentId: "first" }))
        .status,
    ).toBe(403);
    expect(
      (await second.call("POST", `/api/chat/conversations/${id}/transfer`, { agentId: "nobody" }))
        .status,
    ).toBe(409);
  });

  it("keeps a third customer out: no reading, no joining, no posting", async () => {
    await h.agent("ann");
    const owner = await h.as("owner");
    const { id } = (await owner.call("POST", "/api/chat/conversations", {})).body;
    const mallory = await h.as("mallory");
    expect((await mallory.call("GET", `/api/chat/conversations/${id}`)).status).toBe(403);
    expect((await mallory.call("GET", `/api/chat/conversations/${id}/messages`)).status).toBe(403);
    expect(
      (await mallory.call("POST", `/api/chat/conversations/${id}/messages`, { text: "hi" })).status,
    ).toBe(403);
    const ws = await mallory.socket();
    expect(await ws.request({ type: "subscribe", channel: `conversation:${id}` })).toMatchObject({
      code: "forbidden",
    });
    expect(
      await ws.request({
        type: "signal",
        channel: `conversation:${id}`,
        event: "typing",
        data: {},
      }),
    ).toMatchObject({ code: "forbidden" });
    const otherAgent = await h.agent("bystander");
    expect((await otherAgent.call("GET", `/api/chat/conversations/${id}`)).status).toBe(403);
    expect(
      (await (await h.as("boss", "admin")).call("GET", `/api/chat/conversations/${id}`)).status,
    ).toBe(200);
    const list = await mallory.call("GET", "/api/chat/conversations");
    expect(list.body.items).toEqual([]);
  });

  it.each([
    ["oversize text", { text: "x".repeat(1001) }],
    ["no text and no attachment", { text: "   " }],
    ["a wrong type", { text: 42 }],
    ["an unknown attachment", { text: "see", attachmentId: "01NOTMINE" }],
  ])("refuses a message with %s", async (_name, body) => {
    const c = await h.as("fay");
    const { id } = (await c.call("POST", "/api/chat/conversations", {})).body;
    const r = await c.call("POST", `/api/chat/conversations/${id}/messages`, body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });

  it("refuses bad agent and conversation input with codes", async () => {
    const ann = await h.as("ann", "agent");
    expect((await ann.call("PUT", "/api/chat/agents/me", { status: "sleeping" })).status).toBe(400);
    expect(
      (await ann.call("PUT", "/api/chat/agents/me", { status: "online", capacity: -1 })).status,
    ).toBe(400);
    const c = await h.as("gus");
    expect((await c.call("PUT", "/api/chat/agents/me", { status: "online" })).status).toBe(403);
    expect((await c.call("POST", "/api/chat/conversations", { priority: "asap" })).status).toBe(
      400,
    );
    expect(
      (await c.call("POST", "/api/chat/conversations", { customerId: "someone-else" })).status,
    ).toBe(403);
    expect((await c.call("GET", "/api/chat/conversations/01NOPE")).status).toBe(404);
    const { id } = (await c.call("POST", "/api/chat/conversations", {})).body;
    expect((await c.call("POST", `/api/chat/conversations/${id}/read`, { upTo: 99 })).status).toBe(
      400,
    );
    expect(
      (await c.call("POST", `/api/chat/conversations/${id}/resolve`, { rating: 9 })).status,
    ).toBe(400);
  });
});
