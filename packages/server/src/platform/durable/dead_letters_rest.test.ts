import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInModules } from "../../modules/index.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { brokenAggregates, ledgerModule } from "../test-fixtures/ledger/index.js";

const modules = [...builtInModules(), ledgerModule];

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)("dead letters over REST (%s)", (database) => {
  let server: TestServer;
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });
  const effectsOf = async (aggregate: string) =>
    ((await call("GET", "/api/ledger/effects")).body as { aggregate: string; by: string }[]).filter(
      (e) => e.aggregate === aggregate,
    );

  beforeAll(async () => {
    server = await startTestServer({
      database,
      modules,
      config: { durable: { pollMs: 100, leaseMs: 30_000, maxAttempts: 2 } },
    });
  });
  afterAll(async () => {
    brokenAggregates.clear();
    await server.close();
  });

  it("lists a handler's dead letter after N failures, counts it, and replays it once mended", async () => {
    const aggregate = `dl-${database}`;
    brokenAggregates.add(aggregate);
    const emitted = await call("POST", "/api/ledger/emit", { aggregate, count: 1 });
    const eventId = (emitted.body.ids as string[])[0] as string;
    const list = await until(
      async () => (await call("GET", "/api/admin/dead-letters?handler=ledger.record")).body,
      (b) => (b.items as unknown[]).length === 1,
    );
    expect(list.items[0]).toMatchObject({
      eventId,
      handler: "ledger.record",
      type: "ledger.entry",
      aggregate,
      attempts: 2,
      payload: { seq: 1 },
    });
    expect(list.items[0].lastError).toMatch(/ledger.record is broken/);
    expect(await effectsOf(aggregate)).toEqual([]);
    // both handlers parked: filter by type sees two
    const byType = await until(
      async () => (await call("GET", "/api/admin/dead-letters?type=ledger.entry")).body,
      (b) => (b.items as unknown[]).length === 2,
    );
    expect(byType.items.map((i: { handler: string }) => i.handler).sort()).toEqual([
      "ledger.record",
      "ledger.slow",
    ]);
    const metrics = await restCall(server, "GET", "/metrics", { token: null });
    expect(metrics.body).toMatch(
      /switchboard_events_dead_lettered_total\{handler="ledger.record"\} 1/,
    );

    brokenAggregates.delete(aggregate);
    const one = await call("POST", `/api/admin/dead-letters/${eventId}/ledger.record/replay`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ replayed: 1 });
    await until(
      () => effectsOf(aggregate),
      (e) => e.length === 1,
    );
    const bulk = await call("POST", "/api/admin/dead-letters/replay", { handler: "ledger.slow" });
    expect(bulk.body).toEqual({ replayed: 1 });
    const effects = await until(
      () => effectsOf(aggregate),
      (e) => e.length === 2,
    );
    expect(effects.map((e) => e.by).sort()).toEqual(["ledger.record", "ledger.slow"]);
    expect((await call("GET", "/api/admin/dead-letters")).body.items).toEqual([]);
    // replayed already: nothing left to replay
    expect(
      (await call("POST", `/api/admin/dead-letters/${eventId}/ledger.record/replay`)).status,
    ).toBe(404);
  });

  it("refuses bad input and callers who are not the server", async () => {
    const customer = await server.token({ sub: "mallory", role: "customer" });
    expect((await call("GET", "/api/admin/dead-letters", undefined, null)).status).toBe(401);
    expect((await call("GET", "/api/admin/dead-letters", undefined, customer)).status).toBe(403);
    expect(
      (await call("POST", "/api/admin/dead-letters/replay", { all: true }, customer)).status,
    ).toBe(403);
    for (const path of [
      "/api/admin/dead-letters?handler=nodot",
      "/api/admin/dead-letters?type=NOPE",
      "/api/admin/dead-letters?limit=0",
      "/api/admin/dead-letters?limit=abc",
      "/api/admin/dead-letters?extra=1",
    ]) {
      const r = await call("GET", path);
      expect(r.status, path).toBe(400);
      expect(r.body.code, path).toBe("bad_request");
    }
    for (const body of [{}, { handler: "x" }, { all: false }, { all: true, more: 1 }, "not json"]) {
      const r = await call("POST", "/api/admin/dead-letters/replay", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await call("POST", "/api/admin/dead-letters/not-a-ulid/ledger.record/replay")).status,
    ).toBe(400);
    expect(
      (await call("POST", "/api/admin/dead-letters/01HZZZZZZZZZZZZZZZZZZZZZZZ/BAD/replay")).status,
    ).toBe(400);
    const none = await call(
      "POST",
      "/api/admin/dead-letters/01HZZZZZZZZZZZZZZZZZZZZZZZ/ledger.record/replay",
    );
    expect(none.status).toBe(404);
    expect(none.body.code).toBe("not_found");
    expect((await call("POST", "/api/admin/dead-letters/replay", { all: true })).body).toEqual({
      replayed: 0,
    });
  });
});
