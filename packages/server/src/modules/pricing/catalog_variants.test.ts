import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { catalogPageSchema, catalogProductSchema } from "./contract.js";

describe.each(DIALECTS)("product variants linked to inventory SKUs on %s", (database) => {
  let server: TestServer;
  let agent: string;
  beforeAll(async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0" },
    });
    agent = await server.token({ sub: "var-sam", role: "agent" });
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });

  it("keeps variants in order with their own prices (each an inventory SKU), replaces and clears them", async () => {
    const put = await call(
      "PUT",
      "/api/catalog/products/VAR-TEE",
      {
        name: "Tee",
        price: { amount: 1_500, currency: "EUR" },
        variants: [
          { sku: "VAR-TEE-L", name: "Large", price: { amount: 1_700, currency: "EUR" } },
          { sku: "VAR-TEE-S", name: "Small", price: { amount: 1_400, currency: "EUR" } },
          { sku: "VAR-TEE-M", name: "Medium" },
        ],
      },
      agent,
    );
    expect(put.status).toBe(200);
    const tee = catalogProductSchema.parse(put.body);
    expect(tee.variants.map((v) => [v.sku, v.name, v.price?.amount])).toEqual([
      ["VAR-TEE-L", "Large", 1_700],
      ["VAR-TEE-S", "Small", 1_400],
      ["VAR-TEE-M", "Medium", undefined],
    ]);
    // each variant's price is a price entry of its own, like any SKU's
    expect((await call("GET", "/api/pricing/prices/VAR-TEE-S")).body).toMatchObject({
      base: 1_400,
      amount: 1_400,
      currency: "EUR",
    });
    // the list carries them too, and a later price change of a variant shows there
    await call("PUT", "/api/pricing/prices/VAR-TEE-M", { amount: 1_550, currency: "EUR" }, agent);
    const page = catalogPageSchema.parse((await call("GET", "/api/catalog/products?q=tee")).body);
    expect(page.items[0]?.variants.map((v) => v.price?.amount)).toEqual([1_700, 1_400, 1_550]);

    // absent: kept; a new list replaces; [] clears
    await call("PUT", "/api/catalog/products/VAR-TEE", { name: "Tee (organic)" }, agent);
    expect((await call("GET", "/api/catalog/products/VAR-TEE")).body.variants).toHaveLength(3);
    await call(
      "PUT",
      "/api/catalog/products/VAR-TEE",
      { name: "Tee", variants: [{ sku: "VAR-TEE-S", name: "S" }] },
      agent,
    );
    expect((await call("GET", "/api/catalog/products/VAR-TEE")).body.variants).toEqual([
      {
        sku: "VAR-TEE-S",
        name: "S",
        price: { currency: "EUR", base: 1_400, amount: 1_400, onSale: false },
      },
    ]);
    await call("PUT", "/api/catalog/products/VAR-TEE", { name: "Tee", variants: [] }, agent);
    expect((await call("GET", "/api/catalog/products/VAR-TEE")).body.variants).toEqual([]);
  });

  it("refuses a variant SKU another product holds, the product's own SKU, duplicates and bad input", async () => {
    await call(
      "PUT",
      "/api/catalog/products/VAR-CUP",
      { name: "Cup", variants: [{ sku: "VAR-CUP-RED", name: "Red" }] },
      agent,
    );
    const stolen = await call(
      "PUT",
      "/api/catalog/products/VAR-MUG",
      { name: "Mug", variants: [{ sku: "VAR-CUP-RED", name: "Red" }] },
      agent,
    );
    expect(stolen.status).toBe(409);
    expect(stolen.body.code).toBe("conflict");
    // refused before anything was written
    expect((await call("GET", "/api/catalog/products/VAR-MUG")).status).toBe(404);
    const own = await call(
      "PUT",
      "/api/catalog/products/VAR-CUP",
      { name: "Cup", variants: [{ sku: "VAR-CUP", name: "Itself" }] },
      agent,
    );
    expect(own.status).toBe(400);
    for (const variants of [
      [
        { sku: "VAR-X", name: "A" },
        { sku: "VAR-X", name: "B" },
      ],
      [{ sku: "VAR-X" }],
      [{ sku: "bad sku!", name: "A" }],
      [{ sku: "VAR-X", name: "A", price: { amount: 1.5, currency: "EUR" } }],
      [{ sku: "VAR-X", name: "A", colour: "red" }],
      Array.from({ length: 51 }, (_, i) => ({ sku: `VAR-N${i}`, name: "n" })),
    ]) {
      const r = await call(
        "PUT",
        "/api/catalog/products/VAR-CUP",
        { name: "Cup", variants },
        agent,
      );
      expect(r.status, JSON.stringify(variants).slice(0, 80)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    // only staff
    const customer = await server.token({ sub: "var-carol", role: "customer" });
    expect(
      (await call("PUT", "/api/catalog/products/VAR-CUP", { name: "Cup", variants: [] }, customer))
        .status,
    ).toBe(403);
  });
});
