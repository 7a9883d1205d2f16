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

describe("idempotent publish", () => {
  it("returns the first offset for a repeated key and delivers the message once", async () => {
    const agent = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "ann", role: "agent" }),
    );
    const watcher = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "bo", role: "agent" }),
    );
    clients.push(agent, watcher);
    await watcher.subscribe("staff:floor");
    const first = await agent.request({
      type: "publish",
      channel: "staff:floor",
      event: "e",
      data: 1,
      key: "op-1",
    });
    const retry = await agent.request({
      type: "publish",
      channel: "staff:floor",
      event: "e",
      data: 1,
      key: "op-1",
    });
    expect(first).toMatchObject({ type: "published", offset: 1 });
    expect(first.duplicate).toBeUndefined();
    expect(retry).toMatchObject({
      type: "published",
      offset: 1,
      duplicate: true,
      epoch: first.epoch,
    });
    const next = await agent.request({
      type: "publish",
      channel: "staff:floor",
      event: "e",
      data: 2,
      key: "op-2",
    });
    expect(next.offset).toBe(2);
    await watcher.collect((f) => f.type === "message", 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(watcher.messages("staff:floor")).toHaveLength(0);
  });

  it("dedupes a retry that arrives over a different connection", async () => {
    const a = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "ann", role: "agent" }),
    );
    const b = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "ann", role: "agent" }),
    );
    clients.push(a, b);
    const [x, y] = await Promise.all([
      a.request({ type: "publish", channel: "staff:floor", event: "e", data: 1, key: "same" }),
      b.request({ type: "publish", channel: "staff:floor", event: "e", data: 1, key: "same" }),
    ]);
    expect(x.offset).toBe(y.offset);
    expect([x.duplicate, y.duplicate].filter(Boolean)).toHaveLength(1);
  });
});
