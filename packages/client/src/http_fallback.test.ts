import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mintToken } from "../../server/src/auth/tokens.js";
import { type HttpProxy, startHttpProxy } from "../../server/src/test-support/http-proxy.js";
import { startServerProcess } from "../../server/src/test-support/process.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../../server/src/test-support/services.js";
import type { ChannelMessage } from "./subscription_types.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();
const redisUp = await redisAvailable();
const WAIT = { timeoutMs: 20_000 };

async function proxy(targets: string[]): Promise<HttpProxy> {
  const p = await startHttpProxy(targets);
  fx.defer(() => p.close());
  return p;
}

describe("the SDK behind a proxy that refuses WebSocket", () => {
  it("falls back to HTTP by itself: subscribe, publish, presence, rpc, recovery across a restart", async () => {
    const server = await fx.server();
    const net = await proxy([server.url]);
    const ann = await fx.agent(server, "ann", { url: net.wsUrl });
    expect(ann.transport).toBe("http");
    expect(net.refused).toBeGreaterThan(0);
    const bo = await fx.agent(server, "bo"); // a WebSocket client, straight to the server
    expect(bo.transport).toBe("websocket");

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
    expect(Array.isArray(await ann.rpc("chat.list", {}))).toBe(false); // a page object, answered

    // The server restarts; meanwhile another node publishes. The fallback client reconnects
    // through the proxy and recovers every publication.
    const other = await fx.server({ hub: server.hub });
    const disconnected = nextEvent(ann, "disconnected");
    await server.stop();
    expect(await disconnected).toMatchObject({ code: 1012, willReconnect: true });
    for (let i = 0; i < 30; i++) await other.publish("staff:floor", "away", { i });
    const recovered = nextEvent(sub, "recovered");
    await server.restart();
    expect(await recovered).toMatchObject({ publications: 30 });
    await waitFor(() => got.length === 32, WAIT);
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(ann.transport).toBe("http");
  });

  it("goes back to WebSocket once the proxy lets it through, without losing a message", async () => {
    const server = await fx.server();
    const net = await proxy([server.url]);
    const ann = await fx.agent(server, "ann", { url: net.wsUrl, upgradeAfterMs: 300 });
    expect(ann.transport).toBe("http");
    const sub = ann.subscribe("staff:up");
    const got: ChannelMessage[] = [];
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed", WAIT);
    await server.publish("staff:up", "n", 1);
    await waitFor(() => got.length === 1, WAIT);

    net.blockUpgrades(false);
    await waitFor(() => ann.transport === "websocket", WAIT);
    for (let i = 2; i <= 5; i++) await server.publish("staff:up", "n", i);
    await waitFor(() => got.length === 5, WAIT);
    expect(got.map((m) => m.data)).toEqual([1, 2, 3, 4, 5]);
  });

  it("uses only the fallback when told to, and only WebSocket when told to", async () => {
    const server = await fx.server();
    const httpOnly = await fx.agent(server, "ann", { transports: ["http"] });
    expect(httpOnly.transport).toBe("http");
    const net = await proxy([server.url]);
    const wsOnly = fx.client({
      url: net.wsUrl,
      transports: ["websocket"],
      token: () => server.token({ sub: "bo", role: "agent" }),
    });
    wsOnly.connect();
    await waitFor(() => net.refused >= 2, WAIT);
    expect(wsOnly.state).not.toBe("connected");
    expect(() => fx.client({ url: server.wsUrl, token: "x", transports: [] })).toThrow(TypeError);
  });
});

describe.runIf(redisUp)("the fallback on two nodes with Redis, behind a round-robin proxy", () => {
  it("works end to end with every request landing on the next node (no sticky sessions)", async () => {
    const secret = randomBytes(32).toString("hex");
    const prefix = `sbtest:${randomBytes(6).toString("hex")}:`;
    const dataDir = mkdtempSync(join(tmpdir(), "switchboard-fallback-"));
    const env = {
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_MODULES: "none",
      SWITCHBOARD_WEBSOCKET: "off",
    };
    const nodes = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    fx.defer(async () => {
      for (const n of nodes) n.kill();
      await Promise.all(nodes.map((n) => n.exited));
      await dropPrefix(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });
    const net = await proxy(nodes.map((n) => n.url));
    const client = (sub: string) => {
      const c = fx.client({
        url: net.wsUrl,
        token: () => mintToken(secret, { sub, role: "agent", name: sub }),
      });
      c.connect();
      return c;
    };
    const ann = client("ann");
    const bo = client("bo");
    await waitFor(() => ann.state === "connected" && bo.state === "connected", WAIT);
    expect([ann.transport, bo.transport]).toEqual(["http", "http"]);
    const a = ann.subscribe("staff:cluster", { presence: true });
    const b = bo.subscribe("staff:cluster");
    const got: ChannelMessage[] = [];
    a.on("message", (m) => got.push(m));
    await waitFor(() => a.status === "subscribed" && b.status === "subscribed", WAIT);
    await waitFor(() => a.members.length === 2, WAIT);
    for (let i = 0; i < 20; i++) await b.publish("n", i);
    await waitFor(() => got.length === 20, WAIT);
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Both nodes took requests.
    expect(net.forwarded.every((n) => n > 2)).toBe(true);
  }, 300_000);
});
