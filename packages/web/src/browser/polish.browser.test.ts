import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();
const PHONE = { width: 390, height: 844 };
/** The app's one time format for today ("14:05", "02:05 PM" in an en-US browser). */
const TODAY_TIME = /^\d{1,2}:\d{2}( [AP]M)?$/;
/** A 2×2 red PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Every time shown in `selector`, as text ("· 14:05" → "14:05"). */
const timesIn = (page: Page, selector: string) =>
  page
    .locator(selector)
    .evaluateAll((els) => els.map((e) => (e.textContent ?? "").replace(/^[\s·]+|[\s·]+$/g, "")));

/** Consistency and the states a person needs: the smaller items of the issue, each proven. */
describe.runIf(run)("web app in a real browser: states and polish", () => {
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

  it("serves no source maps: the bundle names none and asking for one finds nothing", async () => {
    const html = await (await fetch(server.url, { headers: { accept: "text/html" } })).text();
    const scripts = [...html.matchAll(/src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const js = await (await fetch(`${server.url}${src}`)).text();
      expect(js).not.toContain("sourceMappingURL");
      const map = await fetch(`${server.url}${src}.map`);
      expect(map.status, `${src}.map`).toBe(404);
    }
  });

  it("one time format across the tracker, the chat and the board; the chat's controls stay on one row with one close; images preview", async () => {
    const order = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "store-order",
      customerId: "hana",
      title: "Phone stand",
    });
    for (const to of ["paid", "packed"])
      await apiCall(server, "POST", `/api/orders/${order.id}/transitions`, { to });
    for (const [width, viewport] of [
      ["desktop", { width: 1280, height: 800 }],
      ["phone", PHONE],
    ] as const) {
      const { context, page } = await signedIn(
        browser,
        server,
        { user: "hana", name: "Hana", role: "customer" },
        viewport,
      );
      await page.goto(`${server.url}/orders/${order.id}`);
      await expect.poll(() => page.getByTestId("order-status").textContent()).toBe("Packed");
      const tracker = [
        ...(await timesIn(page, ".step-at")),
        ...(await timesIn(page, ".history .muted.small")),
      ];
      expect(tracker.length).toBeGreaterThanOrEqual(6);
      for (const t of tracker) expect(t, `tracker (${width})`).toMatch(TODAY_TIME);

      // "Chat with us" never sits on the tracker's history, even scrolled to its end
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      const launcher = await page.getByRole("button", { name: "Chat with us" }).boundingBox();
      for (const li of await page.locator(".history li").all()) {
        const box = await li.boundingBox();
        if (launcher && box) expect(overlaps(launcher, box), `launcher over history`).toBe(false);
      }

      await page.getByRole("button", { name: "Chat with us" }).click();
      await page.getByLabel("What can we help with?").fill("Here is a photo of the stand");
      await page.getByRole("button", { name: "Start chat" }).click();
      const messages = page.getByRole("list", { name: "Messages" });
      await messages.getByText("Here is a photo of the stand").waitFor();
      const panel = page.locator(".chat-panel");
      // one close control in the panel
      expect(await panel.getByRole("button", { name: /close|×/i }).count()).toBe(1);
      // the composer's controls share one row, inside the panel
      const row = await Promise.all(
        [
          page.getByLabel("Message", { exact: true }),
          panel.locator(`button[aria-label="Attach a file"]`),
          panel.getByRole("button", { name: "Send" }),
        ].map((l) => l.boundingBox()),
      );
      const panelBox = await panel.boundingBox();
      const middles = row.map((b) => (b?.y ?? 0) + (b?.height ?? 0) / 2);
      expect(Math.max(...middles) - Math.min(...middles), `composer row (${width})`).toBeLessThan(
        4,
      );
      for (const b of row)
        expect((b?.x ?? 0) + (b?.width ?? 0)).toBeLessThanOrEqual(
          (panelBox?.x ?? 0) + (panelBox?.width ?? 0),
        );
      // the widget's footer (End chat) keeps its controls on one line too
      const foot = await panel.locator(".chat-foot button").evaluateAll((bs) =>
        bs.map((b) => {
          const r = b.getBoundingClientRect();
          return {
            lines: Math.round(r.height / Number.parseFloat(getComputedStyle(b).lineHeight)),
          };
        }),
      );
      for (const f of foot) expect(f.lines).toBeLessThanOrEqual(2);
      for (const t of await timesIn(page, ".msg-meta"))
        expect(t.replace(/ · Seen$/, "")).toMatch(TODAY_TIME);

      // an image shows as a preview; the link saves it, never a blob: address
      await page.locator('input[type="file"]').setInputFiles({
        name: "stand.png",
        mimeType: "image/png",
        buffer: PNG,
      });
      const link = messages.getByRole("link", { name: /Image: stand\.png/ });
      await link.waitFor({ timeout: 10_000 });
      const preview = link.locator("img.attachment-preview");
      await preview.waitFor({ timeout: 10_000 });
      expect(await preview.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
      expect(await preview.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(2);
      expect(await link.getAttribute("href")).toMatch(/^\/api\/chat\/attachments\//);
      await context.close();
    }

    const staff = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    const boardRow = staff.page.locator(`tr[data-order="${order.id}"]`);
    await boardRow.waitFor();
    const [, time] = (
      (await boardRow.locator("td").first().locator(".muted.small").textContent()) ?? ""
    ).split(" · ");
    expect(time).toMatch(TODAY_TIME);
    await staff.context.close();
  }, 120_000);

  it("a call that failed while the shop was unreachable stops saying so once it is back", async () => {
    const order = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "store-order",
      customerId: "ivan",
      title: "Car charger",
    });
    const staff = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    const row = staff.page.locator(`tr[data-order="${order.id}"]`);
    await row.getByRole("button", { name: "Paid" }).waitFor();
    await server.stop();
    await row.getByRole("button", { name: "Paid" }).click();
    const alert = staff.page.locator("main").getByRole("alert");
    await alert.getByText("We cannot reach the shop right now").waitFor({ timeout: 10_000 });
    expect(await staff.page.locator("body").textContent()).not.toMatch(/Failed to fetch/);
    await server.restart();
    await staff.page
      .getByTestId("connection-state")
      .filter({ hasText: /^connected$/ })
      .waitFor({ state: "attached", timeout: 20_000 });
    await alert.waitFor({ state: "detached", timeout: 10_000 });
    // and the board works again
    await row.getByRole("button", { name: "Paid" }).click();
    await expect.poll(() => row.locator(".pill").textContent(), { timeout: 10_000 }).toBe("Paid");
    await staff.context.close();
  }, 90_000);

  it("states: skeletons while loading, live viewers counting yourself, the SKU check, −1 off at zero, alerts kept across a reload", async () => {
    await apiCall(server, "PUT", "/api/inventory/items/VIEW-1", { onHand: 3, name: "Earbuds" });
    // loading: a skeleton, not a bare heading, until the orders arrive
    const { context, page } = await signedIn(browser, server, {
      user: "jon",
      name: "Jon",
      role: "customer",
    });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route("**/api/orders?*", async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole("link", { name: "My repairs & orders" }).click();
    await page.getByRole("heading", { name: "My repairs & orders" }).waitFor();
    await page.locator(".skeleton, .skeleton-line").first().waitFor();
    release();
    await page.getByText(/^Nothing yet\./).waitFor({ timeout: 10_000 });
    expect(await page.locator(".skeleton, .skeleton-line").count()).toBe(0);
    await page.unroute("**/api/orders?*");

    // viewers: yourself included, and it moves live when someone leaves
    await page.goto(`${server.url}/shop/VIEW-1`);
    await expect
      .poll(() => page.getByTestId("viewers").textContent(), { timeout: 10_000 })
      .toContain("1 person");
    const other = await signedIn(browser, server, { user: "kay", name: "Kay", role: "customer" });
    await other.page.goto(`${server.url}/shop/VIEW-1`);
    await expect
      .poll(() => page.getByTestId("viewers").textContent(), { timeout: 10_000 })
      .toContain("2 people");
    await other.context.close();
    await expect
      .poll(() => page.getByTestId("viewers").textContent(), { timeout: 10_000 })
      .toContain("1 person");
    await context.close();

    // staff: the SKU check works under Chromium's `v` flag; −1 is off at zero; alerts survive
    const staff = await signedIn(browser, server, { user: "sam", name: "Sam", role: "admin" });
    const consoleErrors: string[] = [];
    staff.page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    await staff.page.getByRole("link", { name: "Inventory" }).click();
    const sku = staff.page.getByLabel("SKU", { exact: true });
    await sku.fill("not valid!");
    expect(await sku.evaluate((el) => (el as HTMLInputElement).validity.patternMismatch)).toBe(
      true,
    );
    await sku.fill("GOOD-1");
    expect(await sku.evaluate((el) => (el as HTMLInputElement).validity.patternMismatch)).toBe(
      false,
    );
    expect(consoleErrors.filter((e) => /pattern/i.test(e))).toEqual([]);
    await apiCall(server, "PUT", "/api/inventory/items/ZERO-1", { onHand: 0, name: "Old cable" });
    const zero = staff.page.locator('tr[data-sku="ZERO-1"]');
    await expect
      .poll(() => zero.getByRole("button", { name: "Remove one damaged Old cable" }).isDisabled(), {
        timeout: 10_000,
      })
      .toBe(true);
    await apiCall(server, "PUT", "/api/inventory/items/LOW-1", {
      onHand: 3,
      lowStockThreshold: 2,
      name: "Screen wipes",
    });
    await apiCall(server, "POST", "/api/inventory/items/LOW-1/adjustments", {
      delta: -2,
      reason: "sale",
    });
    const alerts = staff.page.getByTestId("inventory-alerts");
    await alerts
      .getByText(/Screen wipes|LOW-1/)
      .first()
      .waitFor({ timeout: 10_000 });
    await staff.page.reload();
    await staff.page.getByRole("heading", { name: "Inventory" }).waitFor();
    await alerts
      .getByText(/Screen wipes|LOW-1/)
      .first()
      .waitFor({ timeout: 5000 });
    expect(await staff.page.locator("main").textContent()).not.toMatch(/would drop|onHand/);
    await staff.context.close();
  }, 120_000);
});
