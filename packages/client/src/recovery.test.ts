import { describe, expect, it } from "vitest";
import type { ChannelMessage, SubscriptionEvents } from "./subscription_types.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

const offsets = (messages: ChannelMessage[]) => messages.map((m) => m.offset);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("recovery after a reconnect", () => {
  it("recovers every publication made while the server was restarting: in order, no gap, no duplicate", async () => {
    const server = await fx.server();
    // A second node on the same broker state publishes while the first one is down.
    const other = await fx.server({ hub: server.hub });
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    const got: ChannelMessage[] = [];
    const gaps: SubscriptionEvents["gap"][] = [];
    sub.on("message", (m) => got.push(m));
    sub.on("gap", (g) => gaps.push(g));
    await waitFor(() => sub.status === "subscribed");
    for (let i = 1; i <= 5; i++) await server.publish("staff:floor", "before", { i });
    await waitFor(() => got.length === 5);

    const disconnected = nextEvent(client, "disconnected");
    await server.stop();
    expect(await disconnected).toMatchObject({ code: 1012, willReconnect: true });
    for (let i = 1; i <= 100; i++) await other.publish("staff:floor", "while-away", { i });
    const recovered = nextEvent(sub, "recovered");
    await server.restart();
    expect(await recovered).toMatchObject({ publications: 100 });
    await server.publish("staff:floor", "after", {});
    await waitFor(() => got.length === 106);
    expect(offsets(got)).toEqual(range(1, 106));
    expect(got.slice(5, 105).map((m) => (m.data as { i: number }).i)).toEqual(range(1, 100));
    expect(gaps).toEqual([]);
    expect(sub.position?.offset).toBe(106);
  });

  it("delivers recovered publications before any live one and drops duplicates", async () => {
    const server = await fx.server();
    const other = await fx.server({ hub: server.hub });
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    const got: ChannelMessage[] = [];
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed");
    await server.stop();
    await waitFor(() => client.state !== "connected");
    for (let i = 1; i <= 50; i++) await other.publish("staff:floor", "away", { i });
    await server.restart();
    // Keep publishing while the client resubscribes so live frames race the recovery reply.
    for (let i = 1; i <= 50; i++) await other.publish("staff:floor", "live", { i });
    await waitFor(() => got.length === 100);
    await new Promise((r) => setTimeout(r, 50));
    expect(offsets(got)).toEqual(range(1, 100));
  });

  it("emits gap (not recovered) when the saved epoch no longer exists", async () => {
    const server = await fx.server();
    await server.publish("staff:floor", "x", 1);
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor", { recover: { epoch: "stale-epoch", offset: 7 } });
    const gap = await nextEvent(sub, "gap");
    expect(gap.previous).toEqual({ epoch: "stale-epoch", offset: 7 });
    expect(gap.position.offset).toBe(1);
    expect(gap.position.epoch).not.toBe("stale-epoch");
    expect(sub.position).toEqual(gap.position);
  });

  it("emits gap when more was published while away than history keeps", async () => {
    const server = await fx.server();
    const other = await fx.server({ hub: server.hub });
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    await waitFor(() => sub.status === "subscribed");
    await server.publish("staff:floor", "first", 0);
    await waitFor(() => sub.position?.offset === 1);
    await server.stop();
    // staff:* keeps 200 publications.
    for (let i = 1; i <= 250; i++) await other.publish("staff:floor", "flood", { i });
    const gap = nextEvent(sub, "gap");
    await server.restart();
    expect((await gap).position.offset).toBe(251);
  });

  it("resubscribes by itself when the server reports the stream was lost, and reports the gap", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    await waitFor(() => sub.status === "subscribed");
    await server.publish("staff:floor", "a", 1);
    await waitFor(() => sub.position?.offset === 1);
    const before = sub.position;
    // Losing the stream (a broker restart, an evicted key) starts a new epoch.
    server.hub.streams.delete("staff:floor");
    const gap = nextEvent(sub, "gap");
    await server.publish("staff:floor", "b", 2);
    expect((await gap).previous).toEqual(before);
    expect(sub.status).toBe("subscribed");
    const next = nextEvent(sub, "message");
    await server.publish("staff:floor", "c", 3);
    expect(await next).toMatchObject({ event: "c", offset: 2 });
  });

  it("resumes from a position saved by an earlier client", async () => {
    const server = await fx.server();
    const first = await fx.agent(server, "alice");
    const sub1 = first.subscribe("staff:floor");
    await waitFor(() => sub1.status === "subscribed");
    await server.publish("staff:floor", "seen", 1);
    await waitFor(() => sub1.position?.offset === 1);
    const saved = sub1.position;
    first.close();
    await server.publish("staff:floor", "missed", 2);
    const second = await fx.agent(server, "alice");
    const sub2 = second.subscribe("staff:floor", saved ? { recover: saved } : {});
    const message = await nextEvent(sub2, "message");
    expect(message).toMatchObject({ event: "missed", offset: 2 });
  });
});
