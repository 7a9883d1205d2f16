import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { ruleSchema } from "./contract.js";

describe.each(DIALECTS)("promotion usage limits on %s", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database });
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });

  it("24 shoppers racing for a 5-use code: exactly 5 locks get the discount, 19 get promo_exhausted", async () => {
    await call("PUT", "/api/pricing/prices/PROMO-ITEM", { amount: 10_000, currency: "EUR" });
    const rule = await call("POST", "/api/pricing/rules", {
      name: "Launch code",
      when: [{ kind: "code", code: "LAUNCH" }],
      adjust: { percent: -30 },
      maxUses: 5,
    });
    expect(rule.status).toBe(201);
    expect(ruleSchema.parse(rule.body)).toMatchObject({ maxUses: 5, uses: 0 });
    const tokens = await Promise.all(
      Array.from({ length: 24 }, (_, i) => server.token({ sub: `promo-${i}`, role: "customer" })),
    );
    const results = await Promise.all(
      tokens.map((t) =>
        call("POST", "/api/pricing/locks", { sku: "PROMO-ITEM", code: "launch" }, t),
      ),
    );
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(5);
    for (const w of won) expect(w.body.amount).toBe(7_000);
    const lost = results.filter((r) => r.status !== 201);
    expect(lost.map((r) => `${r.status} ${r.body.code}`)).toEqual(
      Array(19).fill("409 promo_exhausted"),
    );
    const rules = (await call("GET", "/api/pricing/rules")).body.rules as { id: string }[];
    expect(rules.find((r) => r.id === rule.body.id)).toMatchObject({ uses: 5, maxUses: 5 });
    // once used up, a shopper's quote with the code no longer takes anything off
    await new Promise((r) => setTimeout(r, 1100)); // other nodes' rule copies age out within 1 s
    const quote = await call("POST", "/api/pricing/quote", { sku: "PROMO-ITEM", code: "LAUNCH" });
    expect(quote.body.final).toBe(10_000);
    // without the code a lock is still taken at the list price
    expect(
      (await call("POST", "/api/pricing/locks", { sku: "PROMO-ITEM" }, tokens[0])).status,
    ).toBe(201);
  });

  it("refuses a usage limit on a rule that is not a promotion, and bad limits", async () => {
    for (const bad of [
      { name: "x", adjust: { percent: -5 }, maxUses: 3 },
      { name: "x", when: [{ kind: "code", code: "A" }], adjust: { percent: -5 }, maxUses: 0 },
      { name: "x", when: [{ kind: "code", code: "A" }], adjust: { percent: -5 }, maxUses: 1.5 },
    ]) {
      const r = await call("POST", "/api/pricing/rules", bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
  });
});
