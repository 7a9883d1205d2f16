import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../test-support/rest.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  closeAll(clients);
  await server.close();
});

const get = (path: string) => restCall(server, "GET", path);
const publish = (body: unknown, options: { token?: string | null; key?: string } = {}) =>
  restCall(server, "POST", "/api/publish", {
    body,
    ...(options.token !== undefined && { token: options.token }),
    ...(options.key && { headers: { "idempotency-key": options.key } }),
  });

describe("POST /api/publish", () => {
  it("publishes to subscribers and answers 201 with the position", async () => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    clients.push(c);
    await c.subscribe("product:rest");
    const res = await publish({ channel: "product:rest", event: "stock", data: { available: 3 } });
    expect(res.status).toBe(201);
    const body = res.body;
    expect(body).toMatchObject({ channel: "product:rest", offset: 1 });
    expect(await c.next((f) => f.type === "message")).toMatchObject({
      event: "stock",
      data: { available: 3 },
      offset: 1,
      epoch: body.epoch,
    });
  });

  it("answers 200 with the first offset for a repeated idempotency key (body or header)", async () => {
    const send = (init: { key?: string; header?: string }) =>
      publish(
        { channel: "product:idem", event: "e", data: 1, ...(init.key && { key: init.key }) },
        { ...(init.header && { key: init.header }) },
      );
    const first = await send({ key: "k1" });
    const again = await send({ key: "k1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.offset).toBe(first.body.offset);
    const h1 = await send({ header: "h1" });
    const h2 = await send({ header: "h1" });
    expect([h1.status, h2.status]).toEqual([201, 200]);
  });

  it("accepts an admin JWT and refuses a customer JWT", async () => {
    const admin = await server.token({ sub: "root", role: "admin" });
    const customer = await server.token({ sub: "alice" });
    const body = { channel: "user:alice", event: "note", data: "hi" };
    expect((await publish(body, { token: admin })).status).toBe(201);
    const refused = await publish(body, { token: customer });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "forbidden" });
  });

  it("answers 401 without credentials (before looking at the body) and with a wrong key", async () => {
    const none = await publish("{}", { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: "unauthorized" });
    const wrong = await publish("{}", { token: "sb_wrong_key_000000000000000" });
    expect(wrong.status).toBe(401);
  });

  it.each([
    ["an empty body", "{}"],
    ["a bad channel", JSON.stringify({ channel: "nope", event: "e", data: 1 })],
    ["a missing event", JSON.stringify({ channel: "product:1", data: 1 })],
    [
      "an over-long key",
      JSON.stringify({ channel: "product:1", event: "e", key: "k".repeat(200) }),
    ],
  ])("answers 400 with code and details for %s", async (_name, body) => {
    const res = await publish(body);
    expect(res.status).toBe(400);
    const json = res.body;
    expect(json.code).toBe("bad_request");
    expect(Array.isArray(json.details)).toBe(true);
  });

  it("answers 400 for JSON that does not parse and 403 for an unknown namespace", async () => {
    const broken = await publish("{not json");
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: "bad_request" });
    const unknown = await publish({ channel: "secret:1", event: "e" });
    expect(unknown.status).toBe(403);
  });
});

describe("channel queries", () => {
  it("lists active channels with subscriber counts", async () => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "bob" }));
    clients.push(c);
    await c.subscribe("product:listed");
    const res = await get("/api/channels");
    expect(res.status).toBe(200);
    expect(res.body.channels).toContainEqual({
      channel: "product:listed",
      subscribers: 1,
    });
  });

  it("returns presence with members and count", async () => {
    const c = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "carol", name: "Carol" }),
    );
    clients.push(c);
    await c.subscribe("product:present");
    const res = await get("/api/channels/product:present/presence");
    expect(res.body).toEqual({
      channel: "product:present",
      count: 1,
      members: [{ user: "carol", name: "Carol", role: "customer", connections: 1 }],
    });
  });

  it("returns history, with since=<epoch>:<offset> and limit", async () => {
    for (let i = 0; i < 5; i++) await server.publish("product:hist", "n", i);
    const all = (await get("/api/channels/product:hist/history?limit=3")).body;
    expect(all.publications.map((p: { offset: number }) => p.offset)).toEqual([3, 4, 5]);
    const since = (await get(`/api/channels/product:hist/history?since=${all.epoch}:2`)).body;
    expect(since).toMatchObject({ complete: true, offset: 5 });
    expect(since.publications).toHaveLength(3);
    const stale = (await get("/api/channels/product:hist/history?since=old:2")).body;
    expect(stale.complete).toBe(false);
    expect((await get("/api/channels/product:hist/history?since=nonsense")).status).toBe(400);
    expect((await get("/api/channels/product:hist/history?limit=5000")).status).toBe(400);
    expect((await get("/api/channels/bad%20name/history")).status).toBe(400);
  });
});

describe("operations", () => {
  it("answers /health and /ready", async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { accepting: true, broker: true, database: true },
    });
  });

  it("exposes Prometheus metrics that move with traffic", async () => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "dan" }));
    clients.push(c);
    await c.subscribe("product:metrics");
    await server.publish("product:metrics", "x", 1);
    await c.next((f) => f.type === "message");
    c.send("garbage");
    await c.next((f) => f.type === "error");
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/switchboard_connections \d+/);
    expect(text).toMatch(/switchboard_subscriptions [1-9]/);
    expect(text).toMatch(/switchboard_frames_in_total\{type="subscribe"\} [1-9]/);
    expect(text).toMatch(/switchboard_frames_out_total\{type="message"\} [1-9]/);
    expect(text).toMatch(/switchboard_errors_total\{code="bad_request"\} [1-9]/);
    expect(text).toMatch(/switchboard_publish_to_write_seconds_count [1-9]/);
    expect(text).toContain("switchboard_slow_consumers_dropped_total");
  });

  it("serves the OpenAPI document with every REST route", async () => {
    const doc = await (await fetch(`${server.url}/docs/json`)).json();
    for (const path of [
      "/api/publish",
      "/api/channels",
      "/api/channels/{channel}/presence",
      "/api/channels/{channel}/history",
      "/health",
      "/ready",
      "/ws/stream",
      "/ws/poll",
      "/ws/send",
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await fetch(`${server.url}/docs`)).status).toBeLessThan(400);
  });

  it("answers unknown routes with a not_found code", async () => {
    const res = await fetch(`${server.url}/api/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "not_found" });
  });
});
