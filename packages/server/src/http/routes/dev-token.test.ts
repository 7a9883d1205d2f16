import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

const mint = (server: TestServer, body: unknown) =>
  fetch(`${server.url}/api/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const openApi = async (server: TestServer) =>
  (await (await fetch(`${server.url}/docs/json`)).json()) as {
    paths: Record<string, Record<string, { tags?: string[]; description?: string }>>;
  };

describe("POST /api/dev/token in development", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { env: "development" } });
  });
  afterAll(() => server.close());

  it("mints a 24-hour token for the user, name and role asked for, with no credentials", async () => {
    const res = await mint(server, { sub: "ann", name: "Ann", role: "agent" });
    expect(res.status).toBe(200);
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
    const identity = await server.app.verifyToken(token);
    expect(identity).toMatchObject({ user: "ann", role: "agent", name: "Ann" });
    const hours = (Date.parse(expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
  });

  it("mints a token a real WebSocket connects and subscribes with", async () => {
    const { token } = (await (await mint(server, { sub: "sam", role: "agent" })).json()) as {
      token: string;
    };
    const client = await RawClient.connect(server.wsUrl, token);
    try {
      expect(await client.request({ type: "subscribe", channel: "staff:floor" })).toMatchObject({
        type: "subscribed",
      });
    } finally {
      client.close();
    }
  });

  it("defaults the role to customer", async () => {
    const { token } = (await (await mint(server, { sub: "alice" })).json()) as { token: string };
    expect(await server.app.verifyToken(token)).toMatchObject({ user: "alice", role: "customer" });
  });

  it("answers 400 with the field for a bad user id or an unknown role", async () => {
    for (const body of [{ sub: "has space" }, { sub: "" }, { sub: "bob", role: "root" }, {}]) {
      const res = await mint(server, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("bad_request");
    }
  });

  it("is documented in OpenAPI as development-only", async () => {
    const op = (await openApi(server)).paths["/api/dev/token"]?.post;
    expect(op?.tags).toEqual(["development"]);
    expect(op?.description).toMatch(/only when NODE_ENV is not production/);
  });
});

describe("POST /api/dev/token in production", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { env: "production" } });
  });
  afterAll(() => server.close());

  it("does not exist: 404, and absent from OpenAPI", async () => {
    const res = await mint(server, { sub: "mallory", role: "admin" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
    expect((await openApi(server)).paths["/api/dev/token"]).toBeUndefined();
  });
});
