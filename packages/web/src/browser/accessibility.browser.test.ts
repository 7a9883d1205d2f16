import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { contrastFailures, focused, unnamedControls } from "./a11y.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

async function expectReadable(page: Page, screen: string): Promise<void> {
  expect(await contrastFailures(page), `contrast on ${screen}`).toEqual([]);
  expect(await unnamedControls(page), `unnamed controls on ${screen}`).toEqual([]);
}

describe.runIf(run)("web app in a real browser: keyboard and contrast", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
    await apiCall(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "alice",
      title: "iPad Air — no power",
    });
    await apiCall(server, "PUT", "/api/inventory/items/CASE-CLR", {
      onHand: 2,
      lowStockThreshold: 2,
      name: "Clear phone case",
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a customer signs in and moves around with the keyboard alone, in a sensible order", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole("heading", { name: /Switchboard demo/ }).waitFor();
    await expectReadable(page, "sign-in");

    await page.keyboard.press("Tab");
    expect(await focused(page)).toMatch(/^Alice/);
    await page.keyboard.press("Enter");
    await page.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();

    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press("Tab");
      order.push(await focused(page));
    }
    expect(order).toEqual([
      "Skip to content",
      expect.stringMatching(/^Fixit/),
      "Shop",
      "My repairs & orders",
      "Appointments",
      expect.stringMatching(/^Notifications, \d+ unread/),
      "Sign out",
    ]);
    // the skip link is visible when focused and jumps past the header
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    expect(await focused(page)).toBe("Skip to content");
    expect((await page.getByRole("link", { name: "Skip to content" }).boundingBox())?.x).toBe(16);
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);

    // to the tracker and back, by keyboard
    await page.getByRole("link", { name: "My repairs & orders" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "My repairs & orders" }).waitFor();
    await page.getByRole("link", { name: /iPad Air/ }).focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.getByTestId("order-status").textContent())
      .toBe("Booking received");
    await expectReadable(page, "tracker");
    await page.getByRole("link", { name: "Shop", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("link", { name: /Clear phone case/ }).waitFor();
    await expectReadable(page, "shop");
    await page.getByRole("link", { name: /Clear phone case/ }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Reserve one" }).waitFor();
    await expectReadable(page, "product");
    await page.getByRole("button", { name: "Chat with us" }).focus();
    await page.keyboard.press("Enter");
    await page.getByLabel("What can we help with?").waitFor();
    await expectReadable(page, "chat widget");
    await context.close();
  });

  it("staff screens pass the same checks", async () => {
    const staff = await signedIn(browser, server, { user: "sam", name: "Sam", role: "admin" });
    for (const [link, ready] of [
      ["Orders", "Orders & bookings"],
      ["Inventory", "Inventory"],
      ["Inbox", "Inbox"],
      ["Dashboard", "Live dashboard"],
      ["Pusher apps", "Pusher apps"],
    ] as const) {
      await staff.page.getByRole("link", { name: link, exact: true }).click();
      await staff.page.getByRole("heading", { name: ready, exact: true }).waitFor();
      await expectReadable(staff.page, link);
    }
    await staff.context.close();
  });

  it("no screen scrolls sideways at phone width (390 px)", async () => {
    const phone = { width: 390, height: 844 };
    const overflow = (page: Page) =>
      page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const customer = await signedIn(
      browser,
      server,
      { user: "alice", name: "Alice", role: "customer" },
      phone,
    );
    await customer.page.getByRole("link", { name: /Clear phone case/ }).waitFor();
    expect(await overflow(customer.page), "shop").toBeLessThanOrEqual(0);
    await customer.page.getByRole("link", { name: /Clear phone case/ }).click();
    await customer.page.getByRole("button", { name: "Reserve one" }).waitFor();
    expect(await overflow(customer.page), "product").toBeLessThanOrEqual(0);
    await customer.page.getByRole("link", { name: "My repairs & orders" }).click();
    await customer.page.getByRole("link", { name: /iPad Air/ }).click();
    await customer.page.getByTestId("order-status").waitFor();
    expect(await overflow(customer.page), "tracker").toBeLessThanOrEqual(0);
    await shot(customer.page, "customer-phone");
    await customer.context.close();

    const staff = await signedIn(
      browser,
      server,
      { user: "sam", name: "Sam", role: "admin" },
      phone,
    );
    for (const [link, ready] of [
      ["Orders", "Orders & bookings"],
      ["Inventory", "Inventory"],
      ["Inbox", "Inbox"],
      ["Dashboard", "Live dashboard"],
      ["Pusher apps", "Pusher apps"],
    ] as const) {
      await staff.page.getByRole("link", { name: link, exact: true }).click();
      await staff.page.getByRole("heading", { name: ready, exact: true }).waitFor();
      expect(await overflow(staff.page), link).toBeLessThanOrEqual(0);
    }
    await staff.context.close();
  });
});
