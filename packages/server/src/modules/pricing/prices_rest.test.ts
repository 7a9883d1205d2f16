import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { historyPageSchema, priceSchema, quoteResultSchema, ruleSchema } from "./contract.js";

describe.each(DIALECTS)("prices over REST on %s", (database) => {
  let server: TestServer;
  let customer: string;
  let agent: string;
  beforeAll(async () => {
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0",
        SWITCHBOARD_PRICING_TIME_ZONE: "Europe/Oslo",
      },
    });
    customer = await server.token({ sub: "carol", role: "customer" });
    agent = await server.token({ sub: "sam", role: "agent" });
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });

  it("sets a list price, shows it to anyone, and only staff may set it", async () => {
    const put = await call(
      "PUT",
      "/api/pricing/prices/SCREEN-1",
      { amount: 12_900, currency: "EUR" },
      agent,
    );
    expect(put.status).toBe(200);
    expect(priceSchema.parse(put.body)).toMatchObject({
      sku: "SCREEN-1",
      base: 12_900,
      amount: 12_900,
      version: 1,
      seq: 1,
    });
    const got = await call("GET", "/api/pricing/prices/SCREEN-1", undefined, null);
    expect(got.body).toMatchObject({ amount: 12_900, currency: "EUR" });
    expect(
      (await call("PUT", "/api/pricing/prices/SCREEN-1", { amount: 1, currency: "EUR" }, customer))
        .status,
    ).toBe(403);
    expect(
      (await call("PUT", "/api/pricing/prices/SCREEN-1", { amount: 1, currency: "EUR" }, null))
        .status,
    ).toBe(401);
    expect((await call("GET", "/api/pricing/prices/NOPE", undefined, null)).status).toBe(404);
    const page = await call("GET", "/api/pricing/prices?skus=SCREEN-1,NOPE", undefined, null);
    expect(page.body.items.map((p: { sku: string }) => p.sku)).toEqual(["SCREEN-1"]);
  });

  it("lets exactly one of two staff racing on the same version win; the other gets 409 conflict", async () => {
    await call("PUT", "/api/pricing/prices/RACE-1", {
      amount: 1000,
      currency: "EUR",
      expectedVersion: 0,
    });
    for (let round = 1; round <= 3; round++) {
      const replies = await Promise.all(
        [2000 + round, 3000 + round].map((amount) =>
          call(
            "PUT",
            "/api/pricing/prices/RACE-1",
            { amount, currency: "EUR", expectedVersion: round },
            agent,
          ),
        ),
      );
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = replies.find((r) => r.status === 409);
      expect(loser?.body.code).toBe("conflict");
      const winner = replies.find((r) => r.status === 200);
      const now = (await call("GET", "/api/pricing/prices/RACE-1")).body;
      expect(now).toMatchObject({ version: round + 1, base: winner?.body.base });
    }
    // creating what exists with expectedVersion 0: conflict too
    const again = await call("PUT", "/api/pricing/prices/RACE-1", {
      amount: 5,
      currency: "EUR",
      expectedVersion: 0,
    });
    expect(again.status).toBe(409);
    // two racing creations: one wins
    const created = await Promise.all(
      [1, 2].map((i) =>
        call("PUT", "/api/pricing/prices/RACE-2", {
          amount: i * 100,
          currency: "EUR",
          expectedVersion: 0,
        }),
      ),
    );
    expect(created.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it("refuses bad prices, rules and signals with codes", async () => {
    const bad: [string, string, unknown][] = [
      ["PUT", "/api/pricing/prices/X-1", { amount: 19.99, currency: "EUR" }],
      ["PUT", "/api/pricing/prices/X-1", { amount: -1, currency: "EUR" }],
      ["PUT", "/api/pricing/prices/X-1", { amount: 100, currency: "euro" }],
      ["PUT", "/api/pricing/prices/X-1", { amount: 100, currency: "XXY" }],
      ["PUT", "/api/pricing/prices/X-1", { amount: 100, currency: "EUR", floor: 50, ceiling: 10 }],
      ["PUT", "/api/pricing/prices/X-1", { amount: 100, currency: "EUR", extra: 1 }],
      ["PUT", "/api/pricing/prices/X-1", { amount: 1e12, currency: "EUR" }],
      ["PUT", "/api/pricing/prices/bad%20sku", { amount: 100, currency: "EUR" }],
      ["PUT", "/api/pricing/prices/X-1", "{not json"],
      ["POST", "/api/pricing/rules", { name: "r", adjust: { percent: 12.345 } }],
      [
        "POST",
        "/api/pricing/rules",
        { name: "r", adjust: { percent: 5 }, when: [{ kind: "time", from: "9", to: "12:00" }] },
      ],
      [
        "POST",
        "/api/pricing/rules",
        {
          name: "r",
          adjust: { percent: 5 },
          when: [{ kind: "signal", name: "Demand!", atLeast: 1 }],
        },
      ],
      [
        "POST",
        "/api/pricing/rules",
        { name: "r", adjust: { percent: 5 }, when: [{ kind: "stock" }] },
      ],
      ["PUT", "/api/pricing/signals/demand", { value: "high" }],
      ["PUT", "/api/pricing/signals/Bad-Name", { value: 1 }],
      ["POST", "/api/pricing/quote", { sku: "SCREEN-1", at: "tomorrow" }],
      ["POST", "/api/pricing/quote", { sku: "SCREEN-1", code: "no spaces" }],
    ];
    for (const [method, path, body] of bad) {
      const r = await call(method, path, body, agent);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    expect(
      (await call("POST", "/api/pricing/rules", { name: "r", adjust: { percent: 5 } }, customer))
        .status,
    ).toBe(403);
  });

  it("quotes with every factor explained: rules, a promotion code, a forecast for a time window", async () => {
    await call("PUT", "/api/pricing/prices/BATTERY-1", { amount: 5000, currency: "EUR" });
    const peak = await call("POST", "/api/pricing/rules", {
      name: "Peak hours",
      skus: ["BATTERY-1"],
      when: [{ kind: "time", from: "09:00", to: "12:00" }],
      adjust: { percent: 20 },
    });
    expect(peak.status).toBe(201);
    expect(ruleSchema.parse(peak.body).version).toBe(1);
    const promo = await call("POST", "/api/pricing/rules", {
      name: "Spring promo",
      skus: ["BATTERY-1"],
      when: [{ kind: "code", code: "SPRING10" }],
      adjust: { percent: -10 },
    });
    // a forecast inside the Oslo morning peak, and outside it
    const inPeak = quoteResultSchema.parse(
      (
        await call(
          "POST",
          "/api/pricing/quote",
          { sku: "BATTERY-1", at: "2030-01-07T09:30:00Z" },
          null,
        )
      ).body,
    );
    expect(inPeak).toMatchObject({ base: 5000, final: 6000, currency: "EUR", live: false });
    expect(inPeak.factors).toEqual([
      {
        rule: peak.body.id,
        name: "Peak hours",
        effect: 1000,
        reason: "+20% (09:00–12:00 Europe/Oslo)",
      },
    ]);
    const offPeak = (
      await call("POST", "/api/pricing/quote", {
        sku: "BATTERY-1",
        at: "2030-01-07T13:30:00Z",
        code: "spring10",
      })
    ).body;
    expect(offPeak.final).toBe(4500);
    expect(offPeak.factors.map((f: { rule: string }) => f.rule)).toEqual([promo.body.id]);
    // the live quote is the published price, plus what the code takes off
    const live = (await call("GET", "/api/pricing/prices/BATTERY-1")).body;
    const withCode = (
      await call("POST", "/api/pricing/quote", { sku: "BATTERY-1", code: "SPRING10" })
    ).body;
    expect(withCode.live).toBe(true);
    expect(withCode.final).toBe(live.amount - 500);
    expect((await call("POST", "/api/pricing/quote", { sku: "NOPE-1" })).status).toBe(404);
  });

  it("edits a rule at the version seen (409 otherwise) and reprices what it touches at once", async () => {
    // no step limit here: the rule's change shows in full at once
    await call("PUT", "/api/pricing/prices/CASE-1", {
      amount: 2000,
      currency: "EUR",
      maxStepPercent: 100,
    });
    const rule = (
      await call("POST", "/api/pricing/rules", {
        name: "Case deal",
        skus: ["CASE-1"],
        adjust: { percent: -10 },
      })
    ).body;
    expect((await call("GET", "/api/pricing/prices/CASE-1")).body.amount).toBe(1800);
    const edits = await Promise.all(
      [-20, -30].map((percent) =>
        call("PUT", `/api/pricing/rules/${rule.id}`, {
          expectedVersion: 1,
          rule: { name: "Case deal", skus: ["CASE-1"], adjust: { percent } },
        }),
      ),
    );
    expect(edits.map((e) => e.status).sort()).toEqual([200, 409]);
    const won = edits.find((e) => e.status === 200)?.body;
    const price = (await call("GET", "/api/pricing/prices/CASE-1")).body;
    expect(price.amount).toBe(2000 + (won.adjust.percent * 2000) / 100);
    expect(price.factors[0]).toMatchObject({ rule: rule.id, name: "Case deal" });
    expect((await call("DELETE", `/api/pricing/rules/${rule.id}`)).status).toBe(204);
    expect((await call("GET", "/api/pricing/prices/CASE-1")).body.amount).toBe(2000);
    expect((await call("DELETE", `/api/pricing/rules/${rule.id}`)).status).toBe(404);
  });

  it("keeps the history of every live price, newest first, with the 30-day trend", async () => {
    for (const amount of [3000, 2500, 2800])
      await call("PUT", "/api/pricing/prices/CABLE-1", { amount, currency: "EUR" });
    const h = historyPageSchema.parse(
      (await call("GET", "/api/pricing/history/CABLE-1?limit=2", undefined, null)).body,
    );
    expect(h.items.map((i) => i.amount)).toEqual([2800, 2500]);
    expect(h.items[0]).toMatchObject({ cause: "list", by: "server" });
    expect(h.nextCursor).toBeDefined();
    expect(h.trend).toMatchObject({
      current: 2800,
      lowest30Days: 2500,
      highest30Days: 3000,
      currency: "EUR",
    });
    const rest = (await call("GET", `/api/pricing/history/CABLE-1?limit=2&cursor=${h.nextCursor}`))
      .body;
    expect(rest.items.map((i: { amount: number }) => i.amount)).toEqual([3000]);
  });
});
