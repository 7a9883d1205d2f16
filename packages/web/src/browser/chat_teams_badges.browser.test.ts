import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

async function goOnline(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("button", { name: "online" }).click();
  await expect
    .poll(() => page.getByRole("button", { name: "online" }).getAttribute("aria-pressed"))
    .toBe("true");
}

/** The tab title's count: "(3) Shop · …" → 3. */
const titleCount = async (page: Page) => Number(/^\((\d+)\)/.exec(await page.title())?.[1] ?? 0);

describe.runIf(run)("web app in a real browser: dealer teams, item context, unread badges", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
    await apiCall(server, "PUT", "/api/chat/teams/dealer-a", {
      name: "Dealer A",
      members: ["dan"],
    });
    await apiCall(server, "PUT", "/api/chat/teams/dealer-b", {
      name: "Dealer B",
      members: ["bea"],
    });
    await apiCall(server, "PUT", "/api/inventory/items/CAR-1", { onHand: 2, name: "Red roadster" });
    await apiCall(server, "PUT", "/api/catalog/products/CAR-1", {
      name: "Red roadster",
      teamId: "dealer-a",
      price: { amount: 2_450_000, currency: "USD" },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a buyer's chat about a dealer's car reaches that dealer, both see the car live, and unread counts show", async () => {
    const dan = await signedIn(browser, server, { user: "dan", name: "Dan", role: "agent" });
    const bea = await signedIn(browser, server, { user: "bea", name: "Bea", role: "agent" });
    await goOnline(dan.page);
    await goOnline(bea.page);

    const carol = await signedIn(browser, server, {
      user: "carol",
      name: "Carol",
      role: "customer",
    });
    await carol.page.goto(`${server.url}/shop/CAR-1`);
    await carol.page.getByRole("button", { name: "Chat with the seller" }).click();
    await expect
      .poll(() => carol.page.getByTestId("chat-about").textContent())
      .toContain("Red roadster");
    await carol.page
      .getByLabel("Your question for the seller")
      .fill("Is the roadster still available?");
    await carol.page.getByRole("button", { name: "Start chat" }).click();
    await expect
      .poll(() => carol.page.getByTestId("chat-status").textContent(), { timeout: 15_000 })
      .toContain("Dan");
    // the buyer sees the car in the chat, with its price and stock
    const card = carol.page.getByTestId("item-card");
    await expect.poll(() => card.getByTestId("item-name").textContent()).toBe("Red roadster");
    await expect.poll(() => card.getByTestId("item-price").textContent()).toContain("24,500");
    await expect.poll(() => card.getByTestId("item-stock").textContent()).toContain("2 available");

    // it reached Dan (dealer A), not Bea (dealer B)
    const danRow = dan.page
      .getByRole("list", { name: "My conversations" })
      .getByRole("button", { name: /Carol/ });
    await danRow.waitFor({ timeout: 15_000 });
    expect(
      await bea.page
        .getByRole("list", { name: "My conversations" })
        .getByRole("button", { name: /Carol/ })
        .count(),
    ).toBe(0);
    await danRow.click();
    const side = dan.page.getByTestId("item-card");
    await expect.poll(() => side.getByTestId("item-name").textContent()).toBe("Red roadster");
    expect(await side.getByRole("link", { name: "Open in inventory" }).getAttribute("href")).toBe(
      "/console/inventory",
    );

    // live: a unit sells; both sides' cards follow without a reload
    await apiCall(server, "POST", "/api/inventory/items/CAR-1/adjustments", {
      delta: -1,
      reason: "sale",
    });
    await expect
      .poll(() => card.getByTestId("item-stock").textContent(), { timeout: 10_000 })
      .toContain("1 available");
    await expect
      .poll(() => side.getByTestId("item-stock").textContent(), { timeout: 10_000 })
      .toContain("1 available");

    // badges: Carol closes the chat; Dan answers twice
    await carol.page.getByRole("button", { name: "Close chat" }).click();
    for (const text of ["Yes, it is!", "Want a test drive?"]) {
      await dan.page.getByLabel("Message", { exact: true }).fill(text);
      await dan.page.getByRole("button", { name: "Send" }).click();
    }
    const badge = carol.page.getByTestId("chat-unread");
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toMatch(/^2/);
    const notifications = async () =>
      Number(
        (
          await carol.page
            .getByTestId("notification-count")
            .textContent()
            .catch(() => "0")
        )?.match(/\d+/)?.[0] ?? 0,
      );
    await expect
      .poll(async () => (await titleCount(carol.page)) - (await notifications()), {
        timeout: 10_000,
      })
      .toBe(2);
    // a second tab of Carol's shows the same count; reading in one clears both
    const tab2 = await carol.context.newPage();
    await tab2.goto(`${server.url}/shop`);
    await expect
      .poll(() => tab2.getByTestId("chat-unread").textContent(), { timeout: 10_000 })
      .toMatch(/^2/);
    await shot(carol.page, "chat-unread-badge");
    await carol.page.getByRole("button", { name: /Chat with us/ }).click();
    await carol.page.getByText("Want a test drive?").waitFor({ timeout: 10_000 });
    await carol.page.getByRole("button", { name: "Close chat" }).click();
    await expect
      .poll(() => carol.page.getByTestId("chat-unread").count(), { timeout: 10_000 })
      .toBe(0);
    await expect.poll(() => tab2.getByTestId("chat-unread").count(), { timeout: 10_000 }).toBe(0);
    await shot(dan.page, "dealer-inbox-item");
    for (const c of [carol, dan, bea]) await c.context.close();
  }, 120_000);

  it("the staff coach streams an answer with its sources, confidence and model", async () => {
    const owner = await signedIn(browser, server, { user: "owner", name: "Owner", role: "admin" });
    await owner.page.getByRole("link", { name: "Coach" }).click();
    await owner.page
      .getByRole("button", { name: "How did Saturday compare with last week?" })
      .click();
    const answer = owner.page.getByTestId("coach-coach").last();
    await expect.poll(() => answer.textContent(), { timeout: 15_000 }).toContain("compared with");
    await expect.poll(() => answer.getByTestId("coach-model").textContent()).toBe("builtin");
    await expect
      .poll(() => answer.getByTestId("coach-confidence").textContent())
      .toMatch(/Confidence \d+%/);
    expect(
      await answer
        .getByTestId("coach-sources")
        .getByText(/bookings on/)
        .count(),
    ).toBeGreaterThan(0);
    await owner.page
      .getByPlaceholder("e.g. Which hours should I discount?")
      .fill("What was my profit?");
    await owner.page.getByRole("button", { name: "Ask" }).click();
    const refusal = owner.page.getByTestId("coach-coach").last();
    await expect
      .poll(() => refusal.textContent(), { timeout: 15_000 })
      .toContain("I have no cost or profit figures");
    await shot(owner.page, "staff-coach");
    await owner.context.close();
  }, 60_000);
});
