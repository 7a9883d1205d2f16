import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  closeAll(clients);
  await server.close();
});

async function connect(sub = "alice"): Promise<RawClient> {
  const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role: "agent" }));
  clients.push(c);
  return c;
}

describe("recovery", () => {
  it("recovers 100 messages published while the client was away: all, in order, no duplicate", async () => {
    const first = await connect();
    await first.subscribe("staff:recovery");
    await server.publish("staff:recovery", "msg", "before");
    // A client's position is the epoch and offset of the last message it got.
    const seen = await first.next((f) => f.type === "message");
    const sub = { epoch: seen.epoch as string };
    first.close();
    for (let i = 0; i < 100; i++) await server.publish("staff:recovery", "msg", i);

    const again = await connect();
    const reply = await again.subscribe("staff:recovery", {
      recover: { epoch: sub.epoch, offset: seen.offset },
    });
    expect(reply.recovered).toBe(true);
    expect(reply.epoch).toBe(sub.epoch);
    expect(reply.offset).toBe(101);
    const pubs = reply.publications as { offset: number; data: unknown }[];
    expect(pubs.map((p) => p.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(pubs.map((p) => p.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // live messages continue right after the recovered ones
    await server.publish("staff:recovery", "msg", "live");
    expect(await again.next((f) => f.type === "message")).toMatchObject({
      offset: 102,
      data: "live",
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(again.messages("staff:recovery")).toHaveLength(0);
  });

  it("recovers across a server restart on the same broker", async () => {
    const c = await connect();
    const sub = await c.subscribe("product:1");
    await server.stop();
    await server.restart();
    for (let i = 0; i < 10; i++) await server.publish("product:1", "stock", i);
    const again = await connect();
    const reply = await again.subscribe("product:1", {
      recover: { epoch: sub.epoch, offset: sub.offset },
    });
    expect(reply.recovered).toBe(true);
    expect((reply.publications as unknown[]).length).toBe(10);
  });

  it("says recovered: false with the current position when the epoch is wrong", async () => {
    await server.publish("product:2", "x", 1);
    const c = await connect();
    const reply = await c.subscribe("product:2", { recover: { epoch: "stale-epoch", offset: 1 } });
    expect(reply).toMatchObject({ recovered: false, offset: 1, publications: [] });
    expect(reply.epoch).not.toBe("stale-epoch");
  });

  it("says recovered: false when history overflowed while away", async () => {
    const c = await connect();
    const sub = await c.subscribe("product:3");
    c.close();
    // product:* keeps 100 publications; 150 overflow it
    for (let i = 0; i < 150; i++) await server.publish("product:3", "x", i);
    const again = await connect();
    const reply = await again.subscribe("product:3", {
      recover: { epoch: sub.epoch, offset: sub.offset },
    });
    expect(reply).toMatchObject({ recovered: false, offset: 150, publications: [] });
    await server.publish("product:3", "x", "next");
    expect(await again.next((f) => f.type === "message")).toMatchObject({ offset: 151 });
  });

  it("recovers with nothing missed", async () => {
    await server.publish("product:4", "x", 1);
    const c = await connect();
    const sub = await c.subscribe("product:4");
    const again = await connect();
    const reply = await again.subscribe("product:4", {
      recover: { epoch: sub.epoch, offset: sub.offset },
    });
    expect(reply).toMatchObject({ recovered: true, publications: [], offset: 1 });
  });

  it("delivers a publication racing a recovering subscribe exactly once", async () => {
    for (let i = 0; i < 20; i++) await server.publish("product:5", "x", i);
    const { epoch } = await server.app.broker.position("product:5");
    const c = await connect();
    // publish while the subscribe is being processed
    const subscribing = c.subscribe("product:5", { recover: { epoch, offset: 5 } });
    const racing = Array.from({ length: 20 }, (_, i) => server.publish("product:5", "x", 20 + i));
    const reply = await subscribing;
    await Promise.all(racing);
    const recovered = (reply.publications as { offset: number }[]).map((p) => p.offset);
    const live = (await c.collect((f) => f.type === "message", 35 - recovered.length)).map(
      (f) => f.offset as number,
    );
    expect([...recovered, ...live]).toEqual(Array.from({ length: 35 }, (_, i) => i + 6));
  });

  it("answers history queries with since and limit", async () => {
    for (let i = 0; i < 30; i++) await server.publish("product:6", "x", i);
    const c = await connect();
    const latest = await c.request({ type: "history", channel: "product:6", limit: 5 });
    expect((latest.publications as { offset: number }[]).map((p) => p.offset)).toEqual([
      26, 27, 28, 29, 30,
    ]);
    const since = await c.request({
      type: "history",
      channel: "product:6",
      since: { epoch: latest.epoch, offset: 27 },
    });
    expect(since).toMatchObject({ complete: true, offset: 30 });
    expect((since.publications as unknown[]).length).toBe(3);
  });
});
