import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

afterEach(async () => {
  closeAll(clients);
  await server?.close();
});

describe("channel names cost nothing until published on", () => {
  it("creates no stream for history, subscribe, recover or presence on new names", async () => {
    server = await startTestServer();
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "walker" }));
    clients.push(c);
    for (let i = 0; i < 20; i++) {
      const name = `product:walk-${i}`;
      expect(await c.request({ type: "history", channel: name, limit: 10 })).toMatchObject({
        type: "history",
        offset: 0,
        publications: [],
      });
      await c.subscribe(name, { recover: { epoch: "abcdef", offset: 0 } });
      await c.request({ type: "presence", channel: name });
      await c.request({ type: "unsubscribe", channel: name });
    }
    expect(server.hub.streams.size).toBe(0);
    // A publish creates the stream; a subscriber from before follows it from offset 1.
    await c.subscribe("product:walk-0");
    await server.publish("product:walk-0", "stock", { n: 1 });
    expect(await c.next((f) => f.type === "message")).toMatchObject({ offset: 1 });
    expect(server.hub.streams.size).toBe(1);
  });

  it("caps the new channels one connection may name per minute", async () => {
    server = await startTestServer({ config: { limits: { maxNewChannelsPerMinute: 5 } } });
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "walker" }));
    clients.push(c);
    await c.subscribe("product:held");
    for (let i = 0; i < 4; i++)
      expect(
        await c.request({ type: "history", channel: `product:n-${i}`, limit: 1 }),
      ).toMatchObject({ type: "history" });
    const refused = await c.request({ type: "history", channel: "product:n-9", limit: 1 });
    expect(refused).toMatchObject({ type: "error", code: "rate_limited" });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(await c.request({ type: "subscribe", channel: "product:n-10" })).toMatchObject({
      type: "error",
      code: "rate_limited",
    });
    // A channel it holds is not new.
    expect(await c.request({ type: "history", channel: "product:held", limit: 1 })).toMatchObject({
      type: "history",
    });
  });
});
