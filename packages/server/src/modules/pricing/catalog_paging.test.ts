import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { catalogPageSchema } from "./contract.js";

/**
 * The catalog list pages with the platform kit's keyset cursor: walking the pages while products
 * are added and removed in front of the cursor returns every product that stayed, once each, in
 * order — where an offset would repeat or skip one.
 */
describe.each(DIALECTS)("catalog paging on %s", (database) => {
  let server: TestServer;
  let agent: string;
  beforeAll(async () => {
    server = await startTestServer({ database });
    agent = await server.token({ sub: "page-sam", role: "agent" });
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });
  const put = async (sku: string, name: string, amount?: number) => {
    const r = await call(
      "PUT",
      `/api/catalog/products/${sku}`,
      { name, ...(amount !== undefined && { price: { amount, currency: "EUR" } }) },
      agent,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  /** Walks every page of `sort`, running `between` after the first page. */
  async function walk(sort: string, between: () => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const r = await call(
        "GET",
        `/api/catalog/products?q=pg-&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        undefined,
        null,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const page = catalogPageSchema.parse(r.body);
      seen.push(...page.items.map((p) => p.id));
      if (i === 0) await between();
      if (!page.nextCursor) return seen;
      cursor = page.nextCursor;
    }
    throw new Error("more than 20 pages");
  }

  it("pages by price (ties by SKU, unpriced last) and by name, stable under inserts and deletes", async () => {
    await put("PG-A", "Alpha", 500);
    await put("PG-B", "Bravo", 500); // the same price as PG-A: the SKU breaks the tie
    await put("PG-C", "Charlie", 100);
    await put("PG-D", "Delta"); // no price: last
    await put("PG-E", "Echo", 900);
    await put("PG-F", "Foxtrot"); // no price: last

    const byPrice = await walk("price", async () => {
      // before the cursor: an offset would now show a product of page one again
      await put("PG-0", "Zero", 1);
    });
    expect(byPrice).toEqual(["PG-C", "PG-A", "PG-B", "PG-E", "PG-D", "PG-F"]);

    const byPriceDesc = await walk("-price", async () => {
      // page one was PG-E, PG-B; removing it would make an offset skip PG-A
      expect((await call("DELETE", "/api/catalog/products/PG-E", undefined, agent)).status).toBe(
        204,
      );
    });
    expect(byPriceDesc).toEqual(["PG-E", "PG-B", "PG-A", "PG-C", "PG-0", "PG-F", "PG-D"]);

    const byNameDesc = await walk("-name", async () => {
      await put("PG-Z", "Zulu"); // sorts before the cursor
    });
    expect(byNameDesc).toEqual(["PG-0", "PG-F", "PG-D", "PG-C", "PG-B", "PG-A"]);
  });

  it("refuses a cursor that is not one it gave", async () => {
    for (const cursor of [
      "abc",
      Buffer.from(JSON.stringify(["x"])).toString("base64url"), // one key, the sort has two
      Buffer.from(JSON.stringify([{}, "PG-A"])).toString("base64url"),
      "x".repeat(801),
    ]) {
      const r = await call("GET", `/api/catalog/products?cursor=${cursor}`, undefined, null);
      expect(r.status, cursor).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
  });
});
