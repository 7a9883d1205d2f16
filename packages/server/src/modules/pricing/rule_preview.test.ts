import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { quoteResultSchema, rulePreviewSchema, ruleSchema } from "./contract.js";

/** Tuesday 2026-12-08 10:30 in Oslo (UTC+1): inside a 09:00–12:00 peak window. */
const PEAK = "2026-12-08T09:30:00.000Z";
/** The same day 13:00 in Oslo: outside it. */
const QUIET = "2026-12-08T12:00:00.000Z";

describe.each(DIALECTS)(
  "a draft rule previewed without saving, quotes over rpc, on %s",
  (database) => {
    let server: TestServer;
    let customer: string;
    let agent: string;
    const clients: RawClient[] = [];
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
      await call("PUT", "/api/pricing/prices/PV-1", { amount: 10_000, currency: "EUR" }, agent);
    });
    afterAll(async () => {
      closeAll(clients);
      await server.close();
    });
    const call = (method: string, path: string, body?: unknown, token?: string | null) =>
      restCall(server, method, path, { body, ...(token !== undefined && { token }) });
    const peakRule = {
      name: "Morning peak",
      skus: ["PV-1"],
      when: [{ kind: "time", from: "09:00", to: "12:00" }],
      adjust: { percent: 20 },
    };

    it("quotes an item with a draft rule, explains it, and saves nothing", async () => {
      const before = (await call("GET", "/api/pricing/rules", undefined, agent)).body.rules.length;
      const r = await call(
        "POST",
        "/api/pricing/rules/preview",
        { rule: peakRule, sku: "PV-1", at: PEAK },
        agent,
      );
      expect(r.status).toBe(200);
      const p = rulePreviewSchema.parse(r.body);
      expect(p.without).toMatchObject({ sku: "PV-1", base: 10_000, final: 10_000, factors: [] });
      expect(p.with.final).toBe(12_000);
      expect(p.with.factors).toEqual([
        expect.objectContaining({ rule: "draft", name: "Morning peak", effect: 2_000 }),
      ]);
      expect(p.with.factors[0]?.reason).toContain("09:00–12:00");
      // outside the window the draft takes nothing
      const quiet = await call(
        "POST",
        "/api/pricing/rules/preview",
        { rule: peakRule, sku: "PV-1", at: QUIET },
        agent,
      );
      expect(quiet.body.with).toMatchObject({ final: 10_000, factors: [] });
      // nothing was written: same rules, same live price
      expect((await call("GET", "/api/pricing/rules", undefined, agent)).body.rules).toHaveLength(
        before,
      );
      expect((await call("GET", "/api/pricing/prices/PV-1")).body).toMatchObject({
        amount: 10_000,
      });
    });

    it("previews an edit in place of the saved rule it replaces", async () => {
      const saved = ruleSchema.parse(
        (
          await call(
            "POST",
            "/api/pricing/rules",
            { ...peakRule, name: "Peak +10", adjust: { percent: 10 } },
            agent,
          )
        ).body,
      );
      const edit = { ...peakRule, name: "Peak -5", adjust: { percent: -5 } };
      const replaced = await call(
        "POST",
        "/api/pricing/rules/preview",
        { rule: edit, replaces: saved.id, sku: "PV-1", at: PEAK },
        agent,
      );
      expect(replaced.status).toBe(200);
      expect(replaced.body.without).toMatchObject({
        final: 11_000,
        factors: [expect.objectContaining({ rule: saved.id, effect: 1_000 })],
      });
      expect(replaced.body.with).toMatchObject({
        final: 9_500,
        factors: [expect.objectContaining({ rule: "draft", effect: -500 })],
      });
      // without `replaces` the draft stacks on the saved rule
      const added = await call(
        "POST",
        "/api/pricing/rules/preview",
        { rule: edit, sku: "PV-1", at: PEAK },
        agent,
      );
      expect(added.body.with.final).toBe(10_500);
      // the saved rule is untouched
      const list = (await call("GET", "/api/pricing/rules", undefined, agent)).body.rules;
      expect(list.find((r: { id: string }) => r.id === saved.id)).toMatchObject({
        name: "Peak +10",
        version: 1,
      });
      await call("DELETE", `/api/pricing/rules/${saved.id}`, undefined, agent);
    });

    it("is for staff only", async () => {
      const body = { rule: peakRule, sku: "PV-1" };
      expect((await call("POST", "/api/pricing/rules/preview", body, customer)).status).toBe(403);
      expect((await call("POST", "/api/pricing/rules/preview", body, null)).status).toBe(401);
    });

    it.each([
      ["no item", { rule: { name: "x", adjust: { percent: 5 } } }],
      [
        "both sku and service",
        { rule: { name: "x", adjust: { percent: 5 } }, sku: "PV-1", service: "cut" },
      ],
      ["no rule", { sku: "PV-1" }],
      [
        "a bad window",
        {
          rule: {
            name: "x",
            when: [{ kind: "time", from: "9", to: "12:00" }],
            adjust: { percent: 5 },
          },
          sku: "PV-1",
        },
      ],
      ["a fractional percent", { rule: { name: "x", adjust: { percent: 1.234 } }, sku: "PV-1" }],
      [
        "a signal with no range",
        {
          rule: { name: "x", when: [{ kind: "signal", name: "demand" }], adjust: { percent: 5 } },
          sku: "PV-1",
        },
      ],
      [
        "an unknown field",
        { rule: { name: "x", adjust: { percent: 5 } }, sku: "PV-1", save: true },
      ],
      [
        "a bad instant",
        { rule: { name: "x", adjust: { percent: 5 } }, sku: "PV-1", at: "tomorrow" },
      ],
    ])("refuses %s with 400 bad_request", async (_label, body) => {
      const r = await call("POST", "/api/pricing/rules/preview", body, agent);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("bad_request");
    });

    it("answers 404 for an item without a price or an unknown replaced rule", async () => {
      const rule = { name: "x", adjust: { percent: 5 } };
      expect(
        (await call("POST", "/api/pricing/rules/preview", { rule, sku: "NOPE-1" }, agent)).body,
      ).toMatchObject({ code: "not_found" });
      expect(
        (
          await call(
            "POST",
            "/api/pricing/rules/preview",
            { rule, sku: "PV-1", replaces: "01NOSUCHRULE" },
            agent,
          )
        ).body,
      ).toMatchObject({ code: "not_found" });
    });

    it("quotes over the socket exactly as over REST, and refuses bad params there too", async () => {
      const c = await RawClient.connect(server.wsUrl, customer);
      clients.push(c);
      const rest = quoteResultSchema.parse(
        (await call("POST", "/api/pricing/quote", { sku: "PV-1", at: QUIET }, customer)).body,
      );
      const reply = await c.request({
        type: "rpc",
        method: "pricing.quote",
        params: { sku: "PV-1", at: QUIET },
      });
      expect(reply).toMatchObject({ type: "result" });
      expect(quoteResultSchema.parse((reply as { data: unknown }).data)).toEqual(rest);
      expect(
        await c.request({ type: "rpc", method: "pricing.quote", params: { sku: "bad sku" } }),
      ).toMatchObject({ type: "error", code: "bad_request" });
      expect(
        await c.request({
          type: "rpc",
          method: "pricing.quote",
          params: { sku: "PV-1", service: "cut" },
        }),
      ).toMatchObject({ type: "error", code: "bad_request" });
      expect(
        await c.request({ type: "rpc", method: "pricing.quote", params: { sku: "NOPE-1" } }),
      ).toMatchObject({ type: "error", code: "not_found" });
      // the socket is still up
      expect(
        await c.request({ type: "rpc", method: "pricing.quote", params: { sku: "PV-1" } }),
      ).toMatchObject({ type: "result" });
    });
  },
);
