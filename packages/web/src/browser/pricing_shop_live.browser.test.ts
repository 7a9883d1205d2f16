import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: live stock, variants, cheapest times", () => {
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

  it("the shop card's stock and a product's variants (price and stock) move live without a reload", async () => {
    for (const [sku, onHand, name] of [
      ["HOODIE-M", 20, "Hoodie M"],
      ["HOODIE-L", 1, "Hoodie L"],
    ] as const)
      await apiCall(server, "PUT", `/api/inventory/items/${sku}`, { onHand, name });
    await apiCall(server, "PUT", "/api/catalog/products/HOODIE", {
      name: "Hoodie",
      category: "clothing",
      stockSku: "HOODIE-M",
      price: { amount: 4_900, currency: "EUR" },
      variants: [
        { sku: "HOODIE-M", name: "Medium", price: { amount: 4_900, currency: "EUR" } },
        { sku: "HOODIE-L", name: "Large", price: { amount: 5_200, currency: "EUR" } },
      ],
    });
    const shopper = await signedIn(browser, server, { user: "vic", name: "Vic", role: "customer" });
    const card = shopper.page.getByTestId("catalog-product").filter({ hasText: "Hoodie" });
    await expect.poll(() => card.getByTestId("stock").textContent()).toContain("In stock (20)");
    // stock moves in inventory: the card follows (no reload)
    await apiCall(server, "PUT", "/api/inventory/items/HOODIE-M", { onHand: 12, name: "Hoodie M" });
    await expect
      .poll(() => card.getByTestId("stock").textContent(), { timeout: 10_000 })
      .toContain("In stock (12)");

    await card.getByRole("link").click();
    const variants = shopper.page.getByRole("region", { name: "Variants of Hoodie" });
    const large = variants.locator('[data-sku="HOODIE-L"]');
    await expect.poll(() => large.getByTestId("price").textContent()).toContain("52.00");
    await expect.poll(() => large.getByTestId("stock").textContent()).toContain("1");
    // a variant's price and stock change elsewhere: the product page shows both live
    await apiCall(server, "PUT", "/api/pricing/prices/HOODIE-L", {
      amount: 4_500,
      currency: "EUR",
    });
    await apiCall(server, "PUT", "/api/inventory/items/HOODIE-L", { onHand: 0, name: "Hoodie L" });
    await expect
      .poll(() => large.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("45.00");
    await expect
      .poll(() => large.getByTestId("stock").textContent(), { timeout: 10_000 })
      .toContain("Out of stock");
    await shot(shopper.page, "customer-product-variants");
    // a variant links to its own page (where it is reserved by its SKU)
    await large.getByRole("link", { name: "Large" }).click();
    await shopper.page.waitForURL(/\/shop\/HOODIE-L$/);
    await shopper.context.close();
  }, 90_000);

  it("a customer finds the cheapest upcoming times of a service, peak hours priced higher, live", async () => {
    const week = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["12:00", "14:00"]]]),
    );
    await apiCall(server, "PUT", "/api/appointments/services/tune", {
      name: "Bike tune-up",
      durationMinutes: 60,
    });
    await apiCall(server, "PUT", "/api/appointments/resources/bench-1", {
      name: "Bench 1",
      timeZone: "UTC",
      services: ["tune"],
      hours: week,
    });
    await apiCall(server, "PUT", "/api/pricing/prices/service:tune", {
      amount: 4_000,
      currency: "EUR",
    });
    // open 12:00–14:00; from 12:30 it is dearer (pricing's zone is UTC here): within one day
    // fewer than 10 times start before 12:30, so the list of 10 shows both prices
    await apiCall(server, "POST", "/api/pricing/rules", {
      name: "Busy hours",
      skus: ["service:tune"],
      when: [{ kind: "time", from: "12:30", to: "14:00" }],
      adjust: { percent: 25 },
    });
    const shopper = await signedIn(browser, server, { user: "wes", name: "Wes", role: "customer" });
    await shopper.page.getByRole("link", { name: "Appointments" }).click();
    await shopper.page.getByRole("link", { name: "See the cheapest times" }).click();
    await shopper.page.getByRole("heading", { name: "Cheapest times" }).waitFor();
    await shopper.page.getByLabel("Within").selectOption("1");
    const slots = shopper.page.getByTestId("cheapest-slot");
    await expect.poll(() => slots.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await slots.first().waitFor({ timeout: 15_000 });
    // cheapest first: the quiet hour at the list price, before any peak-priced one
    const texts = await slots.allTextContents();
    expect(texts[0]).toContain("40.00");
    expect(texts[0]).toMatch(/\b12:[0-2]\d/);
    expect(texts.some((t) => t.includes("50.00"))).toBe(true);
    expect(texts.findIndex((t) => t.includes("50.00"))).toBeGreaterThan(0);
    // a peak-priced time explains itself
    const dear = slots.filter({ hasText: "50.00" }).first();
    await dear.getByText("Why this price?").click();
    await expect
      .poll(() => dear.getByTestId("price-factors").textContent())
      .toContain("Busy hours");
    await shot(shopper.page, "customer-cheapest-times");

    // live, without a reload: a rule staff add moves the listed prices (`forecast` on
    // product:service:tune, though the live price need not move)…
    await apiCall(server, "POST", "/api/pricing/rules", {
      name: "Quiet hour deal",
      skus: ["service:tune"],
      when: [{ kind: "time", from: "12:00", to: "12:30" }],
      adjust: { percent: -10 },
    });
    await expect.poll(() => slots.first().textContent(), { timeout: 15_000 }).toContain("36.00");
    // …so does a signal a rule reads…
    await apiCall(server, "POST", "/api/pricing/rules", {
      name: "High demand",
      skus: ["service:tune"],
      when: [{ kind: "signal", name: "demand", atLeast: 5 }],
      adjust: { percent: 5 },
    });
    await apiCall(server, "PUT", "/api/pricing/signals/demand", { value: 5 });
    await expect.poll(() => slots.first().textContent(), { timeout: 15_000 }).toContain("38.00");
    // …and a booking that takes the cheapest time off the list (the service's calendar)
    const cheapest = (await slots.first().getAttribute("data-start")) as string;
    await apiCall(server, "POST", "/api/appointments/holds", {
      service: "tune",
      resourceId: "bench-1",
      start: cheapest,
      customerId: "xia",
    });
    await shopper.page.locator(`[data-start="${cheapest}"]`).waitFor({
      state: "detached",
      timeout: 15_000,
    });
    await shopper.context.close();
  }, 90_000);

  it("the tracker shows the quote's amounts live and the customer approves that exact total", async () => {
    const order = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "zoe",
      title: "Laptop hinge",
    });
    const zoe = await signedIn(browser, server, { user: "zoe", name: "Zoe", role: "customer" });
    await zoe.page.goto(`${server.url}/orders/${order.id}`);
    await zoe.page.getByRole("heading", { name: "Laptop hinge" }).waitFor();
    // staff send a quote while the tracker is open: it appears without a reload
    await apiCall(server, "POST", "/api/pricing/order-quotes", {
      orderId: order.id,
      currency: "EUR",
      lines: [
        { kind: "labour", description: "Hinge replacement", unitAmount: 6_000 },
        { kind: "parts", description: "Hinge", quantity: 2, unitAmount: 1_250 },
      ],
      taxPercent: 0,
    });
    const card = zoe.page.getByRole("region", { name: "Quote" });
    await expect
      .poll(() => card.getByTestId("quote-total").textContent(), { timeout: 10_000 })
      .toContain("85.00");
    expect(await card.textContent()).toContain("Hinge replacement");
    await shot(zoe.page, "customer-order-quote");
    // the card decides the quote: the order's own approve/decline are not offered beside it
    await expect
      .poll(() => zoe.page.getByRole("button", { name: /^(Approve|Decline) quote$/ }).count())
      .toBe(0);
    // declining asks first, and No leaves the quote open
    await card.getByRole("button", { name: "Decline" }).click();
    await card.getByRole("button", { name: "No" }).click();
    expect(await card.textContent()).toContain("proposed");
    await card.getByRole("button", { name: /Approve .*85\.00/ }).click();
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain("approved");
    await zoe.context.close();
  }, 90_000);
});
