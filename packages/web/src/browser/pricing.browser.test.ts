import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: live prices", () => {
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

  it("staff change a price on the pricing screen and the storefront in another browser shows it live, explained", async () => {
    await apiCall(server, "PUT", "/api/inventory/items/PIXEL-8", {
      onHand: 5,
      name: "Pixel 8 screen",
    });
    await apiCall(server, "PUT", "/api/pricing/prices/PIXEL-8", {
      amount: 49_900,
      currency: "EUR",
    });
    const shopper = await signedIn(browser, server, { user: "gus", name: "Gus", role: "customer" });
    const card = shopper.page.locator(".product-card", { hasText: "Pixel 8 screen" });
    await expect
      .poll(() => card.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("499.00");

    const staff = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await staff.page.getByRole("link", { name: "Pricing" }).click();
    const row = staff.page.locator('tr[data-sku="PIXEL-8"]');
    await row.getByLabel("List price of PIXEL-8").fill("449.00");
    await row.getByRole("button", { name: "Save price of PIXEL-8" }).click();
    await expect
      .poll(() => row.getByTestId("live-price").textContent(), { timeout: 10_000 })
      .toContain("449.00");

    // the storefront, in another browser context, without a reload
    await expect
      .poll(() => card.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("449.00");

    // a rule staff add shows on the product page live, as a sale with its reason
    await shopper.page.getByRole("link", { name: /Pixel 8 screen/ }).click();
    const panel = shopper.page.getByRole("region", { name: "Price" });
    await expect
      .poll(() => panel.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("449.00");
    // the rule form (no JSON): always, −10 %, only this item
    const form = staff.page.getByRole("form", { name: "New rule" });
    await form.getByLabel("Rule name").fill("Spring sale");
    await form.getByLabel("When").selectOption("always");
    await form.getByLabel("Change (%)").fill("-10");
    await form.getByLabel("Only these SKUs").fill("PIXEL-8");
    await expect
      .poll(() => form.getByTestId("rule-form-json").textContent())
      .toBe(
        JSON.stringify({
          name: "Spring sale",
          when: [],
          adjust: { percent: -10 },
          skus: ["PIXEL-8"],
        }),
      );
    await form.getByRole("button", { name: "Add rule", exact: true }).click();
    await staff.page.getByTestId("rules").getByText("Spring sale").waitFor({ timeout: 10_000 });
    await expect
      .poll(() => panel.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("404.10");
    expect(await panel.getByTestId("price-was").textContent()).toContain("449.00");
    await panel.getByText("Why this price?").click();
    await expect
      .poll(() => panel.getByTestId("price-factors").textContent())
      .toContain("Spring sale");
    await shot(shopper.page, "customer-product-price");
    await shot(staff.page, "staff-pricing");

    // a draft rule's quote before it is saved: with it beside without it, explained
    await staff.page.getByLabel("Preview item").selectOption("PIXEL-8");
    await form.getByLabel("Rule name").fill("Flash");
    await form.getByLabel("When").selectOption("always");
    await form.getByLabel("Change (%)").fill("-5");
    await form.getByLabel("Only these SKUs").fill("PIXEL-8");
    const withDraft = staff.page.getByTestId("draft-preview-with");
    await expect.poll(() => withDraft.textContent(), { timeout: 10_000 }).toContain("381.65");
    expect(await withDraft.textContent()).toContain("Flash");
    expect(await staff.page.getByTestId("draft-preview-without").textContent()).toContain("404.10");
    // nothing was saved: the shop still shows the price without it
    expect(await panel.getByTestId("price").textContent()).toContain("404.10");
    await expect.poll(() => staff.page.getByTestId("rules").textContent()).not.toContain("Flash");

    // edit a saved rule: the form opens with its values, previews the change, saves it
    await staff.page.getByRole("button", { name: "Edit rule Spring sale" }).click();
    const editForm = staff.page.getByRole("form", { name: "Edit rule Spring sale" });
    expect(await editForm.getByLabel("Change (%)").inputValue()).toBe("-10");
    await editForm.getByLabel("Change (%)").fill("-20");
    await expect.poll(() => withDraft.textContent(), { timeout: 10_000 }).toContain("359.20");
    expect(await staff.page.getByTestId("draft-preview-without").textContent()).toContain("404.10");
    await shot(staff.page, "staff-pricing-rule-preview");
    await editForm.getByRole("button", { name: "Save changes" }).click();
    await staff.page.getByRole("form", { name: "New rule" }).waitFor({ timeout: 10_000 });
    await expect
      .poll(() => panel.getByTestId("price").textContent(), { timeout: 10_000 })
      .toContain("359.20");
    await expect.poll(() => staff.page.getByTestId("rules").textContent()).toContain("-20%");

    // the form explains its own problems before sending anything
    await form.getByLabel("Rule name").fill("Peak");
    await form.getByLabel("When").selectOption("signal");
    await form.getByLabel("Change (%)").fill("5");
    await form.getByRole("button", { name: "Add rule", exact: true }).click();
    await form.getByRole("alert").filter({ hasText: "at least" }).waitFor({ timeout: 10_000 });

    // a draft in the JSON editor (the advanced one) is previewed too, and nothing is saved
    await staff.page.getByText("Advanced: a rule as JSON").click();
    await staff.page.getByLabel("New rule (JSON)").fill(
      JSON.stringify({
        name: "Ten more off",
        when: [],
        adjust: { percent: -10 },
        skus: ["PIXEL-8"],
      }),
    );
    await expect.poll(() => withDraft.textContent(), { timeout: 10_000 }).toContain("314.30");
    expect(await withDraft.textContent()).toContain("Ten more off");
    expect(await staff.page.getByTestId("draft-preview-without").textContent()).toContain("359.20");
    expect(await panel.getByTestId("price").textContent()).toContain("359.20");

    // a bad rule as JSON is refused with the server's reason (the preview says why as well)
    await staff.page
      .getByLabel("New rule (JSON)")
      .fill(JSON.stringify({ name: "Bad", adjust: { percent: 12.345 } }));
    await staff.page.getByRole("button", { name: "Add JSON rule" }).click();
    await staff.page
      .getByRole("alert")
      .filter({ hasText: "at most two decimals" })
      .first()
      .waitFor({ timeout: 10_000 });
    await shopper.context.close();
    await staff.context.close();
  }, 90_000);
});
