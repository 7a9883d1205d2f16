import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: order tracking", () => {
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

  it("staff advance a repair booking and the customer's tracker moves live", async () => {
    const order = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "alice",
      title: "iPhone 14 — cracked screen",
    });
    const customer = await signedIn(browser, server, {
      user: "alice",
      name: "Alice",
      role: "customer",
    });
    const staff = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await customer.page.getByRole("link", { name: "My repairs & orders" }).click();
    await customer.page.getByRole("link", { name: /iPhone 14/ }).waitFor();
    // a booking made for her while the list is open appears on it, live
    await apiCall(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "alice",
      title: "iPad Air — battery",
    });
    await customer.page.getByRole("link", { name: /iPad Air/ }).waitFor({ timeout: 5000 });
    await customer.page.getByRole("link", { name: /iPhone 14/ }).click();
    await expect
      .poll(() => customer.page.getByTestId("order-status").textContent())
      .toBe("Booking received");

    await staff.page.getByRole("link", { name: "Orders" }).click();
    const row = staff.page.locator(`tr[data-order="${order.id}"]`);
    await row.getByRole("button", { name: "Confirmed" }).click();
    await expect
      .poll(() => customer.page.getByTestId("order-status").textContent(), { timeout: 5000 })
      .toBe("Confirmed");
    await row.getByRole("button", { name: "Device received" }).click();
    await expect
      .poll(() => customer.page.getByTestId("order-status").textContent(), { timeout: 5000 })
      .toBe("Device received");
    await expect.poll(() => customer.page.getByTestId("order-progress").textContent()).toBe("14%");
    await shot(staff.page, "staff-order-board");

    // walk to the quote: the customer approves it from the tracker
    for (const [step, seen] of [
      ["Diagnosing", "Diagnosing"],
      ["Diagnosis complete", "Diagnosis complete"],
      ["Quote awaiting the customer's approval", "Quote awaiting your approval"],
    ]) {
      await row.getByRole("button", { name: step as string }).click();
      await expect
        .poll(() => customer.page.getByTestId("order-status").textContent(), { timeout: 5000 })
        .toBe(seen);
    }
    await shot(customer.page, "customer-tracker-quote");
    await customer.page.getByRole("button", { name: "Approve quote" }).click();
    await expect
      .poll(() => row.locator(".pill").textContent(), { timeout: 5000 })
      .toBe("Quote approved");
    await customer.context.close();
    await staff.context.close();
  });

  it("shows disconnected when the server stops and catches up after it returns", async () => {
    const order = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "store-order",
      customerId: "bob",
      title: "Wireless charger",
    });
    const customer = await signedIn(browser, server, {
      user: "bob",
      name: "Bob",
      role: "customer",
    });
    await customer.page.goto(`${server.url}/orders/${order.id}`);
    await customer.page.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();
    await expect
      .poll(() => customer.page.getByTestId("order-status").textContent())
      .toBe("Order placed");
    const staff = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    const row = staff.page.locator(`tr[data-order="${order.id}"]`);
    await row.waitFor();
    const states = () =>
      Promise.all(
        [customer, staff].map(({ page }) => page.getByTestId("connection-state").textContent()),
      );

    await server.stop();
    await expect.poll(states, { timeout: 10_000 }).toEqual(["disconnected", "disconnected"]);
    await shot(customer.page, "customer-disconnected");
    await server.restart();
    // a change made right after the restart, before the browsers are back: they recover it
    await apiCall(server, "POST", `/api/orders/${order.id}/transitions`, { to: "paid" });
    await expect.poll(states, { timeout: 20_000 }).toEqual(["connected", "connected"]);
    await expect
      .poll(() => customer.page.getByTestId("order-status").textContent(), { timeout: 10_000 })
      .toBe("Paid");
    await expect.poll(() => row.locator(".pill").textContent(), { timeout: 10_000 }).toBe("Paid");
    // and live updates flow again: staff move it on from the board
    await row.getByRole("button", { name: "Packed" }).click();
    await expect
      .poll(() => customer.page.getByTestId("order-status").textContent(), { timeout: 5000 })
      .toBe("Packed");
    await staff.context.close();
    await customer.context.close();
  }, 60_000);
});
