import { CloseCode } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

afterEach(async () => {
  closeAll(clients);
  await server.close();
});

describe("heartbeats", () => {
  it("pings every interval and keeps a client that answers", async () => {
    server = await startTestServer({ pingIntervalSeconds: 1, config: { pingGraceMs: 500 } });
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    clients.push(c);
    await c.next((f) => f.type === "ping", 3000);
    await c.next((f) => f.type === "ping", 3000);
    await new Promise((r) => setTimeout(r, 600));
    expect(c.socket.readyState).toBe(c.socket.OPEN);
  });

  it("closes 4408 when pongs stop", async () => {
    server = await startTestServer({ pingIntervalSeconds: 1, config: { pingGraceMs: 500 } });
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    clients.push(c);
    c.autoPong = false;
    const closed = await c.closed;
    expect(closed.code).toBe(CloseCode.PingTimeout);
    expect(c.frames.find((f) => f.type === "disconnect")).toMatchObject({
      code: CloseCode.PingTimeout,
      reconnect: true,
    });
  });
});

describe("token expiry", () => {
  it("asks for a refresh 30 s before exp and keeps a client that refreshes", async () => {
    server = await startTestServer();
    const c = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "alice" }, { expiresInSeconds: 31 }),
    );
    clients.push(c);
    const ask = await c.next((f) => f.type === "refresh", 3000);
    expect(ask.exp).toBeGreaterThan(Date.now() / 1000);
    const fresh = await server.token({ sub: "alice" }, { expiresInSeconds: 3600 });
    expect(await c.request({ type: "refresh", token: fresh })).toMatchObject({ type: "ok" });
  });

  it("refuses a refresh token for another user", async () => {
    server = await startTestServer();
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    clients.push(c);
    const other = await server.token({ sub: "mallory", role: "admin" });
    expect(await c.request({ type: "refresh", token: other })).toMatchObject({
      type: "error",
      code: "forbidden",
    });
  });

  it("closes 4403 when the token expires without a refresh", async () => {
    server = await startTestServer();
    const c = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "alice" }, { expiresInSeconds: 1 }),
    );
    clients.push(c);
    const closed = await c.closed;
    expect(closed.code).toBe(CloseCode.TokenExpired);
    expect(c.frames.find((f) => f.type === "disconnect")).toMatchObject({
      code: CloseCode.TokenExpired,
      reconnect: true,
    });
  });

  it("unsubscribes channels a refreshed token no longer allows", async () => {
    server = await startTestServer();
    const c = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "alice", caps: { "order:1": ["subscribe"] } }),
    );
    clients.push(c);
    await c.subscribe("order:1");
    await c.subscribe("product:1");
    await c.request({ type: "refresh", token: await server.token({ sub: "alice" }) });
    expect(await c.next((f) => f.type === "unsubscribed")).toMatchObject({
      channel: "order:1",
      code: "revoked",
    });
    await server.publish("order:1", "status", "x");
    await server.publish("product:1", "stock", 1);
    expect(await c.next((f) => f.type === "message")).toMatchObject({ channel: "product:1" });
  });
});
