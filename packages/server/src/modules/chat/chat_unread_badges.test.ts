import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import type { RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

type Snapshot = { total: number; conversations: Record<string, number>; version: number };

/** The `chat_unread` snapshots a socket heard on user:{sub} (other events there are not ours). */
function snapshots(socket: RawClient, user: string): Snapshot[] {
  return socket
    .messages(`user:${user}`)
    .filter((f) => f.event === "chat_unread")
    .map((f) => f.data as Snapshot);
}

async function until<T>(what: () => T | Promise<T>, ok: (v: T) => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  let last = await what();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await what();
  }
  return last;
}

const newest = (list: Snapshot[]) =>
  list.reduce<Snapshot | undefined>((a, s) => (!a || s.version > a.version ? s : a), undefined);

describe.each(DIALECTS)("unread badges on %s", (database) => {
  const servers: TestServer[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    for (const s of servers.splice(0).reverse()) await s.close();
  }, 60_000);

  it("counts per conversation and in all, for the customer and the agent", async () => {
    const server = await startTestServer({ database, env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(server);
    const h = chatHarness(() => server);
    cleanups.push(h.cleanup);
    const agent = await h.agent("agent-1");
    const agentTab = await agent.socket();
    await agentTab.subscribe("user:agent-1");
    const buyer = await h.as("buyer");
    const tab = await buyer.socket();
    await tab.subscribe("user:buyer");
    const one = (await buyer.call("POST", "/api/chat/conversations", {})).body.id as string;
    const two = (await buyer.call("POST", "/api/chat/conversations", {})).body.id as string;
    for (const [id, n] of [
      [one, 3],
      [two, 2],
    ] as const)
      for (let i = 0; i < n; i++)
        expect(
          (await agent.call("POST", `/api/chat/conversations/${id}/messages`, { text: `m${i}` }))
            .status,
        ).toBe(201);
    await buyer.call("POST", `/api/chat/conversations/${one}/messages`, { text: "hello" });
    const seen = await until(
      () => newest(snapshots(tab, "buyer")),
      (s) => s?.total === 5,
    );
    expect(seen?.conversations).toEqual({ [one]: 3, [two]: 2 });
    // the agent has the customer's message unread in the one conversation
    await until(
      () => newest(snapshots(agentTab, "agent-1")),
      (s) => s?.total === 1 && s.conversations[one] === 1,
    );
    await buyer.call("POST", `/api/chat/conversations/${one}/read`, { upTo: 4 });
    await until(
      () => newest(snapshots(tab, "buyer")),
      (s) => s?.total === 2 && s.conversations[one] === undefined,
    );
    expect((await buyer.call("GET", "/api/chat/unread")).body).toMatchObject({
      total: 2,
      conversations: { [two]: 2 },
    });
    expect(
      (await buyer.call("POST", `/api/chat/conversations/${one}/read`, { upTo: -1 })).status,
    ).toBe(400);
    expect(
      (await buyer.call("POST", `/api/chat/conversations/${one}/read`, { upTo: 999 })).status,
    ).toBe(400);
  }, 60_000);

  it("never drifts when two tabs on two nodes read at once while messages arrive", async () => {
    const a = await startTestServer({ database, env: { SWITCHBOARD_CHAT_BOT: "off" } });
    const b = await startTestServer({ shareWith: a, env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(a, b);
    const onA = chatHarness(() => a);
    const onB = chatHarness(() => b);
    cleanups.push(onA.cleanup, onB.cleanup);
    const agent = await onA.agent("agent-1", { capacity: 5 });
    const buyerA = await onA.as("buyer");
    const buyerB = await onB.as("buyer");
    const tabA = await buyerA.socket();
    const tabB = await buyerB.socket();
    await tabA.subscribe("user:buyer");
    await tabB.subscribe("user:buyer");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await buyerA.call("POST", "/api/chat/conversations", {})).body.id as string);
    const send = (id: string, text: string) =>
      agent.call("POST", `/api/chat/conversations/${id}/messages`, { text });
    for (const id of ids) for (let i = 0; i < 8; i++) await send(id, `first ${i}`);
    const before = await until(
      () => newest(snapshots(tabA, "buyer")),
      (s) => s?.total === 24,
    );

    // Phase 1, reads only: both tabs mark every conversation read up to racing points.
    const reads = [];
    for (let upTo = 1; upTo <= 8; upTo++)
      for (const id of ids) {
        reads.push(buyerA.call("POST", `/api/chat/conversations/${id}/read`, { upTo }));
        reads.push(buyerB.call("POST", `/api/chat/conversations/${id}/read`, { upTo: 9 - upTo }));
      }
    const replies = await Promise.all(reads);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    for (const tab of [tabA, tabB]) {
      const last = await until(
        () => newest(snapshots(tab, "buyer")),
        (s) => s?.total === 0,
      );
      expect(last?.conversations).toEqual({});
    }
    // Snapshots are numbered in the order they were taken: with only reads happening, a later
    // one never shows more unread than an earlier one (a stale count never comes last).
    const ordered = snapshots(tabA, "buyer").sort((x, y) => x.version - y.version);
    const versions = ordered.map((s) => s.version);
    expect(new Set(versions).size).toBe(versions.length);
    const phase1 = ordered.filter((s) => s.version >= (before?.version ?? 0));
    expect(phase1.length).toBeGreaterThan(2);
    for (let i = 1; i < phase1.length; i++)
      expect(phase1[i]?.total).toBeLessThanOrEqual(phase1[i - 1]?.total ?? Infinity);

    // Phase 2: messages keep arriving while both tabs read; the newest snapshot on each tab
    // ends equal to the truth.
    for (let round = 0; round < 4; round++) {
      const replies = await Promise.all([
        ...ids.map((id) => send(id, `more ${round}`)),
        ...ids.flatMap((id) => [
          buyerA.call("POST", `/api/chat/conversations/${id}/read`, { upTo: 8 + round }),
          buyerB.call("POST", `/api/chat/conversations/${id}/read`, { upTo: 8 + round }),
        ]),
      ]);
      expect(replies.every((r) => r.status < 300)).toBe(true);
    }
    // the truth, worked out from the conversations' own receipts: 12 messages, read up to 11
    let expected = 0;
    for (const id of ids) {
      const c = (await buyerA.call("GET", `/api/chat/conversations/${id}`)).body as {
        lastSeq: number;
        receipts: { userId: string; readSeq: number }[];
      };
      expect(c.lastSeq).toBe(12);
      expected += c.lastSeq - (c.receipts.find((r) => r.userId === "buyer")?.readSeq ?? 0);
    }
    expect(expected).toBe(ids.length);
    // once the background snapshots are out, both tabs' newest one is the REST answer
    const settled = await until(
      async () => {
        const truth = (await buyerB.call("GET", "/api/chat/unread")).body as Snapshot;
        return { truth, tabs: [tabA, tabB].map((t) => newest(snapshots(t, "buyer"))) };
      },
      ({ truth, tabs }) => tabs.every((t) => t?.version === truth.version),
      40_000,
    );
    expect(settled.truth.total).toBe(expected);
    for (const t of settled.tabs) expect(t).toEqual(settled.truth);
  }, 90_000);
});
