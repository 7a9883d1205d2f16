import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: live dashboard", () => {
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

  it("counts orders, waiting chats and stock alerts from the live feeds, nothing made up", async () => {
    await apiCall(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "alice",
      title: "Pixel 7 — battery",
    });
    const admin = await signedIn(browser, server, { user: "sam", name: "Sam", role: "admin" });
    await admin.page.getByRole("link", { name: "Dashboard" }).click();
    const kpi = (id: string) => () => admin.page.getByTestId(`kpi-${id}`).textContent();
    await expect.poll(kpi("open-orders")).toBe("1");
    await expect.poll(kpi("chats-waiting")).toBe("0");

    // a new order arrives on staff:orders
    await apiCall(server, "POST", "/api/orders", {
      lifecycle: "store-order",
      customerId: "bob",
      title: "USB-C charger",
    });
    await expect.poll(kpi("open-orders"), { timeout: 5000 }).toBe("2");

    // stock falls to its threshold, runs out, is restocked (staff:inventory + product channel)
    await apiCall(server, "PUT", "/api/inventory/items/DASH-1", {
      onHand: 3,
      lowStockThreshold: 2,
      name: "Screen protector",
    });
    await apiCall(server, "POST", "/api/inventory/reservations", {
      sku: "DASH-1",
      quantity: 1,
      customerId: "dana",
    });
    await expect.poll(kpi("low-stock"), { timeout: 5000 }).toBe("1");
    await apiCall(server, "POST", "/api/inventory/reservations", {
      sku: "DASH-1",
      quantity: 2,
      customerId: "eli",
    });
    await expect.poll(kpi("out-of-stock"), { timeout: 5000 }).toBe("1");
    expect(await kpi("low-stock")()).toBe("0");

    // a customer opens a chat with nobody online: it waits, and the wait keeps counting
    await apiCall(server, "POST", "/api/chat/conversations", {
      customerId: "carol",
      subject: "Is my phone ready?",
    });
    await expect.poll(kpi("chats-waiting"), { timeout: 5000 }).toBe("1");
    await expect.poll(kpi("longest-wait"), { timeout: 5000 }).not.toBe("0s");
    await shot(admin.page, "staff-dashboard");

    await apiCall(server, "POST", "/api/inventory/items/DASH-1/adjustments", {
      delta: 10,
      reason: "restock",
    });
    await expect.poll(kpi("out-of-stock"), { timeout: 5000 }).toBe("0");
    expect(await kpi("low-stock")()).toBe("0");
    await admin.context.close();
  });
});
