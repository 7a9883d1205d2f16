import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe("storefront catalog", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    for (const [sku, onHand] of [
      ["A-1", 3],
      ["B-2", 0],
      ["C-3", 40],
    ] as const) {
      await restCall(server, "PUT", `/api/inventory/items/${sku}`, {
        body: { onHand, name: `Item ${sku}`, lowStockThreshold: 5 },
      });
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it("lists names and availability to anyone, without counts, paginated", async () => {
    // anyone: no credentials
    const get = (query: string) =>
      restCall(server, "GET", `/api/inventory/catalog?${query}`, { token: null });
    const first = (await get("limit=2")).body;
    expect(first.items).toEqual([
      { sku: "A-1", name: "Item A-1", available: 3, inStock: true, lowStock: true },
      { sku: "B-2", name: "Item B-2", available: 0, inStock: false, lowStock: false },
    ]);
    const rest = (await get(`limit=2&cursor=${first.nextCursor}`)).body;
    expect(rest.items.map((i: { sku: string }) => i.sku)).toEqual(["C-3"]);
    expect(rest.nextCursor).toBeUndefined();
    expect((await get("limit=0")).status).toBe(400);
  });
});
