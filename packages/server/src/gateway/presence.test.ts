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

async function agent(sub: string, name?: string): Promise<RawClient> {
  const c = await RawClient.connect(
    server.wsUrl,
    await server.token({ sub, role: "agent", ...(name && { name }) }),
  );
  clients.push(c);
  return c;
}

describe("presence", () => {
  it("sends join when a user arrives and leave when their last connection goes", async () => {
    const ann = await agent("ann", "Ann");
    await ann.subscribe("staff:floor");
    const bo1 = await agent("bo", "Bo");
    await bo1.subscribe("staff:floor");
    expect(await ann.next((f) => f.type === "join")).toMatchObject({
      channel: "staff:floor",
      member: { user: "bo", name: "Bo", role: "agent" },
    });

    const bo2 = await agent("bo", "Bo");
    await bo2.subscribe("staff:floor");
    const p = await ann.request({ type: "presence", channel: "staff:floor" });
    expect(p.count).toBe(2);
    expect(p.members).toContainEqual({ user: "bo", name: "Bo", role: "agent", connections: 2 });

    bo1.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(ann.frames.some((f) => f.type === "leave")).toBe(false); // bo is still here on bo2
    await bo2.request({ type: "unsubscribe", channel: "staff:floor" });
    expect(await ann.next((f) => f.type === "leave")).toMatchObject({ member: { user: "bo" } });
    expect((await ann.request({ type: "presence", channel: "staff:floor" })).count).toBe(1);
  });

  it("counts product viewers without sending join/leave to every viewer", async () => {
    const viewers: RawClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(server.wsUrl, await server.token({ sub: `v${i}` }));
      clients.push(c);
      viewers.push(c);
      await c.subscribe("product:1");
    }
    const p = await viewers[0]!.request({ type: "presence", channel: "product:1" });
    expect(p.count).toBe(5);
    expect(viewers[0]!.frames.filter((f) => f.type === "join")).toHaveLength(0);
    viewers[4]!.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await viewers[0]!.request({ type: "presence", channel: "product:1" })).count).toBe(4);
  });

  it("lets a subscriber opt out of being counted", async () => {
    const staff = await agent("ann");
    await staff.subscribe("product:2", { presence: false });
    expect((await staff.request({ type: "presence", channel: "product:2" })).count).toBe(0);
  });

  it("refuses presence on a namespace without it and on a forbidden channel", async () => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    clients.push(c);
    expect(await c.request({ type: "presence", channel: "user:alice" })).toMatchObject({
      code: "bad_request",
    });
    expect(await c.request({ type: "presence", channel: "staff:floor" })).toMatchObject({
      code: "forbidden",
    });
  });

  it("removes presence of a connection that drops without unsubscribing", async () => {
    const ann = await agent("ann");
    await ann.subscribe("staff:desk");
    const bo = await agent("bo");
    await bo.subscribe("staff:desk");
    bo.socket.terminate();
    expect(await ann.next((f) => f.type === "leave")).toMatchObject({ member: { user: "bo" } });
  });
});
