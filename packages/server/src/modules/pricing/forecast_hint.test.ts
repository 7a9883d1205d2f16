import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { forecastEventSchema } from "./contract.js";

describe("a service's future prices announce themselves on product:service:{id}", () => {
  let server: TestServer;
  let customer: string;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ env: { SWITCHBOARD_PRICING_TIME_ZONE: "UTC" } });
    customer = await server.token({ sub: "fc-ann", role: "customer" });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown) =>
    restCall(server, method, path, { body });
  const isForecast = (f: { type: string; channel?: unknown; event?: unknown }) =>
    f.type === "message" && f.channel === "product:service:wash" && f.event === "forecast";

  it("sends a `forecast` hint when a rule or a signal can move it, never for another item's", async () => {
    expect(
      (await call("PUT", "/api/pricing/prices/service:wash", { amount: 3_000, currency: "EUR" }))
        .status,
    ).toBe(200);
    expect(
      (await call("PUT", "/api/pricing/prices/OTHER-1", { amount: 100, currency: "EUR" })).status,
    ).toBe(200);
    const c = await RawClient.connect(server.wsUrl, customer);
    clients.push(c);
    await c.subscribe("product:service:wash");

    // a peak window tomorrow: the live price does not move, the forecast does
    const rule = await call("POST", "/api/pricing/rules", {
      name: "Wash peak",
      skus: ["service:wash"],
      when: [{ kind: "time", from: "03:00", to: "03:01" }],
      adjust: { percent: 20 },
    });
    expect(rule.status).toBe(201);
    const first = await c.next(isForecast, 15_000);
    expect(forecastEventSchema.parse((first as { data: unknown }).data).sku).toBe("service:wash");

    // another item's rule and signal say nothing here; a global signal does
    await call("POST", "/api/pricing/rules", {
      name: "Other only",
      skus: ["OTHER-1"],
      adjust: { percent: 5 },
    });
    await call("PUT", "/api/pricing/signals/demand", { value: 3, sku: "OTHER-1" });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(c.messages("product:service:wash").filter(isForecast)).toHaveLength(0);
    await call("PUT", "/api/pricing/signals/demand", { value: 4 });
    await c.next(isForecast, 15_000);
  }, 60_000);
});
