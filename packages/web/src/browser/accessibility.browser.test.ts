import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { contrastFailures, focused, unnamedControls } from "./a11y.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

/** Every screen's path pattern, read from the app's one list of screens (app/screens.tsx). */
const SCREEN_PATHS = [
  ...readFileSync(new URL("../app/screens.tsx", import.meta.url), "utf8").matchAll(
    /path: "([^"]+)"/g,
  ),
].map((m) => m[1] as string);

/** What a visited address shows: the screen pattern it matches. */
const patternOf = (path: string) =>
  SCREEN_PATHS.find((p) => new RegExp(`^${p.replace(/:[a-z]+/g, "[^/]+")}$`).test(path));

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

async function expectReadable(page: Page, screen: string): Promise<void> {
  expect(await contrastFailures(page), `contrast on ${screen}`).toEqual([]);
  expect(await unnamedControls(page), `unnamed controls on ${screen}`).toEqual([]);
}

describe.runIf(run)("web app in a real browser: keyboard and contrast", () => {
  let server: TestServer;
  let browser: Browser;
  let repairId = "";
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
    ({ id: repairId } = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "alice",
      title: "iPad Air — no power",
    }));
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

  it("every screen of the app, customer and staff, passes at desktop width and does not scroll sideways on a phone", async () => {
    await apiCall(server, "POST", "/api/chat/conversations", {
      customerId: "alice",
      subject: "Is my iPad ready?",
    });
    const visited = new Set<string>();
    const visit = async (page: Page, path: string, width: "desktop" | "phone") => {
      await page.goto(`${server.url}${path}`);
      await page.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();
      await page.locator("main h1").first().waitFor();
      // loaded: no skeleton left (a screen's data is on it)
      await expect
        .poll(() => page.locator(".skeleton, .skeleton-line, .skeleton-row").count(), {
          timeout: 10_000,
        })
        .toBe(0);
      if (width === "desktop") await expectReadable(page, path);
      else expect(await overflow(page), `sideways scroll on ${path}`).toBeLessThanOrEqual(0);
      visited.add(patternOf(new URL(page.url()).pathname) ?? "(not found)");
    };
    const customerPaths = [
      "/shop",
      "/shop/CASE-CLR",
      "/orders",
      `/orders/${repairId}`,
      "/appointments",
      "/appointments/cheapest",
      "/notifications/settings",
      "/no/such/page",
    ];
    const staffPaths = [
      "/console/orders",
      "/console/appointments",
      "/console/inventory",
      "/console/pricing",
      "/console/catalog",
      "/console/inbox",
      "/console/teams",
      "/console/coach",
      "/console/dashboard",
      "/console/pusher",
      "/notifications/settings",
    ];
    for (const [width, viewport] of [
      ["desktop", { width: 1280, height: 800 }],
      ["phone", { width: 390, height: 844 }],
    ] as const) {
      const customer = await signedIn(
        browser,
        server,
        { user: "alice", name: "Alice", role: "customer" },
        viewport,
      );
      for (const path of customerPaths) await visit(customer.page, path, width);
      await customer.context.close();
      const staff = await signedIn(
        browser,
        server,
        { user: "sam", name: "Sam", role: "admin" },
        viewport,
      );
      for (const path of staffPaths) await visit(staff.page, path, width);
      // the inbox with a chat open (taken from the queue), the appointments week and setup views
      await staff.page.goto(`${server.url}/console/inbox`);
      await staff.page.getByRole("button", { name: "Online" }).click();
      const take = staff.page.getByRole("button", { name: "Take" });
      const row = staff.page
        .getByRole("list", { name: "My conversations" })
        .getByRole("button", { name: /alice/i });
      await take.or(row).first().waitFor();
      if (await take.count()) await take.first().click();
      await row.click();
      await staff.page.getByTestId("conversation-customer").filter({ hasText: /alice/i }).waitFor();
      await staff.page.getByLabel("Message", { exact: true }).waitFor();
      if (width === "desktop") await expectReadable(staff.page, "inbox with a chat open");
      else expect(await overflow(staff.page), "inbox with a chat open").toBeLessThanOrEqual(0);
      await staff.context.close();
    }
    // nothing in the app's list of screens was left out
    expect([...visited].sort()).toEqual([...new Set(SCREEN_PATHS), "(not found)"].sort());
  }, 240_000);
});
