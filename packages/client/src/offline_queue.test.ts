import { describe, expect, it } from "vitest";
import type { Command } from "./commands.js";
import type { SwitchboardError } from "./errors.js";
import { Outbox } from "./outbox.js";
import { CommandPipeline } from "./pipeline.js";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";
import { flakyNetwork } from "./test-support/proxy.js";

const fx = setupFixture();

function command(
  name: string,
  log: string[],
  over: Partial<Pick<Command, "lane" | "resendable">> = {},
): Command {
  return {
    body: { type: "signal", channel: "staff:x", event: name, data: null },
    lane: "user",
    resendable: false,
    resolve: () => log.push(`ok:${name}`),
    reject: (e: SwitchboardError) => log.push(`${e.code}:${e.message}:${name}`),
    ...over,
  };
}

describe("offline queue bounds", () => {
  it("rejects the oldest command with unavailable 'queue full' when full", () => {
    const log: string[] = [];
    const outbox = new Outbox(3);
    for (const name of ["a", "b", "c", "d", "e"]) outbox.push(command(name, log));
    expect(log).toEqual(["unavailable:queue full:a", "unavailable:queue full:b"]);
    expect([outbox.shift(), outbox.shift(), outbox.shift()].map((c) => c?.body)).toMatchObject([
      { event: "c" },
      { event: "d" },
      { event: "e" },
    ]);
  });

  it("does not count the SDK's own commands and sends them first", () => {
    const log: string[] = [];
    const outbox = new Outbox(1);
    outbox.push(command("user", log));
    outbox.push(command("sub1", log, { lane: "control" }));
    outbox.push(command("sub2", log, { lane: "control" }));
    expect(log).toEqual([]);
    expect(outbox.shift()?.body).toMatchObject({ event: "sub1" });
    expect(outbox.shift()?.body).toMatchObject({ event: "sub2" });
    expect(outbox.shift()?.body).toMatchObject({ event: "user" });
  });

  it("on a lost connection resends only what cannot be applied twice, ahead of newer commands", () => {
    const log: string[] = [];
    const written: string[] = [];
    const pipeline = new CommandPipeline(10, 0);
    const limits = { maxFrameBytes: 1, maxSubscriptions: 1, ratePerSecond: 1000, rateBurst: 1000 };
    pipeline.open((frame) => written.push((frame as { event: string }).event), limits);
    pipeline.enqueue(command("keyed", log, { resendable: true }));
    pipeline.enqueue(command("unkeyed", log));
    pipeline.enqueue(command("subscribe", log, { lane: "control" }));
    pipeline.lost();
    pipeline.enqueue(command("later", log));
    expect(log).toEqual([
      "unavailable:connection lost before the reply; the command may or may not have been applied:unkeyed",
      "unavailable:connection lost before the reply:subscribe",
    ]);
    pipeline.open((frame) => written.push((frame as { event: string }).event), limits);
    expect(written).toEqual(["keyed", "unkeyed", "subscribe", "keyed", "later"]);
  });
});

describe("offline queue against a real server", () => {
  it("queues commands issued before connect() and sends them once connected", async () => {
    const server = await fx.server();
    const client = fx.client({
      url: server.wsUrl,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    const published = client.publish("staff:floor", "early", { n: 1 });
    const history = client.history("staff:floor");
    expect(client.queued).toBe(2);
    client.connect();
    expect(await published).toMatchObject({ offset: 1, duplicate: false });
    expect((await history).publications.map((p) => p.event)).toEqual(["early"]);
    expect(client.queued).toBe(0);
  });

  it("flushes publishes made while disconnected after the reconnect, after resubscribing", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    const got: ChannelMessage[] = [];
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed");
    await server.stop();
    await waitFor(() => client.state !== "connected");
    const pending = Array.from({ length: 10 }, (_, i) =>
      client.publish("staff:floor", "offline", { i }),
    );
    expect(client.queued).toBe(10);
    await server.restart();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    await waitFor(() => got.length === 10);
    expect(got.map((m) => (m.data as { i: number }).i)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it("rejects the oldest queued publish when the queue is full", async () => {
    const server = await fx.server();
    const client = fx.client({
      url: server.wsUrl,
      token: () => server.token({ sub: "alice", role: "agent" }),
      queueLimit: 2,
    });
    const first = client.publish("staff:floor", "1", null);
    const second = client.publish("staff:floor", "2", null);
    const third = client.publish("staff:floor", "3", null);
    await expect(first).rejects.toMatchObject({ code: "unavailable", message: "queue full" });
    client.connect();
    await expect(second).resolves.toMatchObject({ offset: 1 });
    await expect(third).resolves.toMatchObject({ offset: 2 });
  });

  it("rejects queued commands when the client is closed", async () => {
    const server = await fx.server();
    const client = fx.client({ url: server.wsUrl, token: "x" });
    const queued = client.rpc("anything", {});
    client.close();
    await expect(queued).rejects.toMatchObject({ code: "unavailable", message: "client closed" });
  });

  it("paces a large flush under the server's rate limit instead of tripping it", async () => {
    const server = await fx.server({ config: { limits: { ratePerSecond: 40, rateBurst: 10 } } });
    const client = fx.client({
      url: server.wsUrl,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    const all = Array.from({ length: 40 }, (_, i) => client.publish("staff:floor", "burst", { i }));
    client.connect();
    const results = await Promise.all(all);
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(client.state).toBe("connected");
  });
});

describe("idempotent publish", () => {
  it("a repeated key returns the first offset and publishes nothing", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const first = await client.publish("staff:floor", "order", { n: 1 }, { key: "order-42" });
    const again = await client.publish("staff:floor", "order", { n: 1 }, { key: "order-42" });
    expect(again).toEqual({ ...first, duplicate: true });
    const history = await client.history("staff:floor");
    expect(history.publications).toHaveLength(1);
  });

  it("publishes queued offline are applied once even when their replies are lost", async () => {
    const server = await fx.server();
    const network = await flakyNetwork(server.port);
    fx.defer(() => network.close());
    const client = fx.client({
      url: network.url,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    client.connect();
    await waitFor(() => client.state === "connected");
    network.refuse(true);
    network.cut();
    await waitFor(() => client.state !== "connected");
    const pending = Array.from({ length: 20 }, (_, i) => client.publish("staff:floor", "q", { i }));
    // Back online, but every reply after `connected` is lost: the server applies the queue
    // and the client never hears about it.
    const off = client.on("connected", () => {
      off();
      network.muteReplies(true);
    });
    network.refuse(false);
    await waitFor(() => server.hub.streams.get("staff:floor")?.offset === 20);
    network.cut();
    network.muteReplies(false);
    const results = await Promise.all(pending);
    // Resent after the reconnect with the keys the SDK gave them: answered, not re-applied.
    expect(results.every((r) => r.duplicate)).toBe(true);
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const history = await client.history("staff:floor", { limit: 1000 });
    expect(history.publications).toHaveLength(20);
  });
});
