import { CloseCode } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { type ConfigOverrides, startTestServer, type TestServer } from "../testing.js";

let server: TestServer | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  closeAll(clients);
  await server?.close();
  server = undefined;
});

async function setup(config: ConfigOverrides = {}) {
  server = await startTestServer({ config });
  const c = await RawClient.connect(
    server.wsUrl,
    await server.token({ sub: "alice", role: "agent" }),
  );
  clients.push(c);
  return { server, c };
}

describe("rate limit", () => {
  it("answers rate_limited with retryAfterMs once the burst is spent, then recovers", async () => {
    const { c } = await setup({ limits: { ratePerSecond: 20, rateBurst: 5 } });
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        c.request({ type: "history", channel: "staff:x", limit: 1 }),
      ),
    );
    const limited = replies.filter((r) => r.type === "error");
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(limited[0]).toMatchObject({ code: "rate_limited" });
    expect(limited[0]!.retryAfterMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.request({ type: "history", channel: "staff:x", limit: 1 })).toMatchObject({
      type: "history",
    });
  });

  it("closes 4429 when a client keeps going while limited", async () => {
    const { c } = await setup({
      limits: { ratePerSecond: 10, rateBurst: 2, rateLimitCloseMs: 300 },
    });
    const flood = setInterval(() => {
      if (c.socket.readyState === c.socket.OPEN)
        c.send({ type: "history", id: c.id(), channel: "staff:x" });
    }, 2);
    const closed = await c.closed;
    clearInterval(flood);
    expect(closed.code).toBe(CloseCode.RateLimited);
  });

  it("does not count pongs", async () => {
    const { c } = await setup({ limits: { ratePerSecond: 1, rateBurst: 2 } }); // connect takes one
    for (let i = 0; i < 50; i++) c.send({ type: "pong" });
    expect(await c.request({ type: "history", channel: "staff:x" })).toMatchObject({
      type: "history",
    });
  });
});

describe("frame size", () => {
  it("answers an oversize frame with too_large and keeps the connection", async () => {
    const { c } = await setup({ limits: { maxFrameBytes: 4096 } });
    const reply = await c.request({
      type: "publish",
      channel: "staff:x",
      event: "e",
      data: "x".repeat(5000),
    });
    expect(reply).toMatchObject({ type: "error", code: "too_large" });
    expect(
      await c.request({ type: "publish", channel: "staff:x", event: "e", data: "small" }),
    ).toMatchObject({ type: "published", offset: 1 });
  });

  it("closes 4413 on an oversize frame it cannot answer", async () => {
    const { c } = await setup({ limits: { maxFrameBytes: 4096 } });
    c.send(`{"data":"${"x".repeat(5000)}","type":"publish"}`);
    expect((await c.closed).code).toBe(CloseCode.FrameTooLarge);
  });

  it("cuts a frame above the transport cap (1009) before reading it", async () => {
    const { c } = await setup({ limits: { maxFrameBytes: 4096 } });
    c.send("x".repeat(2 * 1024 * 1024));
    expect((await c.closed).code).toBe(CloseCode.MessageTooBig);
  });
});

describe("subscription limit", () => {
  it("refuses subscriptions past the per-connection limit", async () => {
    const { c } = await setup({ limits: { maxSubscriptions: 3 } });
    for (let i = 0; i < 3; i++) await c.subscribe(`product:${i}`);
    expect(await c.request({ type: "subscribe", channel: "product:99" })).toMatchObject({
      type: "error",
      code: "too_large",
    });
    await c.request({ type: "unsubscribe", channel: "product:0" });
    expect(await c.request({ type: "subscribe", channel: "product:99" })).toMatchObject({
      type: "subscribed",
    });
  });
});

describe("connection limit", () => {
  it("refuses upgrades past the connection limit with 503", async () => {
    const { server: s } = await setup({ limits: { maxConnections: 1 } });
    await expect(RawClient.open(s.wsUrl)).rejects.toThrow(/503/);
  });
});
