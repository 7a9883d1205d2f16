import type { Browser } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: the catalog", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("staff add a product on the catalog screen; shoppers search, filter and sort it, see a sale struck through, its price move live and its history chart", async () => {
    await apiCall(server, "PUT", "/api/catalog/products/CASE-1", {
      name: "Leather case",
      description: "Brown leather, fits Pixel 8",
      category: "accessories",
      price: { amount: 3_900, currency: "EUR" },
    });
    await apiCall(server, "PUT", "/api/catalog/products/CABLE-1", {
      name: "Braided cable",
      category: "accessories",
      price: { amount: 1_500, currency: "EUR" },
    });
    const staff = await signedIn(browser, server, { user: "cat-ann", name: "Ann", role: "agent" });
    await staff.page.getByRole("link", { name: "Catalog" }).click();
    const form = staff.page.getByRole("form", { name: "Product" });
    await form.getByLabel("SKU").fill("SCREEN-1");
    await form.getByLabel("Name").fill("Screen repair");
    await form.getByLabel("Description").fill("A new OLED screen, same day");
    await form.getByLabel("Category").fill("repairs");
    await form.getByLabel("List price").fill("129.00");
    await form.getByRole("button", { name: "Add product" }).click();
    await staff.page.getByRole("status").filter({ hasText: "Saved Screen repair" }).waitFor();
    await expect
      .poll(() => staff.page.getByTestId("catalog-table").textContent())
      .toContain("Screen repair");
    // a photo, uploaded on the catalog screen, shows on the shop's card
    const photo = await sharp({
      create: { width: 800, height: 600, channels: 3, background: "#c33" },
    })
      .png()
      .toBuffer();
    await staff.page.getByLabel("Add an image to Screen repair").setInputFiles({
      name: "screen.png",
      mimeType: "image/png",
      buffer: photo,
    });
    await staff.page
      .getByRole("status")
      .filter({ hasText: "Added an image to SCREEN-1" })
      .waitFor({ timeout: 10_000 });
    await shot(staff.page, "staff-catalog");

    const shopper = await signedIn(browser, server, {
      user: "cat-gus",
      name: "Gus",
      role: "customer",
    });
    const cards = shopper.page.getByTestId("catalog-product");
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBe(3);
    // sort by price, high to low
    await shopper.page.getByLabel("Sort by").selectOption("-price");
    await expect
      .poll(() => cards.locator("strong").allTextContents(), { timeout: 10_000 })
      .toEqual(["Screen repair", "Leather case", "Braided cable"]);
    // a category, then words
    await shopper.page.getByLabel("Category").selectOption("accessories");
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBe(2);
    await shopper.page.getByLabel("Search", { exact: true }).fill("pixel");
    await expect
      .poll(() => cards.locator("strong").allTextContents(), { timeout: 10_000 })
      .toEqual(["Leather case"]);
    await shopper.page.getByLabel("Search", { exact: true }).fill("nothing-like-this");
    await shopper.page.getByText("Nothing matches").waitFor({ timeout: 10_000 });
    await shopper.page.getByLabel("Search", { exact: true }).fill("");
    await shopper.page.getByLabel("Category").selectOption("");

    // a sale: the card shows the new price live, the list price struck through
    const screen = cards.filter({ hasText: "Screen repair" });
    await expect
      .poll(
        () => screen.locator("img.product-photo").evaluate((i: HTMLImageElement) => i.naturalWidth),
        {
          timeout: 10_000,
        },
      )
      .toBe(400);
    await expect
      .poll(() => screen.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("129.00");
    await apiCall(server, "POST", "/api/pricing/rules", {
      name: "Screen week",
      skus: ["SCREEN-1"],
      adjust: { percent: -20 },
    });
    await expect
      .poll(() => screen.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("103.20");
    expect(await screen.getByTestId("price-was").textContent()).toContain("129.00");
    await shot(shopper.page, "customer-shop-catalog");

    // the product page: its description and a chart of its price history
    await screen.click();
    await shopper.page.getByRole("heading", { name: "Screen repair" }).waitFor({ timeout: 10_000 });
    await shopper.page.getByText("A new OLED screen, same day").waitFor();
    await shopper.page.getByTestId("price-chart").locator("canvas").waitFor({ timeout: 10_000 });
    await shot(shopper.page, "customer-product-chart");
    await shopper.context.close();
    await staff.context.close();
  }, 120_000);
});
