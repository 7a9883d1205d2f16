import { afterEach, describe, expect, it } from "vitest";
import { type Caller, chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import type { RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import type { StaffQueueEvent, TeamQueueEvent } from "./contract.js";

const TEAM_A = "chat-queue:team:dealer-a";
const TEAM_B = "chat-queue:team:dealer-b";
const POOL = "chat-queue:pool";

type Frame = { type: string; channel?: string; event?: string; data?: unknown; code?: string };

/** Every frame a socket receives, kept whole (RawClient.next consumes what it matches). */
function record(ws: RawClient): Frame[] {
  const all: Frame[] = [];
  ws.socket.on("message", (d) => all.push(JSON.parse(d.toString()) as Frame));
  return all;
}

/** The next `queue` on `channel` whose waiting ids are exactly `ids` (any order). */
async function queueIs(ws: RawClient, channel: string, ids: string[]): Promise<void> {
  const want = [...ids].sort().join(",");
  await ws.next((f) => {
    if (f.type !== "message" || f.channel !== channel || f.event !== "queue") return false;
    const got = (f.data as TeamQueueEvent).waiting.map((w) => w.id);
    return got.sort().join(",") === want;
  }, 20_000);
}

async function setUpDealers(admin: Caller): Promise<void> {
  for (const [id, members] of [
    ["dealer-a", ["a-1"]],
    ["dealer-b", ["b-1"]],
  ] as const)
    expect((await admin.call("PUT", `/api/chat/teams/${id}`, { name: id, members })).status).toBe(
      201,
    );
  for (const [sku, team] of [
    ["CAR-A", "dealer-a"],
    ["CAR-B", "dealer-b"],
  ] as const) {
    const r = await admin.call("PUT", `/api/inventory/items/${sku}`, {
      onHand: 1,
      name: sku,
      teamId: team,
    });
    expect(r.status).toBeLessThan(300);
  }
}

describe.each(DIALECTS)("live team queues across two nodes on %s", (database) => {
  const servers: TestServer[] = [];
  const harnesses: { cleanup(): void }[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) h.cleanup();
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  async function cluster() {
    const env = { SWITCHBOARD_CHAT_BOT: "off", SWITCHBOARD_CHAT_QUEUE_UPDATE_MS: "100" };
    const a = await startTestServer({ database, env });
    const b = await startTestServer({ shareWith: a, env });
    servers.push(a, b);
    const onA = chatHarness(() => a);
    const onB = chatHarness(() => b);
    harnesses.push(onA, onB);
    const admin = await onA.as("boss", "admin");
    await setUpDealers(admin);
    const route = () =>
      Promise.all([a.app.jobs.trigger("chat-routing"), b.app.jobs.trigger("chat-routing")]);
    return { onA, onB, admin, route };
  }

  it("refuses another team's queue, the pool's to team members, and every queue to customers", async () => {
    const { onA, onB } = await cluster();
    const a1 = await (await onA.as("a-1", "agent")).socket();
    const refused = async (ws: RawClient, channel: string) => {
      const reply = await ws.request({ type: "subscribe", channel });
      expect(reply).toMatchObject({ type: "error", code: "forbidden" });
    };
    await a1.subscribe(TEAM_A);
    await refused(a1, TEAM_B);
    await refused(a1, POOL);
    await refused(a1, "chat-queue:anything");
    await refused(a1, "chat-queue:team:");
    // nobody publishes there but the server
    const pub = await a1.request({ type: "publish", channel: TEAM_A, event: "queue", data: {} });
    expect(pub).toMatchObject({ type: "error", code: "forbidden" });
    const buyer = await (await onB.as("buyer")).socket();
    await refused(buyer, TEAM_A);
    await refused(buyer, POOL);
    const pool = await (await onB.as("pool-1", "agent")).socket();
    await pool.subscribe(POOL);
    await refused(pool, TEAM_A);
    const boss = await (await onB.as("boss", "admin")).socket();
    for (const channel of [TEAM_A, TEAM_B, POOL]) await boss.subscribe(channel);
  }, 60_000);

  it("an agent sees their team's queue live and never another team's; the pool sees what falls to it", async () => {
    const { onA, onB, admin, route } = await cluster();
    // a-1 on node A, b-1 and a pool agent on node B; connected like the console, not online yet
    const a1 = await onA.agent("a-1", { connect: true, capacity: 1 });
    const a1ws = a1.ws as RawClient;
    await a1ws.subscribe(TEAM_A);
    const a1All = record(a1ws);
    const b1ws = await (await onB.as("b-1", "agent")).socket();
    await b1ws.subscribe("staff:chat");
    await b1ws.subscribe(TEAM_B);
    const b1All = record(b1ws);
    const poolWs = await (await onB.as("pool-1", "agent")).socket();
    await poolWs.subscribe("staff:chat");
    await poolWs.subscribe(POOL);
    const bossWs = await (await onB.as("boss", "admin")).socket();
    await bossWs.subscribe(TEAM_A);
    await bossWs.subscribe(TEAM_B);
    // a-1 came online with capacity 1 and nothing to take: make them busy so the queue builds
    expect(
      (await a1.call("PUT", "/api/chat/agents/me", { status: "busy", capacity: 1, skills: [] }))
        .status,
    ).toBe(200);

    const open = async (on: typeof onA, who: string, subject: unknown) => {
      const r = await (await on.as(who)).call("POST", "/api/chat/conversations", { subject });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    const forA1 = await open(onB, "buyer-1", { type: "product", id: "CAR-A" });
    const forA2 = await open(onA, "buyer-2", { type: "product", id: "CAR-A" });
    const forB = await open(onA, "buyer-3", { type: "product", id: "CAR-B" });
    const general = await open(onB, "buyer-4", "Opening hours?");
    await route();

    await queueIs(a1ws, TEAM_A, [forA1, forA2]);
    await queueIs(b1ws, TEAM_B, [forB]);
    await queueIs(bossWs, TEAM_A, [forA1, forA2]);
    await queueIs(bossWs, TEAM_B, [forB]);
    // the general queue is everyone's, and carries no team's conversation
    await queueIs(b1ws, "staff:chat", [general]);
    // nobody of either team is online: both teams' conversations fall to the pool
    await queueIs(poolWs, POOL, [forA1, forA2, forB]);

    // a-1 comes online on node A and takes one; the other stays in dealer A's queue, and
    // dealer A's conversations no longer fall to the pool (its team is there)
    expect(
      (await a1.call("PUT", "/api/chat/agents/me", { status: "online", capacity: 1, skills: [] }))
        .status,
    ).toBe(200);
    await route();
    const rows = (await admin.call("GET", "/api/chat/conversations?status=active")).body.items as {
      id: string;
      agentId: string;
    }[];
    const taken = rows.find((r) => r.agentId === "a-1")?.id;
    expect([forA1, forA2]).toContain(taken);
    const left = taken === forA1 ? forA2 : forA1;
    await queueIs(a1ws, TEAM_A, [left]);
    await queueIs(poolWs, POOL, [forB]);

    // REST says the same as the live queues
    const listed = async (c: Caller) =>
      (
        (await c.call("GET", "/api/chat/conversations?status=waiting")).body.items as {
          id: string;
        }[]
      )
        .map((r) => r.id)
        .sort();
    expect(await listed(await onB.as("b-1", "agent"))).toEqual([forB, general].sort());
    expect(await listed(await onA.as("pool-1", "agent"))).toEqual([forB, general].sort());
    expect(await listed(await onA.as("a-1", "agent"))).toEqual([left, general].sort());

    // nothing of dealer B ever reached a-1's socket, nothing of dealer A b-1's
    const mentions = (frames: Frame[], id: string) =>
      frames.some((f) => JSON.stringify(f.data ?? null).includes(id));
    expect(mentions(a1All, forB)).toBe(false);
    expect(mentions(b1All, forA1) || mentions(b1All, forA2)).toBe(false);
    expect(a1All.some((f) => f.channel === TEAM_A && f.event === "queue")).toBe(true);

    // a-1 leaves dealer A: their live subscription to its queue ends at once
    const moved = await admin.call("PUT", "/api/chat/teams/dealer-a", {
      name: "dealer-a",
      members: [],
    });
    expect(moved.status).toBe(200);
    await a1ws.next(
      (f) => f.type === "unsubscribed" && f.channel === TEAM_A && f.code === "revoked",
      20_000,
    );
    const again = await a1ws.request({ type: "subscribe", channel: TEAM_A });
    expect(again).toMatchObject({ type: "error", code: "forbidden" });
    const staffQueue = b1All.filter((f) => f.channel === "staff:chat" && f.event === "queue");
    expect(staffQueue.length).toBeGreaterThan(0);
    for (const f of staffQueue) {
      const data = f.data as StaffQueueEvent;
      for (const w of data.waiting) expect(w.teamId).toBeUndefined();
      expect(data.total).toBeGreaterThanOrEqual(data.waiting.length); // a count of all queues
    }
  }, 90_000);
});
