import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SHOP = "https://shop.example.com";

function preflight(url: string, origin: string, method = "POST") {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization,content-type,idempotency-key",
    },
  });
}

describe("CORS (SWITCHBOARD_CORS_ORIGINS)", () => {
  it("lets a listed origin preflight and call the REST API with a bearer token", async () => {
    server = await startTestServer({ config: { http: { corsOrigins: [SHOP] } } });
    const pre = await preflight(`${server.url}/api/chat/conversations`, SHOP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();

    const token = await server.token({ sub: "alice" });
    const res = await fetch(`${server.url}/api/chat/conversations`, {
      method: "POST",
      headers: {
        origin: SHOP,
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
      },
      body: "{}",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(res.headers.get("vary")?.toLowerCase()).toContain("origin");
  });

  it("gives an unlisted origin no CORS headers, and never a wildcard", async () => {
    server = await startTestServer({ config: { http: { corsOrigins: [SHOP] } } });
    for (const origin of [
      "https://evil.example.com",
      "https://shop.example.com.evil.test",
      "null",
    ]) {
      const pre = await preflight(`${server.url}/api/chat/conversations`, origin);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      const get = await fetch(`${server.url}/api/inventory/catalog`, { headers: { origin } });
      expect(get.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("is off (same origin only) when no origins are configured", async () => {
    server = await startTestServer();
    const get = await fetch(`${server.url}/api/inventory/catalog`, { headers: { origin: SHOP } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });
});
