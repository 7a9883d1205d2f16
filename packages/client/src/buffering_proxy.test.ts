import { describe, expect, it } from "vitest";
import { type HttpProxy, startHttpProxy } from "../../server/src/test-support/http-proxy.js";
import type { Switchboard } from "./client.js";
import type { ChannelMessage } from "./subscription_types.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();
const WAIT = { timeoutMs: 30_000 };

async function proxy(targets: string[]): Promise<HttpProxy> {
  // Refuses WebSocket, and holds every response back until it ends: an event stream never
  // gets through it.
  const p = await startHttpProxy(targets, { buffer: true });
  fx.defer(() => p.close());
  return p;
}

describe("the SDK behind a proxy that refuses WebSocket and buffers responses", () => {
  it("falls back to long polling by itself: subscribe, publish, presence, recovery across a restart", async () => {
    const server = await fx.server();
    const net = await proxy([server.url]);
    const transports: string[] = [];
    const ann: Switchboard = fx.client({
      url: net.wsUrl,
      // The event stream is given this long to send its first event before polling is tried.
      commandTimeoutMs: 2000,
      token: () => server.token({ sub: "ann", role: "agent", name: "ann" }),
      logger: (entry) => {
        if (entry.kind === "transport") transports.push(entry.message);
      },
    });
    ann.connect();
    await waitFor(() => ann.state === "connected", WAIT);
    expect(ann.transport).toBe("longpoll");
    expect(net.refused).toBeGreaterThan(0);
    expect(transports.join("\n")).toContain("http did not get through; next: longpoll");
    const bo = await fx.agent(server, "bo");

    const sub = ann.subscribe("staff:floor", { presence: true });
    const got: ChannelMessage[] = [];
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed", WAIT);
    const boSub = bo.subscribe("staff:floor");
    await waitFor(() => boSub.status === "subscribed", WAIT);
    await waitFor(() => sub.members.length === 2, WAIT);
    expect((await sub.publish("note", { from: "ann" })).offset).toBe(1);
    await boSub.publish("note", { from: "bo" });
    await waitFor(() => got.length === 2, WAIT);
    expect(got.map((m) => m.data)).toEqual([{ from: "ann" }, { from: "bo" }]);

    // A burst arrives in order, over several polls.
    for (let i = 0; i < 50; i++) await server.publish("staff:floor", "burst", { i });
    await waitFor(() => got.length === 52, WAIT);
    expect(got.slice(2).map((m) => (m.data as { i: number }).i)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );

    // The server restarts; meanwhile another node publishes; the client polls again and recovers.
    const other = await fx.server({ hub: server.hub });
    const disconnected = nextEvent(ann, "disconnected");
    await server.stop();
    expect(await disconnected).toMatchObject({ code: 1012, willReconnect: true });
    for (let i = 0; i < 30; i++) await other.publish("staff:floor", "away", { i });
    const recovered = nextEvent(sub, "recovered");
    await server.restart();
    expect(await recovered).toMatchObject({ publications: 30 });
    await waitFor(() => got.length === 82, WAIT);
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 82 }, (_, i) => i + 1));
    expect(ann.transport).toBe("longpoll");
  }, 120_000);

  it("uses long polling only when told to, straight to the server", async () => {
    const server = await fx.server();
    const ann = await fx.agent(server, "ann", { transports: ["longpoll"] });
    expect(ann.transport).toBe("longpoll");
    const sub = ann.subscribe("staff:only");
    const got: ChannelMessage[] = [];
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed", WAIT);
    await server.publish("staff:only", "n", 1);
    await waitFor(() => got.length === 1, WAIT);
    await ann.close();
    await waitFor(() => server.app.gateway.sessions.size === 0, WAIT);
  });
});
