import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../test-support/rest.js";
import { RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

/**
 * A local identity provider: one RSA key, its JWKS served over HTTP, tokens signed with it.
 * The server under test knows only the JWKS URL, as it would in production.
 */
const ISSUER = "https://project.supabase.test/auth/v1";
const AUDIENCE = "authenticated";
let privateKey: CryptoKey;
let jwksServer: Server;
let jwksUrl: string;
let server: TestServer;

async function sign(claims: JWTPayload, opts: { aud?: string; iss?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setSubject(String(claims.sub ?? "3f7c0b1e-2d4a-4c8e-9f60-1a2b3c4d5e6f"))
    .setIssuedAt()
    .setExpirationTime("1h")
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuer(opts.iss ?? ISSUER)
    .sign(privateKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwksServer = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  server = await startTestServer({
    config: {
      jwksUrl,
      jwt: {
        audience: [AUDIENCE],
        issuer: [ISSUER],
        roleClaim: "app_metadata.switchboard_role",
        roleMap: { authenticated: "customer", support: "agent" },
        nameClaim: "user_metadata.full_name",
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => jwksServer?.close(r));
});

async function connectReply(token: string) {
  const client = await RawClient.open(server.wsUrl);
  try {
    const reply = await client.request({ type: "connect", token });
    const closed = reply.type === "error" ? await client.closed : undefined;
    return { reply, closed };
  } finally {
    client.socket.close();
  }
}

describe("JWKS tokens: audience, issuer and claim mapping", () => {
  it("refuses a token the provider issued to another app, over REST and the socket", async () => {
    const otherApp = await sign(
      { role: "admin", app_metadata: { switchboard_role: "support" } },
      { aud: "some-other-app" },
    );
    const rest = await restCall(server, "GET", "/api/chat/conversations", { token: otherApp });
    expect(rest.status).toBe(401);
    expect(rest.body.message).toMatch(/aud/);
    const socket = await connectReply(otherApp);
    expect(socket.reply).toMatchObject({ type: "error", code: "unauthorized" });
    expect(socket.closed?.code).toBe(4401);
  });

  it("refuses a token from another issuer", async () => {
    const token = await sign(
      { app_metadata: { switchboard_role: "authenticated" } },
      { iss: "https://evil.test" },
    );
    const rest = await restCall(server, "GET", "/api/chat/conversations", { token });
    expect(rest.status).toBe(401);
    expect(rest.body.message).toMatch(/iss/);
  });

  it("maps a Supabase-style token to our roles and name, and ignores its own role claim", async () => {
    // Supabase puts role "authenticated" at the top level; the operator maps a claim it controls.
    const customer = await sign({
      sub: "3f7c0b1e-2d4a-4c8e-9f60-1a2b3c4d5e6f",
      role: "authenticated",
      app_metadata: { switchboard_role: "authenticated" },
      user_metadata: { full_name: "Alice Example" },
    });
    const c = await connectReply(customer);
    expect(c.reply).toMatchObject({
      type: "connected",
      role: "customer",
      user: { id: "3f7c0b1e-2d4a-4c8e-9f60-1a2b3c4d5e6f", name: "Alice Example" },
    });
    const agent = await sign({
      sub: "agent-7",
      role: "authenticated",
      app_metadata: { switchboard_role: "support" },
    });
    expect((await connectReply(agent)).reply).toMatchObject({ type: "connected", role: "agent" });
    const list = await restCall(server, "GET", "/api/chat/agents", { token: agent });
    expect(list.status).toBe(200);
  });

  it("refuses a provider role the map does not list, and a role claim that is not a string", async () => {
    const serviceRole = await sign({ app_metadata: { switchboard_role: "service_role" } });
    const rest = await restCall(server, "GET", "/api/chat/conversations", { token: serviceRole });
    expect(rest.status).toBe(401);
    expect(rest.body.message).toMatch(/not mapped/);
    const weird = await sign({ app_metadata: { switchboard_role: ["admin"] } });
    expect((await restCall(server, "GET", "/api/chat/agents", { token: weird })).status).toBe(401);
    // A top-level role "admin" is not where this operator reads roles from: the user stays a customer.
    const sneaky = await sign({ role: "admin" });
    const asSneaky = await connectReply(sneaky);
    expect(asSneaky.reply).toMatchObject({ type: "connected", role: "customer" });
    expect((await restCall(server, "GET", "/api/chat/agents", { token: sneaky })).status).toBe(403);
  });

  it("checks audience and issuer on HS256 tokens too, and our own minted tokens carry them", async () => {
    const ours = await server.token({ sub: "bob", role: "customer" });
    expect((await restCall(server, "GET", "/api/chat/conversations", { token: ours })).status).toBe(
      200,
    );
    const { mintToken } = await import("./tokens.js");
    const bare = await mintToken(server.secret, { sub: "bob", role: "admin" });
    const r = await restCall(server, "GET", "/api/chat/conversations", { token: bare });
    expect(r.status).toBe(401);
  });
});
