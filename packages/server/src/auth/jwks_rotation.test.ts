import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JwksServer } from "../test-support/jwks-server.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";
import { createTokenVerifier } from "./tokens.js";

/**
 * Key rotation at the identity provider. jose caches the key set per node: a key published after
 * the last fetch used to be refused as an invalid token (4401, and the SDK gave up) until the
 * cooldown passed, and a withdrawn key kept working for 10 minutes.
 */
describe("JWKS key rotation", () => {
  let idp: JwksServer;
  const clients: RawClient[] = [];
  beforeEach(async () => {
    idp = await JwksServer.start();
    await idp.publish("k1");
  });
  afterEach(async () => {
    closeAll(clients);
    await idp.close();
  });

  it("answers a key published during the cooldown as 'retry shortly', then accepts it", async () => {
    const verify = createTokenVerifier({
      jwksUrl: idp.url,
      jwksCooldownMs: 3000,
      jwksMaxAgeMs: 60_000,
      requireExp: true,
    });
    await idp.generate("k2");
    const bobs = await idp.token("k2", "bob");
    expect(await verify(await idp.token("k1", "alice"))).toMatchObject({ user: "alice" });
    await idp.publish("k2"); // rotation: the provider starts signing with a new key at once
    const early = await verify(bobs).catch((e) => e);
    expect(early).toMatchObject({ code: "unavailable" });
    expect(early.retryAfterMs).toBeGreaterThan(0);
    expect(early.retryAfterMs).toBeLessThanOrEqual(3250);
    await new Promise((r) => setTimeout(r, early.retryAfterMs));
    expect(await verify(bobs)).toMatchObject({ user: "bob" });
    expect(idp.fetches).toBe(2);
  });

  it("refuses a key id the provider does not have once the set was fetched again", async () => {
    const verify = createTokenVerifier({
      jwksUrl: idp.url,
      jwksCooldownMs: 500,
      jwksMaxAgeMs: 60_000,
      requireExp: true,
    });
    await verify(await idp.token("k1", "alice"));
    await new Promise((r) => setTimeout(r, 600));
    const other = await JwksServer.start();
    await other.publish("rogue"); // a key of someone else's provider
    const refused = await verify(await other.token("rogue", "mallory")).catch((e) => e);
    await other.close();
    expect(refused).toMatchObject({ code: "unauthorized" });
  });

  it("stops accepting a withdrawn key once the key set's max age has passed", async () => {
    const verify = createTokenVerifier({
      jwksUrl: idp.url,
      jwksCooldownMs: 200,
      jwksMaxAgeMs: 1000,
      requireExp: true,
    });
    const token = await idp.token("k1", "alice");
    expect(await verify(token)).toMatchObject({ user: "alice" });
    idp.withdraw("k1"); // compromised: out of the set
    await new Promise((r) => setTimeout(r, 1100));
    await expect(verify(token)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("says 'unavailable', not 'unauthorized', when the key set cannot be fetched", async () => {
    const verify = createTokenVerifier({
      jwksUrl: "http://127.0.0.1:9/jwks.json",
      requireExp: true,
    });
    await expect(verify(await idp.token("k1", "alice"))).rejects.toMatchObject({
      code: "unavailable",
    });
  });

  describe("over the socket", () => {
    let server: TestServer;
    afterEach(async () => {
      await server.close();
    });
    beforeEach(async () => {
      server = await startTestServer({
        config: { jwksUrl: idp.url, jwksCooldownMs: 3000, jwksMaxAgeMs: 60_000 },
      });
    });

    it("closes a connect with a not-yet-fetched key as retryable, with when to retry", async () => {
      await idp.generate("k2");
      const bobs = await idp.token("k2", "bob");
      clients.push(await RawClient.connect(server.wsUrl, await idp.token("k1", "alice")));
      await idp.publish("k2");
      const early = await RawClient.open(server.wsUrl);
      clients.push(early);
      const reply = await early.request({ type: "connect", token: bobs });
      expect(reply).toMatchObject({ type: "error", code: "unavailable" });
      expect(reply.retryAfterMs).toBeGreaterThan(0);
      const closed = await early.closed;
      expect(closed.code).toBe(4500); // reconnect with backoff, not 4401
      await new Promise((r) => setTimeout(r, reply.retryAfterMs as number));
      clients.push(await RawClient.connect(server.wsUrl, bobs));
    });
  });
});
