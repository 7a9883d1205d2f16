import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOKEN = "scrape-me-please-0123456789";

describe("/metrics and /docs in production", () => {
  it("protects /metrics with a token when one is set", async () => {
    server = await startTestServer({ config: { http: { metricsToken: TOKEN } } });
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("switchboard_connections");
    const wrong = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
    });
    expect(wrong.status).toBe(401);
    // Not even the API key: the scraper's token is its own.
    const apiKey = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(apiKey.status).toBe(401);
    const scraper = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(scraper.status).toBe(200);
    expect(await scraper.text()).toContain("switchboard_connections");
  });

  it("turns /metrics and /docs off", async () => {
    server = await startTestServer({ config: { http: { metrics: false, docs: false } } });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.url}/docs`)).status).toBe(404);
    expect((await fetch(`${server.url}/docs/json`)).status).toBe(404);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("keeps both open by default (development)", async () => {
    server = await startTestServer();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${server.url}/docs/json`)).status).toBe(200);
  });
});
