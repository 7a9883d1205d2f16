import { describe, expect, it } from "vitest";
import { JwksServer } from "../../server/src/test-support/jwks-server.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";
import { refreshDelayMs, TokenSource, tokenExpiry } from "./token.js";

const fx = setupFixture();

describe("token refresh while connected", () => {
  it("stays connected past the first token's expiry by refreshing it", async () => {
    const server = await fx.server();
    let minted = 0;
    const client = fx.client({
      url: server.wsUrl,
      token: () => {
        minted++;
        return server.token({ sub: "alice", role: "agent" }, { expiresInSeconds: 3 });
      },
    });
    let drops = 0;
    client.on("disconnected", () => drops++);
    client.connect();
    await waitFor(() => client.state === "connected");
    const firstExp = client.connection?.exp ?? 0;
    // Wait until well after the first token expired (the server closes 4403 at exp).
    await waitFor(() => Date.now() / 1000 > firstExp + 1.5, { timeoutMs: 8000 });
    expect(drops).toBe(0);
    expect(client.state).toBe("connected");
    expect(minted).toBeGreaterThanOrEqual(2);
    // The connection is not just open but usable.
    await expect(client.publish("staff:floor", "still-here", {})).resolves.toMatchObject({
      offset: 1,
    });
  });

  it("answers the server's refresh request with a new token from the callback", async () => {
    const server = await fx.server();
    const tokens: string[] = [];
    const client = fx.client({
      url: server.wsUrl,
      // An opaque-to-us expiry is not the point here; the server asks because exp is near.
      refreshBeforeMs: 0,
      token: async () => {
        const token = await server.token({ sub: "alice", role: "agent" }, { expiresInSeconds: 20 });
        tokens.push(token);
        return token;
      },
    });
    client.connect();
    await waitFor(() => client.state === "connected");
    // exp is 20 s away, within the server's 30 s window: it sends `refresh` on its next tick.
    await waitFor(() => tokens.length === 2, { timeoutMs: 3000, message: "a refresh" });
    expect(client.state).toBe("connected");
  });

  it("reports a failing token callback as an error and keeps the connection until it expires", async () => {
    const server = await fx.server();
    let calls = 0;
    const client = fx.client({
      url: server.wsUrl,
      token: async () => {
        if (++calls > 1) throw new Error("token service down");
        return server.token({ sub: "alice", role: "agent" }, { expiresInSeconds: 25 });
      },
    });
    const error = nextEvent(client, "error");
    client.connect();
    expect((await error).message).toBe("token service down");
    expect(client.state).toBe("connected");
  });
});

describe("token helpers", () => {
  const jwt = (payload: object) =>
    `e30.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.sig`;

  it("reads exp from a JWT and nothing from an opaque token", () => {
    expect(tokenExpiry(jwt({ sub: "a", exp: 1_900_000_000 }))).toBe(1_900_000_000);
    expect(tokenExpiry(jwt({ sub: "a" }))).toBeUndefined();
    expect(tokenExpiry("opaque")).toBeUndefined();
    expect(tokenExpiry("a.!!!.c")).toBeUndefined();
  });

  it("refreshes 30 s before expiry, but never in a tight loop for short tokens", () => {
    const now = 1_000_000_000_000;
    expect(refreshDelayMs(now / 1000 + 600, now, 30_000)).toBe(570_000);
    expect(refreshDelayMs(now / 1000 + 4, now, 30_000)).toBe(2_000);
    expect(refreshDelayMs(now / 1000 - 1, now, 30_000)).toBe(0);
  });

  it("reuses a cached token until it nears expiry, then asks the callback again", async () => {
    let exp = Math.floor(Date.now() / 1000) + 3600;
    let calls = 0;
    const source = new TokenSource(() => {
      calls++;
      return jwt({ exp });
    });
    await source.get({ marginMs: 30_000 });
    await source.get({ marginMs: 30_000 });
    expect(calls).toBe(1);
    source.invalidate();
    await source.get({ marginMs: 30_000 });
    expect(calls).toBe(2);
    exp = Math.floor(Date.now() / 1000) + 10;
    await source.get({ fresh: true });
    await source.get({ marginMs: 30_000 });
    expect(calls).toBe(4);
  });
});

describe("tokens signed by a key the server has not fetched yet", () => {
  it("keeps retrying (when the server says) until the server's key set has the new key", async () => {
    const idp = await JwksServer.start();
    fx.defer(() => idp.close());
    await idp.publish("k1");
    const server = await fx.server({
      config: { jwksUrl: idp.url, jwksCooldownMs: 5000, jwksMaxAgeMs: 60_000 },
    });
    await idp.generate("k2");
    const bobs = await idp.token("k2", "bob");
    const first = fx.client({ url: server.wsUrl, token: () => idp.token("k1", "alice") });
    first.connect();
    await waitFor(() => first.state === "connected");
    // the provider rotates: new tokens are signed with a key the server fetched no set with yet
    await idp.publish("k2");
    const client = fx.client({ url: server.wsUrl, token: () => bobs });
    const refusals: { willReconnect: boolean }[] = [];
    client.on("disconnected", (e) => refusals.push(e));
    client.connect();
    await waitFor(() => client.state === "connected", { timeoutMs: 15_000 });
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.every((r) => r.willReconnect)).toBe(true);
    // it waited as long as the server asked (its backoff here starts at 50 ms: a client that
    // ignored retryAfterMs would have been refused again and again during the cooldown)
    expect(refusals.length).toBeLessThanOrEqual(2);
  });
});
