import { afterEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("a customer's reservations are capped on %s", (database) => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  it("caps quantity, TTL and active reservations (exact across two nodes); staff are not capped", async () => {
    const env = {
      SWITCHBOARD_INVENTORY_MAX_QUANTITY: "5",
      SWITCHBOARD_INVENTORY_MAX_TTL_SECONDS: "600",
      SWITCHBOARD_INVENTORY_MAX_ACTIVE_RESERVATIONS: "3",
    };
    const a = await startTestServer({ database, env });
    const b = await startTestServer({ shareWith: a, env });
    servers.push(a, b);
    const call = (node: TestServer, token: string, method: string, path: string, body?: unknown) =>
      restCall(node, method, path, { body, token });
    expect(
      (await call(a, a.apiKey, "PUT", "/api/inventory/items/cap-1", { onHand: 1000 })).status,
    ).toBeLessThan(300);
    const hoarder = await a.token({ sub: "hoarder" });

    const tooMany = await call(a, hoarder, "POST", "/api/inventory/reservations", {
      sku: "cap-1",
      quantity: 6,
    });
    expect(tooMany.status).toBe(400);
    const tooLong = await call(a, hoarder, "POST", "/api/inventory/reservations", {
      sku: "cap-1",
      quantity: 1,
      ttlSeconds: 7 * 24 * 3600,
    });
    expect(tooLong.status).toBe(400);

    // 12 racing reservations through both nodes: exactly 3 are made.
    const racing = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(i % 2 ? a : b, hoarder, "POST", "/api/inventory/reservations", {
          sku: "cap-1",
          quantity: 5,
        }),
      ),
    );
    expect(racing.filter((r) => r.status === 201)).toHaveLength(3);
    expect(racing.filter((r) => r.status === 429)).toHaveLength(9);
    const item = await call(a, a.apiKey, "GET", "/api/inventory/items/cap-1");
    expect(item.body.reserved).toBe(15);

    // Releasing one makes room for one more.
    const mine = racing.find((r) => r.status === 201)?.body.id as string;
    expect(
      (await call(b, hoarder, "POST", `/api/inventory/reservations/${mine}/release`)).status,
    ).toBe(200);
    expect(
      (await call(b, hoarder, "POST", "/api/inventory/reservations", { sku: "cap-1", quantity: 1 }))
        .status,
    ).toBe(201);

    // Staff and the API key are not capped.
    const staff = await a.token({ sub: "clerk", role: "agent" });
    const big = await call(a, staff, "POST", "/api/inventory/reservations", {
      sku: "cap-1",
      quantity: 500,
      ttlSeconds: 7 * 24 * 3600,
      customerId: "hoarder",
    });
    expect(big.status).toBe(201);
  }, 60_000);
});
