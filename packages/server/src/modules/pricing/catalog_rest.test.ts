import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { getCatalogProduct } from "./catalog.js";
import { catalogPageSchema, catalogProductSchema } from "./contract.js";

describe.each(DIALECTS)("the catalog over REST on %s", (database) => {
  let server: TestServer;
  let customer: string;
  let agent: string;
  beforeAll(async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0" },
    });
    customer = await server.token({ sub: "cat-carol", role: "customer" });
    agent = await server.token({ sub: "cat-sam", role: "agent" });
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });
  const names = (body: unknown) => catalogPageSchema.parse(body).items.map((p) => p.name);

  it("lets staff add products with prices; anyone searches, filters, sorts and pages them", async () => {
    const products = [
      ["CAT-CASE", "Phone case", "Silicone case, blue", "accessories", 1_990],
      ["CAT-SCREEN", "Screen repair", "New OLED screen 100% fitted", "repairs", 12_900],
      ["CAT-BATT", "Battery swap", "Fresh battery, same day", "repairs", 5_900],
      ["CAT-CABLE", "USB_C cable", "Braided cable", "accessories", 990],
    ] as const;
    for (const [sku, name, description, category, amount] of products) {
      const r = await call(
        "PUT",
        `/api/catalog/products/${sku}`,
        { name, description, category, price: { amount, currency: "EUR" }, teamId: "repairs-team" },
        agent,
      );
      expect(r.status).toBe(200);
      expect(catalogProductSchema.parse(r.body)).toMatchObject({
        id: sku,
        name,
        stockSku: sku,
        teamId: "repairs-team",
        version: 1,
        price: { base: amount, amount, currency: "EUR", onSale: false },
      });
    }
    // the price went through the price list: its entry exists with the same amount
    expect((await call("GET", "/api/pricing/prices/CAT-BATT", undefined, null)).body).toMatchObject(
      {
        base: 5_900,
      },
    );

    const all = await call("GET", "/api/catalog/products?q=cat", undefined, null);
    expect(names(all.body)).toEqual(["Battery swap", "Phone case", "Screen repair", "USB_C cable"]);
    expect(catalogPageSchema.parse(all.body).categories).toEqual(
      expect.arrayContaining(["accessories", "repairs"]),
    );
    const repairs = await call(
      "GET",
      "/api/catalog/products?category=repairs&sort=-price",
      undefined,
      null,
    );
    expect(names(repairs.body)).toEqual(["Screen repair", "Battery swap"]);
    const cheap = await call("GET", "/api/catalog/products?q=cat-&sort=price", undefined, null);
    expect(names(cheap.body)).toEqual([
      "USB_C cable",
      "Phone case",
      "Battery swap",
      "Screen repair",
    ]);
    // every word must match; LIKE's own characters are taken literally
    expect(
      names((await call("GET", "/api/catalog/products?q=same%20battery", undefined, null)).body),
    ).toEqual(["Battery swap"]);
    expect(
      names((await call("GET", "/api/catalog/products?q=100%25", undefined, null)).body),
    ).toEqual(["Screen repair"]);
    expect(names((await call("GET", "/api/catalog/products?q=n_r", undefined, null)).body)).toEqual(
      [],
    );
    // pages of 3 then 1, nothing twice
    const first = catalogPageSchema.parse(
      (await call("GET", "/api/catalog/products?q=cat-&limit=3", undefined, null)).body,
    );
    expect(first.items).toHaveLength(3);
    const second = catalogPageSchema.parse(
      (
        await call(
          "GET",
          `/api/catalog/products?q=cat-&limit=3&cursor=${first.nextCursor}`,
          undefined,
          null,
        )
      ).body,
    );
    expect(second.items.map((p) => p.sku)).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect(new Set([...first.items, ...second.items].map((p) => p.sku)).size).toBe(4);

    // the surface other modules read
    expect(await getCatalogProduct(server.app.store.db, "CAT-CASE")).toMatchObject({
      id: "CAT-CASE",
      name: "Phone case",
      teamId: "repairs-team",
    });
    expect(await getCatalogProduct(server.app.store.db, "CAT-NONE")).toBeUndefined();
  });

  it("shows a sale (live price below the list price) and keeps fields left out", async () => {
    await call(
      "PUT",
      "/api/catalog/products/CAT-SALE",
      { name: "Charger", price: { amount: 2_000, currency: "EUR" } },
      agent,
    );
    const rule = await call(
      "POST",
      "/api/pricing/rules",
      { name: "charger sale", skus: ["CAT-SALE"], adjust: { percent: -25 } },
      agent,
    );
    expect(rule.status).toBe(201);
    const got = catalogProductSchema.parse(
      (await call("GET", "/api/catalog/products/CAT-SALE", undefined, null)).body,
    );
    expect(got.price).toEqual({ currency: "EUR", base: 2_000, amount: 1_500, onSale: true });
    const edited = await call(
      "PUT",
      "/api/catalog/products/CAT-SALE",
      { name: "Fast charger", expectedVersion: 1 },
      agent,
    );
    expect(edited.body).toMatchObject({ name: "Fast charger", version: 2, price: { base: 2_000 } });
    const stale = await call(
      "PUT",
      "/api/catalog/products/CAT-SALE",
      { name: "Slow charger", expectedVersion: 1 },
      agent,
    );
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe("conflict");
  });

  it("lets exactly one of two racing creators win", async () => {
    const results = await Promise.all(
      [1, 2].map((i) =>
        call(
          "PUT",
          "/api/catalog/products/CAT-RACE",
          { name: `racer ${i}`, expectedVersion: 0 },
          agent,
        ),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it("refuses customers, strangers and bad input with codes; 404 for what is not there", async () => {
    const body = { name: "Nope" };
    expect((await call("PUT", "/api/catalog/products/CAT-X", body, customer)).status).toBe(403);
    expect((await call("PUT", "/api/catalog/products/CAT-X", body, null)).status).toBe(401);
    expect((await call("DELETE", "/api/catalog/products/CAT-X", undefined, customer)).status).toBe(
      403,
    );
    for (const bad of [
      {},
      { name: "" },
      { name: "x".repeat(201) },
      { name: "ok", category: "Has Capitals" },
      { name: "ok", price: { amount: 9.99, currency: "EUR" } },
      { name: "ok", price: { amount: 100, currency: "EURO" } },
      { name: "ok", unknown: true },
      { name: "bell\u0007" },
    ]) {
      const r = await call("PUT", "/api/catalog/products/CAT-X", bad, agent);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    expect((await call("PUT", "/api/catalog/products/bad%20sku", body, agent)).status).toBe(400);
    for (const q of [
      "sort=cheapest",
      "limit=0",
      "limit=1000",
      "cursor=abc",
      `q=${"x".repeat(101)}`,
    ])
      expect((await call("GET", `/api/catalog/products?${q}`, undefined, null)).status, q).toBe(
        400,
      );
    expect((await call("GET", "/api/catalog/products/CAT-NONE", undefined, null)).status).toBe(404);
    expect((await call("DELETE", "/api/catalog/products/CAT-NONE", undefined, agent)).status).toBe(
      404,
    );
    await call("PUT", "/api/catalog/products/CAT-GONE", body, agent);
    expect((await call("DELETE", "/api/catalog/products/CAT-GONE", undefined, agent)).status).toBe(
      204,
    );
    expect((await call("GET", "/api/catalog/products/CAT-GONE", undefined, null)).status).toBe(404);
  });
});
