import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import type { Overview } from "./contract.js";
import { ok } from "./test-kit.js";

type Frame = Record<string, unknown>;
const isOverview = (f: Frame) => f.type === "message" && f.channel === "dashboard:overview";
const overviewOf = (f: Frame) => f.data as Overview;

/**
 * dashboard:overview follows real changes: at once on a big one (an order) even with an interval
 * of an hour, at the interval for a small one (a reservation), and a dashboard that was away
 * recovers what it missed from the channel's history. dashboard:activity carries the feed.
 */
describe("dashboard:overview and dashboard:activity live", () => {
  const clients: RawClient[] = [];
  const servers: TestServer[] = [];
  const start = async (intervalMs: number) => {
    const s = await startTestServer({
      config: { durable: { pollMs: 50 } },
      env: { SWITCHBOARD_METRICS_LIVE_INTERVAL_MS: String(intervalMs) },
    });
    servers.push(s);
    return s;
  };
  const owner = async (s: TestServer) => {
    const c = await RawClient.connect(s.wsUrl, await s.token({ sub: "sam", role: "admin" }));
    clients.push(c);
    return c;
  };
  afterEach(() => closeAll(clients.splice(0)));
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it("publishes a big change at once, and a reconnecting dashboard recovers what it missed", async () => {
    const server = await start(3_600_000);
    const c = await owner(server);
    await c.subscribe("dashboard:overview");
    await c.subscribe("dashboard:activity");
    await ok(
      restCall(server, "POST", "/api/orders", {
        body: { lifecycle: "store-order", customerId: "alice", title: "Kettle" },
      }),
    );
    const first = await c.next((f) => isOverview(f) && overviewOf(f).orders.value === 1, 20_000);
    expect(overviewOf(first)).toMatchObject({ period: "today", orders: { value: 1 } });
    const line = await c.next(
      (f) => f.type === "message" && f.channel === "dashboard:activity",
      20_000,
    );
    expect(line.data).toMatchObject({ kind: "order.created", title: "New order: Kettle" });

    // another dashboard stays to tell when the last change is out
    const watcher = await owner(server);
    await watcher.subscribe("dashboard:overview");
    // away: two more orders; back with the last offset it saw → both overviews, in order
    c.close();
    for (const title of ["Toaster", "Lamp"])
      await ok(
        restCall(server, "POST", "/api/orders", {
          body: { lifecycle: "store-order", customerId: "bob", title },
        }),
      );
    await watcher.next((f) => isOverview(f) && overviewOf(f).orders.value === 3, 20_000);
    const back = await owner(server);
    const again = await back.subscribe("dashboard:overview", {
      // the stream's epoch is the one its first message carries
      recover: { epoch: first.epoch, offset: first.offset },
    });
    expect(again.recovered).toBe(true);
    const missed = (again.publications as { data: Overview }[]).map((p) => p.data.orders.value);
    expect(missed.at(-1)).toBe(3);
    expect(missed.every((v) => (v ?? 0) >= 1)).toBe(true);
  }, 60_000);

  it("publishes a small change at the interval", async () => {
    const server = await start(300);
    const c = await owner(server);
    await c.subscribe("dashboard:overview");
    await ok(restCall(server, "PUT", "/api/inventory/items/CUP-1", { body: { onHand: 3 } }));
    await ok(
      restCall(server, "POST", "/api/inventory/reservations", {
        body: { sku: "CUP-1", quantity: 1, customerId: "dana" },
      }),
    );
    const seen = await c.next(
      (f) => isOverview(f) && overviewOf(f).reservations.value === 1,
      20_000,
    );
    expect(overviewOf(seen).sales.value).toBe(0);
  }, 60_000);

  it("keeps customers and agents off the owner's channels", async () => {
    const server = servers[0] ?? (await start(3_600_000));
    for (const role of ["customer", "agent"] as const) {
      const c = await RawClient.connect(server.wsUrl, await server.token({ sub: "eve", role }));
      clients.push(c);
      const reply = await c.request({ type: "subscribe", channel: "dashboard:overview" });
      expect(reply).toMatchObject({ type: "error", code: "forbidden" });
    }
  });
});

describe("metrics REST refuses bad input with a clear code", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const get = (path: string, token?: string | null) =>
    restCall(server, "GET", path, token === undefined ? {} : { token });
  const from = "2026-12-01T00:00:00Z";
  const to = "2026-12-02T00:00:00Z";

  it.each([
    ["/api/metrics/overview?period=year", "bad_request"],
    ["/api/metrics/overview?period=", "bad_request"],
    ["/api/metrics/series", "bad_request"],
    [`/api/metrics/series?kpi=nope&from=${from}&to=${to}`, "bad_request"],
    [`/api/metrics/series?kpi=orders&from=yesterday&to=${to}`, "bad_request"],
    [`/api/metrics/series?kpi=orders&from=${from}&to=${to}&step=week`, "bad_request"],
    [`/api/metrics/series?kpi=revenue&from=${from}&to=${to}&currency=euro`, "bad_request"],
    [`/api/metrics/series?kpi=orders&from=${to}&to=${from}`, "invalid_series_range"],
    [`/api/metrics/series?kpi=orders&from=${from}&to=${from}`, "invalid_series_range"],
    [
      `/api/metrics/series?kpi=orders&from=2020-01-01T00:00:00Z&to=${to}&step=minute`,
      "invalid_series_range",
    ],
    ["/api/metrics/peaks?weeks=0", "bad_request"],
    ["/api/metrics/peaks?weeks=53", "bad_request"],
    ["/api/metrics/peaks?kpi=satisfaction", "bad_request"],
    ["/api/metrics/activity?limit=0", "bad_request"],
    ["/api/metrics/activity?limit=1000", "bad_request"],
  ])("GET %s → 400 %s", async (path, code) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(code);
  });

  it("answers the owner only: no credentials 401, customers and agents 403", async () => {
    expect((await get("/api/metrics/overview", null)).status).toBe(401);
    for (const role of ["customer", "agent"] as const) {
      const token = await server.token({ sub: "eve", role });
      const r = await get("/api/metrics/overview", token);
      expect(r.status).toBe(403);
      expect(r.body.code).toBe("forbidden");
    }
    const admin = await server.token({ sub: "sam", role: "admin" });
    expect((await get("/api/metrics/overview", admin)).status).toBe(200);
  });

  it("alert rules: unknown 404, a threshold only where there is one, strict bodies", async () => {
    const put = (name: string, body: unknown) =>
      restCall(server, "PUT", `/api/metrics/alerts/${name}`, { body });
    expect((await put("nope", { enabled: false })).body.code).toBe("unknown_alert_rule");
    const noThreshold = await put("rating-5", { threshold: 3 });
    expect(noThreshold.status).toBe(400);
    expect(noThreshold.body.code).toBe("bad_request");
    for (const body of [
      { enabled: "yes" },
      { threshold: -1 },
      { threshold: 1.5 },
      { what: 1 },
      "{",
    ])
      expect((await put("wait-above", body)).status).toBe(400);
    const changed = await put("wait-above", { enabled: false, threshold: 60_000 });
    expect(changed.body).toMatchObject({ name: "wait-above", enabled: false, threshold: 60_000 });
    const list = await get("/api/metrics/alerts");
    expect(list.body.rules).toContainEqual(
      expect.objectContaining({ name: "wait-above", enabled: false }),
    );
    expect(list.body.rules).toContainEqual(
      expect.objectContaining({ name: "rating-5", enabled: true }),
    );
  });
});
