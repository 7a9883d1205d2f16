import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryHub } from "../broker/memory.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

const clients: RawClient[] = [];
const servers: TestServer[] = [];

afterEach(async () => {
  closeAll(clients);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function client(
  server: TestServer,
  sub: string,
  role: "customer" | "agent" | "admin" = "customer",
) {
  const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
  clients.push(c);
  return c;
}

describe("dispatch order", () => {
  let server: TestServer;
  beforeEach(async () => {
    // this file measures ordering, not the rate limiter: lift it
    server = await startTestServer({
      config: { limits: { ratePerSecond: 100_000, rateBurst: 100_000 } },
    });
    servers.push(server);
  });

  it("delivers 500 publications to two subscribers in the same order, once each", async () => {
    const a = await client(server, "alice");
    const b = await client(server, "bob");
    await a.subscribe("product:1");
    await b.subscribe("product:1");
    const publisher = await client(server, "ann", "agent");
    const sends = [];
    for (let i = 0; i < 500; i++) {
      // half from a socket, half server-side, interleaved: one stream either way
      sends.push(
        i % 2
          ? publisher.request({ type: "publish", channel: "product:1", event: "n", data: i })
          : server.publish("product:1", "n", i),
      );
    }
    await Promise.all(sends);
    const gotA = await a.collect((f) => f.type === "message", 500);
    const gotB = await b.collect((f) => f.type === "message", 500);
    const offsets = gotA.map((f) => f.offset);
    expect(offsets).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(gotB.map((f) => f.offset)).toEqual(offsets);
    expect(gotB.map((f) => f.data)).toEqual(gotA.map((f) => f.data));
    await new Promise((r) => setTimeout(r, 50));
    expect(a.messages("product:1")).toHaveLength(0); // no duplicates left over
  });

  it("sends the message frame with channel, event, data, offset, epoch, ts and from", async () => {
    const a = await client(server, "alice");
    const sub = await a.subscribe("product:2");
    expect(sub.offset).toBe(0); // nobody published yet: reads create no stream
    const agent = await client(server, "ann", "agent");
    await agent.request({
      type: "publish",
      channel: "product:2",
      event: "price",
      data: { amount: 1999 },
    });
    const m = await a.next((f) => f.type === "message");
    expect(m).toMatchObject({
      channel: "product:2",
      event: "price",
      data: { amount: 1999 },
      offset: 1,
      from: { user: "ann" },
    });
    // The first publish creates the stream with its own epoch: offset 1 follows offset 0.
    expect(typeof m.epoch).toBe("string");
    expect(Math.abs((m.ts as number) - Date.now())).toBeLessThan(5000);
  });

  it("delivers only channels a socket subscribed to, and nothing after unsubscribe", async () => {
    const a = await client(server, "alice");
    await a.subscribe("product:3");
    await server.publish("product:4", "x", 1);
    await server.publish("product:3", "x", 2);
    expect((await a.next((f) => f.type === "message")).data).toBe(2);
    expect(await a.request({ type: "unsubscribe", channel: "product:3" })).toMatchObject({
      type: "ok",
    });
    await server.publish("product:3", "x", 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.messages("product:3")).toHaveLength(0);
    expect(await a.request({ type: "unsubscribe", channel: "product:3" })).toMatchObject({
      type: "error",
      code: "not_found",
    });
    expect(server.app.gateway.channels.has("product:3")).toBe(false);
  });

  it("refuses a second subscribe to the same channel", async () => {
    const a = await client(server, "alice");
    await a.subscribe("product:5");
    expect(await a.request({ type: "subscribe", channel: "product:5" })).toMatchObject({
      type: "error",
      code: "conflict",
    });
  });

  it("sends a subscriber its own publication, since a publish after subscribe is ordered behind it", async () => {
    const agent = await client(server, "ann", "agent");
    agent.send({ type: "subscribe", id: 100, channel: "staff:floor" });
    agent.send({ type: "publish", id: 101, channel: "staff:floor", event: "note", data: "hi" });
    expect(await agent.next((f) => f.id === 101)).toMatchObject({ type: "published", offset: 1 });
    expect(await agent.next((f) => f.type === "message")).toMatchObject({ data: "hi", offset: 1 });
  });

  it("fans out ephemeral signals without an offset", async () => {
    const agent = await client(server, "ann", "agent");
    const other = await client(server, "bo", "agent");
    await other.subscribe("staff:floor");
    expect(
      await agent.request({
        type: "signal",
        channel: "staff:floor",
        event: "typing",
        data: { on: true },
      }),
    ).toMatchObject({ type: "ok" });
    const m = await other.next((f) => f.type === "message");
    expect(m).toMatchObject({ event: "typing", data: { on: true }, from: { user: "ann" } });
    expect(m.offset).toBeUndefined();
    const h = await other.request({ type: "history", channel: "staff:floor" });
    expect(h.publications).toEqual([]);
  });
});

describe("several nodes on one broker", () => {
  it("delivers a publish on node B to a subscriber on node A, in order", async () => {
    const hub = new MemoryHub();
    const limits = { ratePerSecond: 100_000, rateBurst: 100_000 };
    const nodeA = await startTestServer({ hub, config: { limits } });
    const nodeB = await startTestServer({ hub, config: { limits } });
    servers.push(nodeA, nodeB);
    const onA = await RawClient.connect(nodeA.wsUrl, await nodeA.token({ sub: "alice" }));
    // tokens are per-node secrets in this harness; the agent connects to B with B's secret
    const onB = await RawClient.connect(
      nodeB.wsUrl,
      await nodeB.token({ sub: "ann", role: "agent" }),
    );
    clients.push(onA, onB);
    await onA.subscribe("product:7");
    for (let i = 0; i < 100; i++)
      onB.send({ type: "publish", id: 1000 + i, channel: "product:7", event: "n", data: i });
    const got = await onA.collect((f) => f.type === "message", 100);
    expect(got.map((f) => f.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(got.map((f) => f.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    hub.close();
  });
});
