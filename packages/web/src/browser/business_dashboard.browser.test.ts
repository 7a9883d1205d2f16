import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: the owner's business figures", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer({
      SWITCHBOARD_METRICS_CURRENCY: "EUR",
      SWITCHBOARD_METRICS_LIVE_INTERVAL_MS: "1000",
    });
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("every tile follows real changes, the feed survives a reload, a tile leads to its list", async () => {
    const admin = await signedIn(browser, server, { user: "sam", name: "Sam", role: "admin" });
    const page = admin.page;
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "Business", exact: true }).waitFor();
    const tile = (id: string) => () => page.getByTestId(`biz-${id}`).textContent();
    await expect.poll(tile("orders"), { timeout: 10_000 }).toBe("0");
    expect(await tile("revenue")()).toBe("—");

    // an order: the tile moves live (dashboard:overview), its trend says "new" against yesterday
    await apiCall(server, "POST", "/api/orders", {
      lifecycle: "store-order",
      customerId: "alice",
      title: "Kettle",
    });
    await expect.poll(tile("orders"), { timeout: 15_000 }).toBe("1");
    expect(await page.getByTestId("trend-orders").textContent()).toContain("▲ new");

    // a priced sale: revenue in euros, the conversion tile, a line in the feed
    await apiCall(server, "PUT", "/api/pricing/prices/MUG-1", { amount: 1250, currency: "EUR" });
    await apiCall(server, "PUT", "/api/inventory/items/MUG-1", { onHand: 10, name: "Mug" });
    const r = await apiCall<{ id: string }>(server, "POST", "/api/inventory/reservations", {
      sku: "MUG-1",
      quantity: 2,
      customerId: "dana",
    });
    await apiCall(server, "POST", `/api/inventory/reservations/${r.id}/commit`);
    await expect.poll(tile("revenue"), { timeout: 15_000 }).toContain("25.00");
    await expect.poll(tile("conversion"), { timeout: 15_000 }).toBe("100%");
    await expect.poll(tile("customers"), { timeout: 15_000 }).toBe("2");
    const feed = page.getByTestId("business-feed");
    await feed.getByText("Sold 2 × MUG-1").waitFor({ timeout: 15_000 });
    await page.getByTestId("peak-map").waitFor();
    await shot(page, "staff-business-dashboard");

    // the feed is the server's: after a reload it is still there
    await page.reload();
    await page.getByRole("heading", { name: "Business", exact: true }).waitFor();
    await feed.getByText("New order: Kettle").waitFor({ timeout: 15_000 });
    await expect.poll(tile("orders"), { timeout: 15_000 }).toBe("1");

    // 7 days holds today too; the orders tile opens the order board
    await page.getByLabel("7 days").check();
    await expect.poll(tile("orders"), { timeout: 15_000 }).toBe("1");
    await page.getByTestId("biz-orders").click();
    await page.waitForURL(/\/console\/orders$/);
    await admin.context.close();
  }, 120_000);

  it("shows agents no business figures (they are the owner's)", async () => {
    const agent = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await agent.page.getByRole("link", { name: "Dashboard" }).click();
    await agent.page.getByRole("heading", { name: "Live dashboard" }).waitFor();
    expect(await agent.page.getByRole("heading", { name: "Business", exact: true }).count()).toBe(
      0,
    );
    await agent.context.close();
  });
});
