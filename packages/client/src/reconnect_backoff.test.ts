import { CloseCode, PROTOCOL_NAME } from "@switchboard/protocol";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { backoffCeiling, fullJitterDelay } from "./backoff.js";
import type { DisconnectInfo } from "./connection_types.js";
import { decideAfterClose, type SocketEnd } from "./reconnect_policy.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();
const opts = { baseMs: 250, capMs: 30_000 };

describe("backoff math", () => {
  it("doubles the ceiling per attempt up to the cap", () => {
    expect([0, 1, 2, 3, 4].map((a) => backoffCeiling(a, opts))).toEqual([
      250, 500, 1000, 2000, 4000,
    ]);
    expect(backoffCeiling(7, opts)).toBe(30_000);
    expect(backoffCeiling(10_000, opts)).toBe(30_000);
  });

  it("uses full jitter: anywhere from 0 up to the ceiling", () => {
    expect(fullJitterDelay(3, opts, () => 0)).toBe(0);
    expect(fullJitterDelay(3, opts, () => 0.5)).toBe(1000);
    expect(fullJitterDelay(3, opts, () => 0.999_999)).toBe(1999);
    const samples = Array.from({ length: 2000 }, () => fullJitterDelay(2, opts));
    expect(Math.min(...samples)).toBeLessThan(100);
    expect(Math.max(...samples)).toBeGreaterThan(900);
    expect(Math.max(...samples)).toBeLessThan(1000);
  });
});

describe("reconnect decision", () => {
  const end = (over: Partial<SocketEnd>): SocketEnd => ({
    code: 1006,
    reason: "",
    forced: false,
    usedCachedToken: false,
    retriedAuth: false,
    attempt: 0,
    maxAttempts: Number.POSITIVE_INFINITY,
    ...over,
  });

  it("reconnects after transport loss, 1012 and 4500-4999", () => {
    for (const code of [1006, 1001, CloseCode.ServerRestart, CloseCode.Internal, 4999]) {
      expect(decideAfterClose(end({ code })).willReconnect).toBe(true);
    }
  });

  it("does not reconnect after 4000-4499, except 4403 with a fresh token", () => {
    for (const code of [4000, 4400, 4401, 4408, 4409, 4413, 4429, 4499]) {
      expect(decideAfterClose(end({ code })).willReconnect).toBe(false);
    }
    expect(decideAfterClose(end({ code: 4403 }))).toMatchObject({
      willReconnect: true,
      freshToken: true,
    });
  });

  it("trusts the server's disconnect frame over the close code", () => {
    const server = {
      type: "disconnect" as const,
      code: 4409,
      reason: "replaced",
      reconnect: false,
    };
    expect(decideAfterClose(end({ code: 1006, server }))).toMatchObject({
      code: 4409,
      willReconnect: false,
    });
  });

  it("retries a 4401 once with a fresh token when the token was a cached one", () => {
    const first = decideAfterClose(end({ code: 4401, usedCachedToken: true }));
    expect(first).toMatchObject({ willReconnect: true, freshToken: true, spendsAuthRetry: true });
    const second = decideAfterClose(end({ code: 4401, usedCachedToken: true, retriedAuth: true }));
    expect(second.willReconnect).toBe(false);
  });

  it("stops after maxAttempts", () => {
    expect(decideAfterClose(end({ attempt: 3, maxAttempts: 3 })).willReconnect).toBe(false);
    expect(decideAfterClose(end({ attempt: 2, maxAttempts: 3 })).willReconnect).toBe(true);
  });
});

describe("reconnecting against a real server", () => {
  it("does not reconnect after 4401 (bad token)", async () => {
    const server = await fx.server();
    const client = fx.client({ url: server.wsUrl, token: "not-a-jwt" });
    const states: string[] = [];
    client.on("state", (s) => states.push(s));
    const errors: Error[] = [];
    client.on("error", (e) => errors.push(e));
    const disconnected = nextEvent(client, "disconnected");
    client.connect();
    expect(await disconnected).toMatchObject({ code: 4401, willReconnect: false });
    await new Promise((r) => setTimeout(r, 700));
    expect(states).toEqual(["connecting", "disconnected"]);
    expect(errors[0]).toMatchObject({ code: "unauthorized" });
  });

  it("reconnects through a graceful server restart (1012)", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const firstSession = client.connection?.session;
    await server.stop();
    await waitFor(() => client.state !== "connected");
    await server.restart();
    await waitFor(() => client.state === "connected");
    expect(client.connection?.session).not.toBe(firstSession);
  });

  it("keeps trying while the server is down and connects when it is back", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    let disconnects = 0;
    client.on("disconnected", () => disconnects++);
    // Listen before stopping: the client may already retry while the server is still stopping.
    const states = new Set<string>();
    client.on("state", (st) => states.add(st));
    await server.stop();
    await waitFor(() => disconnects >= 3, { message: "several failed attempts" });
    // between attempts it is disconnected; each attempt is connecting
    expect(states).toEqual(new Set(["disconnected", "connecting"]));
    await server.restart();
    await waitFor(() => client.state === "connected");
  });

  it("gives up after maxAttempts", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice", {
      reconnect: { baseMs: 10, capMs: 20, maxAttempts: 3 },
    });
    const events: DisconnectInfo[] = [];
    client.on("disconnected", (d) => events.push(d));
    await server.stop();
    await waitFor(() => events.some((d) => !d.willReconnect));
    expect(events.filter((d) => d.willReconnect)).toHaveLength(3);
    expect(client.state).toBe("disconnected");
  });

  it("obeys a server disconnect that says not to reconnect (session resumed elsewhere)", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const session = client.connection?.session;
    const closed = nextEvent(client, "disconnected");
    // Another connection resumes this session, so the server replaces ours.
    const other = new WebSocket(server.wsUrl, PROTOCOL_NAME);
    fx.defer(() => other.terminate());
    await new Promise((resolve) => other.once("open", resolve));
    const token = await server.token({ sub: "alice", role: "agent" });
    other.send(JSON.stringify({ type: "connect", id: 1, token, session }));
    expect(await closed).toMatchObject({ code: CloseCode.SessionReplaced, willReconnect: false });
    await new Promise((r) => setTimeout(r, 300));
    expect(client.state).toBe("disconnected");
  });

  it("gets a new token from the callback after 4403 (token expired) and reconnects", async () => {
    const server = await fx.server();
    let calls = 0;
    let expired = false;
    const client = fx.client({
      url: server.wsUrl,
      token: async () => {
        calls++;
        // The first token expires at once and every refresh fails, so the server must close
        // with 4403; after that the token service recovers.
        if (calls > 1 && !expired) throw new Error("token service down");
        return server.token(
          { sub: "alice", role: "agent" },
          { expiresInSeconds: calls === 1 ? 2 : 3600 },
        );
      },
    });
    client.on("error", () => {});
    client.on("disconnected", (d) => {
      if (d.code === CloseCode.TokenExpired) expired = true;
    });
    client.connect();
    const closed = await nextEvent(client, "disconnected", () => true, 8000);
    expect(closed).toMatchObject({ code: CloseCode.TokenExpired, willReconnect: true });
    await waitFor(() => client.state === "connected");
    expect(client.connection?.exp).toBeGreaterThan(Date.now() / 1000 + 3000);
  });
});
