import type { AlertRule } from "@switchboard/server/contracts/metrics";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatHarness } from "../../../server/src/test-support/chat.js";
import { closeAll, RawClient } from "../../../server/src/test-support/ws-client.js";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

/**
 * The business's zone is one where it is now between 04:00 and 19:59, so a booking an hour or two
 * from now falls on today's local day whenever the test runs (today's utilization counts it).
 */
const ZONE = [
  "Pacific/Kiritimati",
  "Asia/Tokyo",
  "Europe/Berlin",
  "America/New_York",
  "Pacific/Honolulu",
].find((zone) => {
  const hour = Number(
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(
      new Date(),
    ),
  );
  return hour >= 4 && hour < 20;
}) as string;

describe.runIf(run)("web app in a real browser: the owner's business figures", () => {
  let server: TestServer;
  let browser: Browser;
  const clients: RawClient[] = [];
  const chat = chatHarness(() => server);
  beforeAll(async () => {
    server = await startWebServer({
      SWITCHBOARD_METRICS_CURRENCY: "EUR",
      SWITCHBOARD_METRICS_LIVE_INTERVAL_MS: "1000",
      SWITCHBOARD_METRICS_TIME_ZONE: ZONE,
      SWITCHBOARD_METRICS_VIEWERS_SAMPLE_MS: "200",
      SWITCHBOARD_CHAT_BOT: "off",
    });
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    closeAll(clients);
    await chat.cleanup();
    await browser?.close();
    await server?.close();
  });

  it("every tile follows real changes, the feed survives a reload, a tile leads to its list", async () => {
    const admin = await signedIn(browser, server, { user: "sam", name: "Sam", role: "admin" });
    const page = admin.page;
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "Business", exact: true }).waitFor();
    const tile = (id: string) => () => page.getByTestId(`biz-${id}`).textContent();
    const trend = (id: string) => page.getByTestId(`trend-${id}`);
    const box = (id: string) => page.locator(".kpi", { has: page.getByTestId(`biz-${id}`) });
    await expect.poll(tile("orders"), { timeout: 10_000 }).toBe("0");
    expect(await tile("revenue")()).toBe("—");
    for (const id of ["wait", "longest-wait", "lateness", "first-response", "resolution"])
      expect(await tile(id)()).toBe("—"); // nothing to average yet
    expect(await trend("orders").textContent()).toContain("=");

    // an order: the tile moves live (dashboard:overview), its trend says "new" against yesterday
    await apiCall(server, "POST", "/api/orders", {
      lifecycle: "store-order",
      customerId: "alice",
      title: "Kettle",
    });
    await expect.poll(tile("orders"), { timeout: 15_000 }).toBe("1");
    expect(await trend("orders").textContent()).toContain("▲ new");
    expect(await trend("orders").getAttribute("class")).toContain("trend-good");

    // a viewer on a product page, then a priced sale: revenue in euros, the funnel, the feed
    await apiCall(server, "PUT", "/api/pricing/prices/MUG-1", { amount: 1250, currency: "EUR" });
    await apiCall(server, "PUT", "/api/inventory/items/MUG-1", { onHand: 10, name: "Mug" });
    const viewer = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "dana", role: "customer" }),
    );
    clients.push(viewer);
    await viewer.subscribe("product:MUG-1");
    await expect.poll(tile("viewers"), { timeout: 15_000 }).toBe("1");
    const r = await apiCall<{ id: string }>(server, "POST", "/api/inventory/reservations", {
      sku: "MUG-1",
      quantity: 2,
      customerId: "dana",
    });
    await apiCall(server, "POST", `/api/inventory/reservations/${r.id}/commit`);
    await expect.poll(tile("revenue"), { timeout: 15_000 }).toContain("25.00");
    expect(await trend("revenue").getAttribute("class")).toContain("trend-good");
    await expect.poll(tile("conversion"), { timeout: 15_000 }).toBe("100%");
    await expect
      .poll(() => box("viewers").textContent(), { timeout: 15_000 })
      .toContain("viewers → reservations (1/1)");
    await expect.poll(tile("customers"), { timeout: 15_000 }).toBe("2");
    const feed = page.getByTestId("business-feed");
    await feed.getByText("Sold 2 × MUG-1").waitFor({ timeout: 15_000 });
    await page.getByTestId("peak-map").waitFor();

    // a booking later today: bookings and utilization (booked ÷ open time of today)
    const week = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
    );
    await apiCall(server, "PUT", "/api/appointments/services/cut", {
      name: "Haircut",
      durationMinutes: 30,
    });
    await apiCall(server, "PUT", "/api/appointments/services/drive", {
      name: "Test drive",
      durationMinutes: 30,
      purpose: "test-drive",
    });
    await apiCall(server, "PUT", "/api/appointments/resources/chair", {
      name: "Chair",
      timeZone: ZONE,
      services: ["cut"],
      hours: week,
    });
    await apiCall(server, "PUT", "/api/appointments/resources/car", {
      name: "Demo car",
      timeZone: ZONE,
      services: ["drive"],
      hours: week,
    });
    const soon = new Date(Math.ceil((Date.now() + 3_600_000) / 900_000) * 900_000);
    const book = async (service: string, resourceId: string, start: Date) => {
      const hold = await apiCall<{ id: string }>(server, "POST", "/api/appointments/holds", {
        service,
        start: start.toISOString(),
        resourceId,
        customerId: "hana",
      });
      await apiCall(server, "POST", `/api/appointments/holds/${hold.id}/confirm`);
      return hold.id;
    };
    await book("cut", "chair", soon);
    await expect.poll(tile("bookings"), { timeout: 15_000 }).toBe("1");
    await expect.poll(tile("utilization"), { timeout: 15_000 }).toMatch(/^[1-9]\d*%$/);

    // a test drive checked in: its lateness (early: 0) on the lateness tile
    const drive = await book("drive", "car", new Date(soon.getTime() + 3_600_000));
    await expect
      .poll(
        () =>
          fetch(`${server.url}/api/orders/${drive}`, {
            headers: { authorization: `Bearer ${server.apiKey}` },
          }).then((res) => res.status),
        { timeout: 15_000 },
      )
      .toBe(200);
    await apiCall(server, "POST", `/api/orders/${drive}/transitions`, { to: "checked-in" });
    await expect.poll(tile("lateness"), { timeout: 15_000 }).not.toBe("—");
    expect(await box("lateness").textContent()).toContain("longest");

    // alert rules: the 1-star alert off, the revenue goal to 30.00 — kept by the server
    const alerts = page.getByTestId("alert-settings");
    const oneStar = alerts.getByRole("checkbox", { name: "A 1-star rating" });
    await oneStar.waitFor();
    expect(await alerts.locator("li[data-rule]").count()).toBe(5);
    expect(await oneStar.isChecked()).toBe(true);
    await oneStar.click(); // the box shows the server's answer once it comes
    await expect.poll(() => oneStar.isChecked(), { timeout: 15_000 }).toBe(false);
    const goal = alerts.getByLabel("Daily revenue goal reached threshold");
    await goal.fill("30");
    await goal.blur();
    await expect
      .poll(
        async () =>
          (await apiCall<{ rules: AlertRule[] }>(server, "GET", "/api/metrics/alerts")).rules
            .filter((x) => x.name === "rating-1" || x.name === "revenue-goal")
            .map((x) => `${x.name}:${x.enabled}:${x.threshold}`)
            .join(),
        { timeout: 15_000 },
      )
      .toBe("revenue-goal:true:3000,rating-1:false:null");
    // the next sale passes the goal: the alert is a line in the feed
    const r2 = await apiCall<{ id: string }>(server, "POST", "/api/inventory/reservations", {
      sku: "MUG-1",
      quantity: 1,
      customerId: "eli",
    });
    await apiCall(server, "POST", `/api/inventory/reservations/${r2.id}/commit`);
    await feed.getByText("Daily revenue goal reached").waitFor({ timeout: 15_000 });

    // a chat rated 1 star: waits, first response, resolution, satisfaction in warning colour,
    // the agent table
    const agent = await chat.agent("ann");
    const customer = await chat.as("carl");
    const conv = (await customer.call("POST", "/api/chat/conversations", { subject: "Hi" }))
      .body as { id: string };
    await expect
      .poll(
        async () => (await customer.call("GET", `/api/chat/conversations/${conv.id}`)).body.status,
        { timeout: 15_000 },
      )
      .toBe("active");
    await agent.call("POST", `/api/chat/conversations/${conv.id}/messages`, { text: "Hello!" });
    await customer.call("POST", `/api/chat/conversations/${conv.id}/resolve`, { rating: 1 });
    await expect.poll(tile("satisfaction"), { timeout: 15_000 }).toBe("1.0★");
    expect(await box("satisfaction").getAttribute("class")).toContain("kpi-warn");
    for (const id of ["wait", "longest-wait", "first-response", "resolution"])
      await expect.poll(tile(id), { timeout: 15_000 }).not.toBe("—");
    // an average with nothing the day before has no direction
    expect(await trend("wait").getAttribute("class")).toContain("trend-flat");
    const row = page.getByTestId("agent-table").locator('tr[data-agent="ann"]');
    await expect.poll(() => row.locator("td").nth(1).textContent(), { timeout: 15_000 }).toBe("1");
    expect(await row.locator("td").nth(3).textContent()).toContain("1.0★");

    // the charts: revenue (in the main currency) and bookings by hour, drawn by uPlot
    for (const label of ["Revenue by hour today", "Bookings by hour today"])
      await page.locator(`figure[aria-label="${label}"] canvas`).first().waitFor();
    expect(
      await page.locator('figure[aria-label="Revenue by hour today"]').textContent(),
    ).toContain("revenue (EUR)");
    await shot(page, "staff-business-dashboard");

    // the feed and the rules are the server's: after a reload they are still there
    await page.reload();
    await page.getByRole("heading", { name: "Business", exact: true }).waitFor();
    await feed.getByText("New order: Kettle").waitFor({ timeout: 15_000 });
    // the kettle and the test drive's order (appointments → orders)
    await expect.poll(tile("orders"), { timeout: 15_000 }).toBe("2");
    await oneStar.waitFor();
    expect(await oneStar.isChecked()).toBe(false);
    expect(await goal.inputValue()).toBe("30");

    // 7 days holds today too; the orders tile opens the order board
    await page.getByLabel("7 days").check();
    await expect.poll(tile("orders"), { timeout: 15_000 }).toBe("2");
    await page.getByTestId("biz-orders").click();
    await page.waitForURL(/\/console\/orders$/);
    await admin.context.close();
  }, 240_000);

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
