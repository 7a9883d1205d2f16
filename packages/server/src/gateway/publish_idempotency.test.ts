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

describe("idempotency keys per publisher", () => {
  it("never lets a staff member's key suppress the event a module publishes under it", async () => {
    const sku = "KEYSPACE-1";
    const put = await fetch(`${server.url}/api/inventory/items/${sku}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ onHand: 5 }),
    });
    expect(put.status).toBe(201);
    const viewer = await RawClient.connect(server.wsUrl, await server.token({ sub: "shopper" }));
    const agent = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "mallory", role: "agent" }),
    );
    clients.push(viewer, agent);
    await viewer.subscribe(`product:${sku}`);
    // the module's next stock event will carry this key (its version is predictable)
    const fake = await agent.request({
      type: "publish",
      channel: `product:${sku}`,
      event: "stock",
      data: { sku, available: 99, version: 2 },
      key: `stock:${sku}:v2`,
    });
    expect(fake).toMatchObject({ type: "published" });
    const sold = await fetch(`${server.url}/api/inventory/items/${sku}/adjustments`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ delta: -5, reason: "sale" }),
    });
    expect(sold.status).toBe(200);
    const real = await viewer.next(
      (f) => f.type === "message" && (f.data as { available?: number }).available === 0,
    );
    expect(real).toMatchObject({ event: "stock", data: { sku, available: 0, version: 2 } });
  });

  it("keeps two users' equal keys apart and the API key's apart from both", async () => {
    const ann = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "ann", role: "agent" }),
    );
    const bo = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "bo", role: "agent" }),
    );
    clients.push(ann, bo);
    const frame = { type: "publish", channel: "staff:keys", event: "e", data: 1, key: "k" };
    const first = await ann.request(frame);
    const other = await bo.request(frame);
    const again = await ann.request(frame);
    expect(first.duplicate).toBeUndefined();
    expect(other.duplicate).toBeUndefined();
    expect(other.offset).toBe((first.offset as number) + 1);
    expect(again).toMatchObject({ offset: first.offset, duplicate: true });
    const rest = await fetch(`${server.url}/api/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ channel: "staff:keys", event: "e", data: 1, key: "k" }),
    });
    expect(rest.status).toBe(201);
    // no split of user id and key reaches into another user's space ("ann" + "x:k" vs "ann:x" + "k")
    const tricky = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "ann:x", role: "agent" }),
    );
    clients.push(tricky);
    expect((await ann.request({ ...frame, key: "x:k" })).duplicate).toBeUndefined();
    expect((await tricky.request(frame)).duplicate).toBeUndefined();
  });
});
