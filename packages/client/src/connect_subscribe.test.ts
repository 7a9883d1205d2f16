import { describe, expect, it } from "vitest";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

describe("connect and subscribe", () => {
  it("connects with a token in the first frame and reports the user", async () => {
    const server = await fx.server();
    const states: string[] = [];
    const client = fx.client({
      url: server.wsUrl,
      token: await server.token({ sub: "alice", role: "agent", name: "Alice" }),
    });
    client.on("state", (s) => states.push(s));
    client.connect();
    await waitFor(() => client.state === "connected");
    expect(states).toEqual(["connecting", "connected"]);
    expect(client.user).toMatchObject({ id: "alice", name: "Alice", role: "agent" });
    expect(client.connection?.ping).toBeGreaterThan(0);
  });

  it("delivers server publications to a subscriber in order", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    const got: ChannelMessage[] = [];
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed");
    for (let i = 1; i <= 20; i++) await server.publish("staff:floor", "tick", { i });
    await waitFor(() => got.length === 20);
    expect(got.map((m) => (m.data as { i: number }).i)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(sub.position).toEqual({ epoch: got[0]?.epoch, offset: 20 });
  });

  it("two subscribers see the same publications in the same order", async () => {
    const server = await fx.server();
    const [a, b] = await Promise.all([fx.agent(server, "alice"), fx.agent(server, "bob")]);
    const seen = { a: [] as number[], b: [] as number[] };
    const subA = a.subscribe("staff:orders");
    const subB = b.subscribe("staff:orders");
    subA.on("message", (m) => seen.a.push(m.offset ?? -1));
    subB.on("message", (m) => seen.b.push(m.offset ?? -1));
    await waitFor(() => subA.status === "subscribed" && subB.status === "subscribed");
    // Publishers race each other; the server's order is the one both must see.
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => a.publish("staff:orders", "a", { i })),
      ...Array.from({ length: 30 }, (_, i) => b.publish("staff:orders", "b", { i })),
      ...Array.from({ length: 30 }, (_, i) => server.publish("staff:orders", "s", { i })),
    ]);
    await waitFor(() => seen.a.length === 90 && seen.b.length === 90);
    expect(seen.a).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    expect(seen.b).toEqual(seen.a);
  });

  it("publish resolves with the offset the server assigned", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const first = await client.publish("staff:floor", "note", { text: "hi" });
    const second = await client.publish("staff:floor", "note", { text: "again" });
    expect(second.offset).toBe(first.offset + 1);
    expect(second.epoch).toBe(first.epoch);
  });

  it("rejects a forbidden subscription with a SwitchboardError and ends it", async () => {
    const server = await fx.server();
    const client = fx.client({
      url: server.wsUrl,
      token: () => server.token({ sub: "carol", role: "customer" }),
    });
    client.connect();
    const sub = client.subscribe("staff:floor");
    const error = await new Promise<Error>((resolve) => sub.on("error", resolve));
    expect(error).toMatchObject({ name: "SwitchboardError", code: "forbidden" });
    await waitFor(() => sub.status === "unsubscribed");
    expect(client.getSubscription("staff:floor")).toBeUndefined();
  });

  it("rpc and history round-trip over the socket", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    await server.publish("staff:floor", "a", 1);
    await server.publish("staff:floor", "b", 2);
    const history = await client.history("staff:floor", { limit: 10 });
    expect(history.publications.map((p) => p.event)).toEqual(["a", "b"]);
    await expect(client.rpc("no.such.method", {})).rejects.toMatchObject({ code: "not_found" });
  });
});
