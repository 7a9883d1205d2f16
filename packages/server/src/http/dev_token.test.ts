import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];
afterEach(async () => {
  closeAll(clients);
  await server.close();
});

const mint = (body: unknown) =>
  fetch(`${server.url}/api/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("development sign-in tokens", () => {
  it("mints a token the gateway accepts, outside production", async () => {
    server = await startTestServer();
    const res = await mint({ sub: "alice", name: "Alice", role: "agent" });
    expect(res.status).toBe(200);
    const { token, expiresAt } = await res.json();
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const c = await RawClient.connect(server.wsUrl, token);
    clients.push(c);
    expect(await c.request({ type: "subscribe", channel: "staff:floor" })).toMatchObject({
      type: "subscribed",
    });
  });

  it("refuses bad input with a code", async () => {
    server = await startTestServer();
    for (const body of [{}, { sub: "has space" }, { sub: "a", role: "root" }]) {
      const res = await mint(body);
      expect(res.status).toBe(400);
      expect((await res.json()).code).toBe("bad_request");
    }
  });

  it("does not exist in production", async () => {
    server = await startTestServer({ config: { env: "production" } });
    expect((await mint({ sub: "mallory", role: "admin" })).status).toBe(404);
  });
});
