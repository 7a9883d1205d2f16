import { describe, expect, it } from "vitest";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";
import { flakyNetwork } from "./test-support/proxy.js";
import { silentServer } from "./test-support/silent_server.js";

const fx = setupFixture();

/** A promise's outcome, observed from the start (a rejection during an await is not "unhandled"). */
function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

async function listener(server: Parameters<typeof fx.agent>[0]): Promise<ChannelMessage[]> {
  const bob = await fx.agent(server, "bob");
  const sub = bob.subscribe("staff:floor");
  await waitFor(() => sub.status === "subscribed");
  const seen: ChannelMessage[] = [];
  sub.on("message", (m) => seen.push(m));
  return seen;
}

describe("close() drains before it closes", () => {
  it("sends a publish issued while still connecting, then closes with 1000", async () => {
    const server = await fx.server();
    const seen = await listener(server);
    const client = fx.client({
      url: server.wsUrl,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    const disconnects: { code: number }[] = [];
    client.on("disconnected", (d) => disconnects.push(d));
    client.connect();
    // What a script does when its input ends: publish the last line, close at once.
    const published = client.publish("staff:floor", "note", "last line");
    await client.close();
    await expect(published).resolves.toMatchObject({ offset: 1 });
    expect(client.state).toBe("closed");
    expect(disconnects).toEqual([{ code: 1000, reason: "client closed", willReconnect: false }]);
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ event: "note", data: "last line" });
  });

  it("sends the close frame with 1000 and waits for the server's answer", async () => {
    const server = await silentServer(fx);
    const client = fx.client({ url: server.url, token: "t" });
    client.connect();
    await waitFor(() => client.state === "connected");
    await client.close();
    // Resolved after the closing handshake, so the server has seen it by now.
    expect(server.closes[0]).toEqual({ code: 1000, reason: "client closed" });
  });

  it("waits out a server restart for a queued publish, reconnecting to send it", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    await server.stop();
    await waitFor(() => client.state !== "connected");
    const published = client.publish("staff:floor", "note", "queued");
    const closing = client.close({ timeoutMs: 15_000 });
    await server.restart();
    await closing;
    await expect(published).resolves.toMatchObject({ offset: 1 });
    expect((await (await fx.agent(server, "carol")).history("staff:floor")).publications).toEqual([
      expect.objectContaining({ data: "queued" }),
    ]);
  });

  it("gives up after the timeout: what is left is rejected and the socket closed", async () => {
    const server = await fx.server();
    const network = await flakyNetwork(server.port);
    fx.defer(() => network.close());
    const client = fx.client({
      url: network.url,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    client.connect();
    await waitFor(() => client.state === "connected");
    network.muteReplies(true); // the publish arrives; its reply never does
    const outcome = settle(client.publish("staff:floor", "note", "unanswered"));
    const started = Date.now();
    await client.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // It was sent: the server may have applied it.
    expect(await outcome).toMatchObject({
      error: {
        code: "unavailable",
        message: expect.stringMatching(/^client closed before the reply; .* may or may not/),
        details: { reason: "closed" },
      },
    });
    expect(client.state).toBe("closed");
  });

  it("close({ force: true }) rejects what is waiting at once, also during a drain", async () => {
    const server = await fx.server();
    const network = await flakyNetwork(server.port);
    fx.defer(() => network.close());
    const client = fx.client({
      url: network.url,
      token: () => server.token({ sub: "alice", role: "agent" }),
      closeTimeoutMs: 60_000,
    });
    client.connect();
    await waitFor(() => client.state === "connected");
    network.muteReplies(true);
    const first = settle(client.publish("staff:floor", "note", 1));
    const draining = client.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(client.state).toBe("connected"); // still waiting for the reply
    await client.close({ force: true });
    await draining;
    expect(await first).toMatchObject({ error: { details: { reason: "closed" } } });
    expect(client.state).toBe("closed");
  });

  it("refuses new commands while it drains", async () => {
    const server = await fx.server();
    const network = await flakyNetwork(server.port);
    fx.defer(() => network.close());
    const client = fx.client({
      url: network.url,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    client.connect();
    await waitFor(() => client.state === "connected");
    network.muteReplies(true);
    const first = settle(client.publish("staff:floor", "note", 1));
    const closing = client.close({ timeoutMs: 10_000 });
    await expect(client.publish("staff:floor", "note", 2)).rejects.toMatchObject({
      code: "unavailable",
      message: "client is closing",
    });
    network.muteReplies(false);
    network.cut(); // the reply was lost: the keyless publish in flight cannot be resent
    await closing;
    expect(await first).toMatchObject({ error: { details: { reason: "connection_lost" } } });
  });

  it("is called off by connect(), as when React remounts a provider", async () => {
    const server = await fx.server();
    const network = await flakyNetwork(server.port);
    fx.defer(() => network.close());
    const client = fx.client({
      url: network.url,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    client.connect();
    await waitFor(() => client.state === "connected");
    network.muteReplies(true);
    const published = client.publish("staff:floor", "note", 1, { key: "k1" });
    const closing = client.close({ timeoutMs: 10_000 });
    client.connect();
    await closing; // resolves: there is nothing left to close
    expect(client.state).toBe("connected");
    network.muteReplies(false);
    network.cut(); // the keyed publish is resent on the next connection and answered there
    await expect(published).resolves.toMatchObject({ offset: 1 });
    expect(client.state).toBe("connected");
    await expect(client.publish("staff:floor", "note", 2)).resolves.toMatchObject({ offset: 2 });
  });

  it("closes at once when nothing is waiting, or nothing could ever be sent", async () => {
    const server = await fx.server();
    const idle = await fx.agent(server, "alice");
    idle.close();
    expect(idle.state).toBe("closed"); // synchronously
    const never = fx.client({ url: server.wsUrl, token: "x" }); // connect() never called
    const queued = settle(never.publish("staff:floor", "note", 1));
    await never.close();
    expect(await queued).toMatchObject({ error: { message: "client closed" } });
  });
});
