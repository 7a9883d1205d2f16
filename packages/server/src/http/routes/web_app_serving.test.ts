import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../testing.js";

const INDEX = "<!doctype html><title>Switchboard</title><div id=root></div>";
const page = (server: TestServer, path: string) =>
  fetch(`${server.url}${path}`, { headers: { accept: "text/html,application/xhtml+xml" } });

describe("the built web app at /", () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "switchboard-web-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), INDEX);
    writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
    server = await startTestServer({ config: { webDir: dir } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / (never cached) and hashed assets cached for a year", async () => {
    const root = await page(server, "/");
    expect(root.status).toBe(200);
    expect(root.headers.get("content-type")).toMatch(/text\/html/);
    expect(root.headers.get("cache-control")).toBe("no-cache");
    expect(await root.text()).toBe(INDEX);
    const asset = await fetch(`${server.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  it("answers the app's own routes (a reload or a shared link) with index.html", async () => {
    for (const path of ["/orders", "/orders/01JABC", "/console/orders", "/shop/TEE-01:red-L"]) {
      const res = await page(server, path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(INDEX);
    }
  });

  it("keeps /api, /docs, /health, /ready, /metrics and /ws answering as before", async () => {
    const api = await page(server, "/api/no-such-thing");
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: "not_found" });
    expect((await page(server, "/api/lifecycles")).headers.get("content-type")).toMatch(/json/);
    expect((await page(server, "/docs/json")).headers.get("content-type")).toMatch(/json/);
    expect((await page(server, "/docs")).status).toBeLessThan(400);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain("# HELP");
    // a plain GET of /ws (no upgrade) is not the app
    const ws = await page(server, "/ws");
    expect(await ws.text()).not.toBe(INDEX);
  });

  it("answers a missing asset or a non-page request with 404, not the app", async () => {
    const missing = await fetch(`${server.url}/assets/gone-123.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "not_found" });
    const post = await fetch(`${server.url}/orders`, {
      method: "POST",
      headers: { accept: "text/html" },
    });
    expect(post.status).toBe(404);
  });
});

describe("before the web app is built", () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "switchboard-noweb-"));
    server = await startTestServer({ config: { webDir: dir } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says at / how to build it, and the API still works", async () => {
    const root = await page(server, "/");
    expect(root.status).toBe(200);
    expect(await root.text()).toContain("npm run build");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
