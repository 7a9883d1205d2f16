import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { ok, overview, until } from "./test-kit.js";

/**
 * A view shorter than the presence sample interval still counts: the viewer is recorded when the
 * product page's subscribe is allowed. The sample runs every 10 minutes here, so only the
 * subscribe can have counted these customers.
 */
describe.each(DIALECTS)("product views counted at subscribe (%s)", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_METRICS_VIEWERS_SAMPLE_MS: "600000", SWITCHBOARD_CHAT_BOT: "off" },
    });
  }, 60_000);
  afterAll(async () => {
    closeAll(clients);
    await server?.close();
  });

  const glance = async (sub: string, role: "customer" | "agent", sku: string) => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
    clients.push(c);
    await c.subscribe(`product:${sku}`);
    c.close(); // gone long before any sample
  };

  it("counts customers who glanced at a page once a day, staff never", async () => {
    await ok(
      restCall(server, "PUT", "/api/inventory/items/MUG-1", { body: { onHand: 5, name: "Mug" } }),
    );
    await glance("uma", "customer", "MUG-1");
    await glance("vic", "customer", "MUG-1");
    await glance("uma", "customer", "MUG-2"); // the same customer again: one viewer
    await glance("agent-wes", "agent", "MUG-1");
    // viewers are active customers of the day too (one overview reads the two tables separately,
    // so wait for both)
    await until(
      "two viewers, active customers",
      () => overview(server),
      (v) => v.viewers.value === 2 && v.activeCustomers.value === 2,
    );
    // nothing more arrives later (the staff glance and the repeat stay uncounted)
    await new Promise((r) => setTimeout(r, 1000));
    const o = await overview(server);
    expect([o.viewers.value, o.activeCustomers.value]).toEqual([2, 2]);
  }, 120_000);
});
