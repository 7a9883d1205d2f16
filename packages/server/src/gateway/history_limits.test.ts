import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

afterEach(async () => {
  closeAll(clients);
  await server?.close();
});

/** A namespace anyone may read, keeping 1000 publications (as a long conversation does). */
function defineBig(s: TestServer): void {
  s.app.namespaces.define(
    {
      name: "big",
      history: { size: 1000, ttlMs: 3_600_000 },
      presence: false,
      joinLeave: false,
      clientPublish: false,
      recoverable: true,
      signals: [],
      policy: () => true,
    },
    "test",
  );
}

async function fill(s: TestServer, channel: string, count: number, bytes: number): Promise<void> {
  for (let i = 1; i <= count; i++) await s.publish(channel, "m", { i, text: "x".repeat(bytes) });
}

describe("history replies are bounded", () => {
  it("caps a reply in bytes and pages back and forth through all of it", async () => {
    const cap = 32 * 1024;
    server = await startTestServer({ config: { limits: { maxHistoryReplyBytes: cap } } });
    defineBig(server);
    await fill(server, "big:room", 300, 1000);
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "reader" }));
    clients.push(c);

    // Backwards from the newest, with `before`.
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 50; page++) {
      const reply = await c.request({
        type: "history",
        channel: "big:room",
        limit: 1000,
        ...(before !== undefined && { before }),
      });
      expect(reply.type).toBe("history");
      expect(JSON.stringify(reply).length).toBeLessThanOrEqual(cap + 2048);
      const pubs = reply.publications as { offset: number }[];
      seen.unshift(...pubs.map((p) => p.offset));
      if (!reply.more) break;
      before = pubs[0]?.offset;
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));

    // Forwards, with `since`.
    const first = await c.request({ type: "history", channel: "big:room", limit: 1 });
    const epoch = first.epoch as string;
    const forward: number[] = [];
    let since = 0;
    for (let page = 0; page < 50; page++) {
      const reply = await c.request({
        type: "history",
        channel: "big:room",
        since: { epoch, offset: since },
        limit: 1000,
      });
      expect(reply.complete).toBe(true);
      const pubs = reply.publications as { offset: number }[];
      forward.push(...pubs.map((p) => p.offset));
      if (!reply.more) break;
      since = pubs.at(-1)?.offset ?? since;
    }
    expect(forward).toEqual(seen);

    // REST follows the same cap.
    const rest = await fetch(`${server.url}/api/channels/big:room/history?limit=1000`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    const body = (await rest.json()) as { publications: unknown[]; more: boolean };
    expect(body.more).toBe(true);
    expect(JSON.stringify(body.publications).length).toBeLessThanOrEqual(cap + 2048);
  });

  it("charges history by size: a burst of large replies is mostly refused", async () => {
    server = await startTestServer({
      // One token a second: whatever the machine's speed, the burst cannot refill the bucket.
      config: { limits: { maxHistoryReplyBytes: 64 * 1024, ratePerSecond: 1, rateBurst: 100 } },
    });
    defineBig(server);
    await fill(server, "big:room", 200, 1000);
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "greedy" }));
    clients.push(c);
    const ids = Array.from({ length: 99 }, () => c.id());
    let bytes = 0;
    c.socket.on("message", (data: Buffer) => {
      bytes += data.length;
    });
    for (const id of ids) c.send({ type: "history", id, channel: "big:room", limit: 1000 });
    const replies = await c.collect((f) => ids.includes(f.id as number), ids.length, 30_000);
    const served = replies.filter((f) => f.type === "history");
    const refused = replies.filter((f) => f.type === "error" && f.code === "rate_limited");
    expect(served.length + refused.length).toBe(ids.length);
    expect(served.length).toBeGreaterThanOrEqual(1);
    // Each ~64 KiB reply costs 1 + 4 tokens: the 100-token burst buys about 20 of them (before:
    // all 99, each ~200 KiB).
    expect(served.length).toBeLessThanOrEqual(25);
    expect(bytes).toBeLessThanOrEqual(25 * 70 * 1024 + 99 * 300);
    expect(refused[0]?.retryAfterMs).toBeGreaterThan(0);
  });

  it("counts a turn's queued bytes toward the slow-consumer bound", async () => {
    const bound = 256 * 1024;
    server = await startTestServer({ config: { limits: { slowConsumerBytes: bound } } });
    defineBig(server);
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "burst" }));
    clients.push(c);
    await c.subscribe("big:burst");
    // 60 × 16 KiB (random, so compression cannot shrink it much) delivered in one event-loop
    // turn: ~700 KiB batched for one socket before any of it is written. Before, nothing was
    // counted until the batch had been handed over.
    const payload = randomBytes(12 * 1024).toString("base64");
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => server.publish("big:burst", "blob", { i, payload })),
    );
    expect(server.app.metrics.slowConsumersDropped).toBe(1);
    const closed = await c.closed;
    expect([4500, 1006]).toContain(closed.code);
  });

  it("refuses since and before together", async () => {
    server = await startTestServer();
    defineBig(server);
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "r" }));
    clients.push(c);
    const reply = await c.request({
      type: "history",
      channel: "big:x",
      since: { epoch: "e", offset: 1 },
      before: 3,
    });
    expect(reply).toMatchObject({ type: "error", code: "bad_request" });
  });
});
