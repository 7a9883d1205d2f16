import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: live stock", () => {
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

  it("a customer reserves the last unit and another sees it go out of stock, live", async () => {
    await apiCall(server, "PUT", "/api/inventory/items/LAST-ONE", {
      onHand: 1,
      name: "Refurbished iPhone 13",
      lowStockThreshold: 1,
    });
    const first = await signedIn(browser, server, { user: "dana", name: "Dana", role: "customer" });
    const second = await signedIn(browser, server, { user: "eli", name: "Eli", role: "customer" });
    for (const { page } of [first, second]) {
      await page.getByRole("link", { name: /Refurbished iPhone 13/ }).click();
      await expect.poll(() => page.getByTestId("stock").textContent()).toBe("Only 1 left");
    }
    // both are counted as viewers (presence on product:LAST-ONE)
    await expect
      .poll(() => second.page.getByTestId("viewers").textContent(), { timeout: 8000 })
      .toContain("2 people viewing");
    await shot(second.page, "customer-product");

    await first.page.getByRole("button", { name: "Reserve one" }).click();
    await first.page.getByText("Reserved: 1 ×").waitFor();
    // a reload keeps the reservation (and its countdown) on screen
    await first.page.reload();
    await first.page.getByText("Reserved: 1 ×").waitFor({ timeout: 5000 });
    // the one holding the last unit reads that it is theirs, not a red "Out of stock"
    await expect
      .poll(() => first.page.getByTestId("stock").textContent(), { timeout: 5000 })
      .toBe("Reserved for you");
    await expect
      .poll(() => second.page.getByTestId("stock").textContent(), { timeout: 5000 })
      .toBe("Out of stock");
    // the other customer asks to be told, and is, when the reservation is released
    await second.page.getByRole("button", { name: "Notify me when available" }).click();
    await second.page.getByText("We'll tell you the moment it is back.").waitFor();
    await first.page.getByRole("button", { name: "Release" }).click();
    await first.page.getByRole("button", { name: "Yes, release it" }).click();
    await second.page.getByText("Good news: it is back in stock!").waitFor({ timeout: 5000 });
    await expect.poll(() => second.page.getByTestId("stock").textContent()).toBe("Only 1 left");
    await first.context.close();
    await second.context.close();
  }, 60_000);

  it("staff see stock move and alerts arrive on the inventory page", async () => {
    await apiCall(server, "PUT", "/api/inventory/items/CABLE-1", {
      onHand: 3,
      name: "USB-C cable",
      lowStockThreshold: 2,
    });
    const staff = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await staff.page.getByRole("link", { name: "Inventory" }).click();
    const row = staff.page.locator('tr[data-sku="CABLE-1"]');
    await expect.poll(() => row.getByTestId("stock").textContent()).toBe("In stock (3)");
    const held = await apiCall<{ id: string }>(server, "POST", "/api/inventory/reservations", {
      sku: "CABLE-1",
      quantity: 2,
      customerId: "fay",
    });
    await expect
      .poll(() => row.getByTestId("stock").textContent(), { timeout: 5000 })
      .toBe("Only 1 left");
    expect(await row.getByTestId("reserved").textContent()).toBe("2");
    await staff.page
      .getByTestId("inventory-alerts")
      .getByText("Low stock")
      .waitFor({ timeout: 5000 });
    await row.getByRole("button", { name: "Restock one USB-C cable" }).click();
    await expect
      .poll(() => row.getByTestId("stock").textContent(), { timeout: 5000 })
      .toBe("Only 2 left");
    // a sale of the reserved units leaves availability as it was; on hand and reserved still move
    await apiCall(server, "POST", `/api/inventory/reservations/${held.id}/commit`);
    await expect.poll(() => row.getByTestId("on-hand").textContent(), { timeout: 5000 }).toBe("2");
    expect(await row.getByTestId("reserved").textContent()).toBe("0");
    expect(await row.getByTestId("stock").textContent()).toBe("Only 2 left");
    await shot(staff.page, "staff-inventory");
    await staff.context.close();
  }, 60_000);
});
