import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string) => {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("signals nobody reports: viewers, chat queue, staff online", () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        SWITCHBOARD_PRICING_SIGNAL_SAMPLE_MS: "200",
        SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0",
        SWITCHBOARD_PRICING_MAX_STEP_PERCENT: "100",
        SWITCHBOARD_CHAT_BOT: "off",
      },
    });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });
  const price = async (sku: string) =>
    (await call("GET", `/api/pricing/prices/${sku}`)).body as {
      amount: number;
      factors: { reason: string }[];
    };

  it("shoppers on a product page raise its price through a viewers rule, and it falls back when they leave", async () => {
    await call("PUT", "/api/pricing/prices/HOT-1", { amount: 10_000, currency: "EUR" });
    await call("PUT", "/api/pricing/prices/COLD-1", { amount: 10_000, currency: "EUR" });
    const rule = await call("POST", "/api/pricing/rules", {
      name: "Popular",
      skus: ["HOT-1", "COLD-1"],
      when: [{ kind: "signal", name: "viewers", atLeast: 2 }],
      adjust: { percent: 10 },
    });
    expect(rule.status).toBe(201);
    // a listener who is not counted (no presence) hears the change once
    const listener = await RawClient.connect(server.wsUrl, await server.token({ sub: "v-listen" }));
    clients.push(listener);
    await listener.subscribe("product:HOT-1", { presence: false });
    const viewers: RawClient[] = [];
    for (const sub of ["v-1", "v-2"]) {
      const c = await RawClient.connect(server.wsUrl, await server.token({ sub }));
      clients.push(c);
      viewers.push(c);
      await c.subscribe("product:HOT-1");
    }
    const up = await until(
      () => price("HOT-1"),
      (p) => p.amount === 11_000,
      "the viewers rule",
    );
    expect(up.factors.map((f) => f.reason).join(" ")).toContain("viewers");
    expect((await price("COLD-1")).amount).toBe(10_000); // nobody looks at it
    const events = await listener.collect(
      (f) => f.type === "message" && f.event === "price",
      1,
      15_000,
    );
    expect(events[0]?.data).toMatchObject({ sku: "HOT-1", amount: 11_000 });
    for (const c of viewers) c.close();
    await until(
      () => price("HOT-1"),
      (p) => p.amount === 10_000,
      "the price to fall back",
    );
    const signals = (await call("GET", "/api/pricing/signals")).body.signals as {
      name: string;
      sku?: string;
      value: number;
    }[];
    expect(signals.find((s) => s.name === "viewers" && s.sku === "HOT-1")?.value).toBe(0);
  });

  it("a chat queue longer than the rule's raises prices; the queue is read from chat's own event", async () => {
    await call("PUT", "/api/pricing/prices/REPAIR-1", { amount: 5_000, currency: "EUR" });
    const rule = await call("POST", "/api/pricing/rules", {
      name: "Busy desk",
      skus: ["REPAIR-1"],
      when: [{ kind: "signal", name: "chat_queue", atLeast: 2 }],
      adjust: { percent: 20 },
    });
    expect(rule.status).toBe(201);
    for (const sub of ["q-1", "q-2"]) {
      const r = await call(
        "POST",
        "/api/chat/conversations",
        { subject: "Help" },
        await server.token({ sub, role: "customer" }),
      );
      expect(r.status).toBe(201);
    }
    await until(
      () => price("REPAIR-1"),
      (p) => p.amount === 6_000,
      "the chat queue rule",
    );
    const signals = (await call("GET", "/api/pricing/signals")).body.signals as {
      name: string;
      value: number;
    }[];
    expect(signals.find((s) => s.name === "chat_queue")?.value).toBeGreaterThanOrEqual(2);
  });
});
