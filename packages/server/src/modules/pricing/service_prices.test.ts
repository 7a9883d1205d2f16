import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { quoteResultSchema, recommendationsSchema } from "./contract.js";

describe("appointment service prices and the cheapest upcoming slots", () => {
  let server: TestServer;
  let customer: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { SWITCHBOARD_PRICING_TIME_ZONE: "UTC" } });
    customer = await server.token({ sub: "rec-ann", role: "customer" });
    const put = (path: string, body: unknown) =>
      restCall(server, "PUT", `/api/appointments${path}`, { body });
    expect((await put("/services/fix", { name: "Screen fix", durationMinutes: 60 })).status).toBe(
      200,
    );
    const allDay = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
    );
    expect(
      (
        await put("/resources/bench", {
          name: "Bench",
          timeZone: "UTC",
          services: ["fix"],
          hours: allDay,
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });

  it("prices a service like an item: its entry service:{id}, peak rules, quotes by `service`", async () => {
    expect(
      (await call("PUT", "/api/pricing/prices/service:fix", { amount: 8_000, currency: "EUR" }))
        .status,
    ).toBe(200);
    const peak = await call("POST", "/api/pricing/rules", {
      name: "Peak hours",
      skus: ["service:fix"],
      when: [{ kind: "time", from: "09:00", to: "17:00" }],
      adjust: { percent: 20 },
    });
    expect(peak.status).toBe(201);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const at10 = quoteResultSchema.parse(
      (await call("POST", "/api/pricing/quote", { service: "fix", at: `${tomorrow}T10:00:00Z` }))
        .body,
    );
    expect(at10).toMatchObject({ sku: "service:fix", base: 8_000, final: 9_600 });
    const at20 = quoteResultSchema.parse(
      (await call("POST", "/api/pricing/quote", { service: "fix", at: `${tomorrow}T20:00:00Z` }))
        .body,
    );
    expect(at20.final).toBe(8_000);

    const rec = await call(
      "GET",
      "/api/pricing/recommendations?service=fix&days=2&limit=5",
      undefined,
      customer,
    );
    expect(rec.status).toBe(200);
    const body = recommendationsSchema.parse(rec.body);
    expect(body).toMatchObject({ service: "fix", currency: "EUR", base: 8_000 });
    expect(body.slots).toHaveLength(5);
    for (const s of body.slots) {
      expect(s.final).toBe(8_000);
      const hour = new Date(s.start).getUTCHours();
      expect(hour < 9 || hour >= 17, s.start).toBe(true);
      expect(Date.parse(s.start)).toBeGreaterThan(Date.now());
    }
    // cheapest first, then earliest
    const starts = body.slots.map((s) => s.start);
    expect([...starts].sort()).toEqual(starts);
  });

  it("refuses bad input with codes", async () => {
    expect((await call("POST", "/api/pricing/quote", { service: "Bad Slug" })).status).toBe(400);
    expect((await call("POST", "/api/pricing/quote", { sku: "A", service: "fix" })).status).toBe(
      400,
    );
    expect((await call("POST", "/api/pricing/quote", {})).status).toBe(400);
    expect((await call("POST", "/api/pricing/quote", { service: "nope" })).status).toBe(404);
    for (const q of [
      "service=fix&days=0",
      "service=fix&days=15",
      "service=Bad",
      "days=2",
      "service=fix&limit=99",
    ])
      expect(
        (await call("GET", `/api/pricing/recommendations?${q}`, undefined, customer)).status,
        q,
      ).toBe(400);
    expect(
      (await call("GET", "/api/pricing/recommendations?service=nope", undefined, customer)).status,
    ).toBe(404);
    expect(
      (await call("GET", "/api/pricing/recommendations?service=fix", undefined, null)).status,
    ).toBe(401);
  });
});
