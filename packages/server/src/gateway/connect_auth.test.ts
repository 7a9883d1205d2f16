import { CloseCode } from "@switchboard/protocol";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

beforeEach(async () => {
  server = await startTestServer({ config: { connectTimeoutMs: 400 } });
});
afterEach(async () => {
  closeAll(clients);
  await server.close();
});

async function open(): Promise<RawClient> {
  const c = await RawClient.open(server.wsUrl);
  clients.push(c);
  return c;
}

describe("connect and authentication", () => {
  it("connects with a valid token and announces the session, ping and limits", async () => {
    const c = await open();
    const token = await server.token({ sub: "alice", role: "customer", name: "Alice" });
    const reply = await c.request({
      type: "connect",
      token,
      client: { name: "test", version: "1" },
    });
    expect(reply).toMatchObject({
      type: "connected",
      user: { id: "alice", name: "Alice" },
      role: "customer",
      ping: 25,
      limits: { maxFrameBytes: 65536, maxSubscriptions: 512, ratePerSecond: 50, rateBurst: 100 },
    });
    expect(typeof reply.session).toBe("string");
    expect(reply.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it("rejects a token signed with another secret: error unauthorized, close 4401", async () => {
    const c = await open();
    const forged = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("x".repeat(40)));
    const reply = await c.request({ type: "connect", token: forged });
    expect(reply).toMatchObject({
      type: "error",
      code: "unauthorized",
      message: "token signature is invalid",
    });
    expect((await c.closed).code).toBe(CloseCode.Unauthorized);
  });

  it("rejects an expired token", async () => {
    const c = await open();
    const token = await server.token({ sub: "alice" }, { expiresInSeconds: -10 });
    const reply = await c.request({ type: "connect", token });
    expect(reply).toMatchObject({ type: "error", code: "unauthorized", message: "token expired" });
    expect((await c.closed).code).toBe(CloseCode.Unauthorized);
  });

  it("rejects garbage that is not a JWT, and claims that are wrong", async () => {
    const c = await open();
    expect(await c.request({ type: "connect", token: "not-a-jwt" })).toMatchObject({
      code: "unauthorized",
    });
    expect((await c.closed).code).toBe(CloseCode.Unauthorized);
    const d = await open();
    const badRole = await new SignJWT({ role: "superuser" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("bob")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(server.secret));
    expect(await d.request({ type: "connect", token: badRole })).toMatchObject({
      code: "unauthorized",
      message: "token claims are invalid",
    });
  });

  it("closes 4401 when no connect frame arrives in time", async () => {
    const c = await open();
    const closed = await c.closed;
    expect(closed.code).toBe(CloseCode.Unauthorized);
    expect(c.frames.find((f) => f.type === "error")).toMatchObject({ code: "unauthorized" });
  });

  it("closes 4400 when the first frame is not connect", async () => {
    const c = await open();
    c.send({ type: "subscribe", id: 1, channel: "product:1" });
    expect((await c.closed).code).toBe(CloseCode.ProtocolViolation);
  });

  it("accepts commands pipelined right behind connect", async () => {
    const c = await open();
    const token = await server.token({ sub: "alice" });
    c.send({ type: "connect", id: 1, token });
    c.send({ type: "subscribe", id: 2, channel: "product:1" });
    expect(await c.next((f) => f.id === 1)).toMatchObject({ type: "connected" });
    expect(await c.next((f) => f.id === 2)).toMatchObject({
      type: "subscribed",
      channel: "product:1",
    });
  });

  it("refuses a second connect on the same socket", async () => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    clients.push(c);
    expect(
      await c.request({ type: "connect", token: await server.token({ sub: "bob" }) }),
    ).toMatchObject({
      type: "error",
      code: "conflict",
    });
  });

  it("replaces a resumed session on the same node with close 4409", async () => {
    const token = await server.token({ sub: "alice" });
    const first = await open();
    const hello = await first.request({ type: "connect", token });
    const second = await open();
    const again = await second.request({ type: "connect", token, session: hello.session });
    expect(again.session).toBe(hello.session);
    expect((await first.closed).code).toBe(CloseCode.SessionReplaced);
  });

  it("does not let another user take over a session id", async () => {
    const first = await open();
    const hello = await first.request({
      type: "connect",
      token: await server.token({ sub: "alice" }),
    });
    const intruder = await open();
    const reply = await intruder.request({
      type: "connect",
      token: await server.token({ sub: "mallory" }),
      session: hello.session,
    });
    expect(reply.session).not.toBe(hello.session);
    expect(first.socket.readyState).toBe(first.socket.OPEN);
  });
});

describe("channel authorization", () => {
  async function as(
    sub: string,
    role: "customer" | "agent" | "admin",
    caps?: Record<string, ("subscribe" | "publish")[]>,
  ) {
    const c = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub, role, ...(caps && { caps }) }),
    );
    clients.push(c);
    return c;
  }

  it("lets a user read only their own user: channel", async () => {
    const alice = await as("alice", "customer");
    expect(await alice.request({ type: "subscribe", channel: "user:alice" })).toMatchObject({
      type: "subscribed",
    });
    expect(await alice.request({ type: "subscribe", channel: "user:bob" })).toMatchObject({
      type: "error",
      code: "forbidden",
    });
  });

  it("keeps customers out of staff:*, dashboard:*, order:* and conversation:* by default", async () => {
    const alice = await as("alice", "customer");
    for (const channel of ["staff:floor", "dashboard:sales", "order:1", "conversation:1"]) {
      expect(await alice.request({ type: "subscribe", channel })).toMatchObject({
        type: "error",
        code: "forbidden",
      });
    }
    const agent = await as("ann", "agent");
    expect(await agent.request({ type: "subscribe", channel: "staff:floor" })).toMatchObject({
      type: "subscribed",
    });
    expect(await agent.request({ type: "subscribe", channel: "dashboard:sales" })).toMatchObject({
      code: "forbidden",
    });
    const admin = await as("root", "admin");
    expect(await admin.request({ type: "subscribe", channel: "dashboard:sales" })).toMatchObject({
      type: "subscribed",
    });
  });

  it("lets anyone read product:* but only staff publish there", async () => {
    const alice = await as("alice", "customer");
    expect(await alice.request({ type: "subscribe", channel: "product:9" })).toMatchObject({
      type: "subscribed",
    });
    expect(
      await alice.request({ type: "publish", channel: "product:9", event: "price", data: 1 }),
    ).toMatchObject({ code: "forbidden" });
    const agent = await as("ann", "agent");
    expect(
      await agent.request({ type: "publish", channel: "product:9", event: "price", data: 1 }),
    ).toMatchObject({ type: "published", offset: 1 });
  });

  it("refuses unknown namespaces and invalid channel names", async () => {
    const admin = await as("root", "admin");
    expect(await admin.request({ type: "subscribe", channel: "secret:1" })).toMatchObject({
      code: "forbidden",
    });
    expect(await admin.request({ type: "subscribe", channel: "no-colon" })).toMatchObject({
      code: "bad_request",
    });
  });

  it("grants extra channels through the caps claim", async () => {
    const alice = await as("alice", "customer", { "order:7": ["subscribe"] });
    expect(await alice.request({ type: "subscribe", channel: "order:7" })).toMatchObject({
      type: "subscribed",
    });
    expect(await alice.request({ type: "subscribe", channel: "order:8" })).toMatchObject({
      code: "forbidden",
    });
  });
});
