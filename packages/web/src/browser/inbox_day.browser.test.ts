import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();
/** The app's one time format for today ("14:05", "02:05 PM" in an en-US browser). */
const TODAY_TIME = /^\d{1,2}:\d{2}( [AP]M)?$/;

async function goOnline(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("button", { name: "Online" }).click();
  await expect
    .poll(() => page.getByRole("button", { name: "Online" }).getAttribute("aria-pressed"))
    .toBe("true");
}

async function startChat(page: Page, question: string): Promise<void> {
  await page.getByRole("button", { name: "Chat with us" }).click();
  await page.getByLabel("What can we help with?").fill(question);
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByRole("list", { name: "Messages" }).getByText(question).waitFor();
}

/**
 * The inbox as Chatwoot users expect it: rows with names, times, previews and unread counts;
 * canned replies; a transfer that closes the pane and leaves a line; a resolved list; waits
 * that tick; the status shown on load; the customer's End chat asked first.
 */
describe.runIf(run)("web app in a real browser: a day in the inbox", () => {
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

  it("rows, unread counts, canned replies, a transfer, the resolved list, ticking waits, End chat asked first", async () => {
    const ann = await signedIn(browser, server, { user: "ann", name: "Ann Lee", role: "agent" });
    const errors: string[] = [];
    ann.page.on("pageerror", (e) => errors.push(e.message));
    ann.page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    // count the tones the console plays (the sound is made with oscillators, no file)
    await ann.context.addInitScript(() => {
      const w = window as unknown as { tones: number };
      w.tones = 0;
      const start = OscillatorNode.prototype.start;
      OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
        w.tones++;
        return start.call(this, when);
      };
    });
    await ann.page.reload();
    await goOnline(ann.page);
    // the optional sound on new chats: off until the agent turns it on
    await ann.page.getByLabel("Sound on new chats").check();

    const carol = await signedIn(browser, server, {
      user: "carol",
      name: "Carol Diaz",
      role: "customer",
    });
    const dan = await signedIn(browser, server, { user: "dan", name: "Dan Wu", role: "customer" });
    await startChat(carol.page, "My screen is cracked");
    await startChat(dan.page, "My battery drains fast");

    const mine = ann.page.getByRole("list", { name: "My conversations" });
    const carolRow = mine.getByRole("button", { name: /Carol Diaz/ });
    const danRow = mine.getByRole("button", { name: /Dan Wu/ });
    await carolRow.waitFor({ timeout: 15_000 });
    await danRow.waitFor({ timeout: 15_000 });
    await expect
      .poll(() => ann.page.evaluate(() => (window as unknown as { tones: number }).tones))
      .toBeGreaterThan(0);
    // each row: name, the time of its last change, what was said last
    for (const [row, said] of [
      [carolRow, "Carol Diaz: My screen is cracked"],
      [danRow, "Dan Wu: My battery drains fast"],
    ] as const) {
      expect(await row.locator(".row-top .muted.small").first().textContent()).toMatch(TODAY_TIME);
      await expect
        .poll(() => row.getByTestId("preview").textContent(), { timeout: 10_000 })
        .toBe(said);
    }

    // Ann reads Carol's chat; Dan writes again: his row counts it as unread
    await carolRow.click();
    await ann.page.getByTestId("conversation-customer").filter({ hasText: "Carol Diaz" }).waitFor();
    await dan.page.getByLabel("Message", { exact: true }).fill("Are you there?");
    await dan.page.getByRole("button", { name: "Send" }).click();
    await expect
      .poll(() => danRow.getByTestId("unread").textContent(), { timeout: 10_000 })
      .toMatch(/^[1-9]/);
    expect(await carolRow.getByTestId("unread").count()).toBe(0);
    await expect
      .poll(() => danRow.getByTestId("preview").textContent(), { timeout: 10_000 })
      .toBe("Dan Wu: Are you there?");

    // a canned reply, one pick away, lands in the composer
    const canned = "Could you send a photo of the damage? The paperclip button attaches it.";
    await ann.page.getByLabel("Insert a canned reply").selectOption(canned);
    expect(await ann.page.getByLabel("Message", { exact: true }).inputValue()).toBe(canned);
    await ann.page.getByRole("button", { name: "Send" }).click();
    await carol.page.getByRole("list", { name: "Messages" }).getByText(canned).waitFor();

    // Ben comes online; Ann hands Carol's chat to him: her pane closes, nothing throws
    const ben = await signedIn(browser, server, { user: "ben", name: "Ben Cho", role: "agent" });
    await goOnline(ben.page);
    await expect
      .poll(() => ann.page.getByLabel("Transfer to").locator("option").allTextContents(), {
        timeout: 10_000,
      })
      .toContainEqual(expect.stringMatching(/^Ben Cho/));
    await ann.page.getByLabel("Transfer to").selectOption("ben");
    await ann.page.getByRole("button", { name: "Transfer", exact: true }).click();
    await ann.page.getByTestId("toasts").getByText("Transferred to Ben Cho").waitFor();
    await ann.page.getByTestId("conversation-customer").waitFor({ state: "detached" });
    expect(await ann.page.getByLabel("Message", { exact: true }).count()).toBe(0);
    await carolRow.waitFor({ state: "detached", timeout: 10_000 });
    // Ben finds it with the line that says how it came to him
    const benRow = ben.page
      .getByRole("list", { name: "My conversations" })
      .getByRole("button", { name: /Carol Diaz/ });
    await benRow.click({ timeout: 15_000 });
    await ben.page
      .getByRole("list", { name: "Messages" })
      .getByText("Ann Lee transferred the chat to Ben Cho")
      .waitFor({ timeout: 10_000 });
    await expect
      .poll(() => carol.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toBe("Chatting with Ben Cho");

    // Ben resolves it: it moves to his Resolved list
    await ben.page.getByRole("button", { name: "Resolve", exact: true }).click();
    await benRow.waitFor({ state: "detached", timeout: 10_000 });
    await ben.page.getByRole("button", { name: "Resolved", exact: true }).click();
    await ben.page
      .getByRole("list", { name: "Resolved conversations" })
      .getByRole("button", { name: /Carol Diaz/ })
      .waitFor({ timeout: 10_000 });
    await expect
      .poll(() => carol.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toBe("This chat has ended — thank you!");

    // everyone busy: a new chat waits in the queue, and its wait keeps counting on screen
    for (const page of [ann.page, ben.page]) {
      await page.getByRole("button", { name: "Busy" }).click();
      await expect
        .poll(() => page.getByRole("button", { name: "Busy" }).getAttribute("aria-pressed"))
        .toBe("true");
    }
    await apiCall(server, "POST", "/api/chat/conversations", {
      customerId: "eve",
      subject: "Do you buy old phones?",
    });
    const waited = ann.page
      .getByRole("list", { name: "Waiting conversations" })
      .locator("li", { hasText: "Do you buy old phones?" })
      .getByTestId("waited");
    await waited.waitFor({ timeout: 10_000 });
    const first = await waited.textContent();
    await expect.poll(() => waited.textContent(), { timeout: 10_000 }).not.toBe(first);
    // the status chosen is the one shown selected after a reload
    await ann.page.reload();
    await expect
      .poll(() => ann.page.getByRole("button", { name: "Busy" }).getAttribute("aria-pressed"))
      .toBe("true");

    // the customer's End chat asks first; No keeps the chat going
    await dan.page.getByRole("button", { name: "End chat" }).click();
    await dan.page.getByRole("button", { name: "No", exact: true }).click();
    await dan.page.waitForTimeout(300);
    expect(await dan.page.getByTestId("chat-status").textContent()).not.toContain("ended");
    await dan.page.getByRole("button", { name: "End chat" }).click();
    await dan.page.getByRole("button", { name: "Yes, end it" }).click();
    await expect
      .poll(() => dan.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toBe("This chat has ended — thank you!");

    // Carol comes back with a new question: Ann takes it and finds the first chat in the panel
    await carol.page.getByRole("button", { name: "New chat" }).click();
    await carol.page.getByLabel("What can we help with?").fill("One more thing about my screen");
    await carol.page.getByRole("button", { name: "Start chat" }).click();
    const queued = ann.page
      .getByRole("list", { name: "Waiting conversations" })
      .locator("li", { hasText: "One more thing about my screen" });
    await queued.getByRole("button", { name: "Take" }).click({ timeout: 15_000 });
    await mine.getByRole("button", { name: /Carol Diaz/ }).click({ timeout: 15_000 });
    const panel = ann.page.getByRole("complementary", { name: "About Carol Diaz" });
    await panel.getByRole("button", { name: "My screen is cracked" }).click({ timeout: 10_000 });
    // opened read-only, with what was said
    await ann.page
      .getByRole("list", { name: "Messages" })
      .getByText(canned)
      .waitFor({ timeout: 10_000 });

    expect(errors.filter((e) => /participant|uncaught/i.test(e))).toEqual([]);
    for (const c of [ann, ben, carol, dan]) await c.context.close();
  }, 180_000);
});

/** With the FAQ bot on: the question typed to start the chat is what the bot answers. */
describe.runIf(run)("web app in a real browser: the bot answers the first question", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer({ SWITCHBOARD_CHAT_BOT: "faq" });
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("the bot answers the question typed to start; the agent who takes the chat reads both", async () => {
    const customer = await signedIn(browser, server, {
      user: "gus",
      name: "Gus Park",
      role: "customer",
    });
    await startChat(customer.page, "How long does a screen repair take?");
    const bot = customer.page.getByRole("list", { name: "Messages" }).locator(".msg.bot");
    await bot.getByText(/about one hour/).waitFor({ timeout: 20_000 });

    const ann = await signedIn(browser, server, { user: "ann", name: "Ann Lee", role: "agent" });
    await goOnline(ann.page);
    const take = ann.page.getByRole("button", { name: "Take" });
    const row = ann.page
      .getByRole("list", { name: "My conversations" })
      .getByRole("button", { name: /Gus Park/ });
    await take.or(row).first().waitFor({ timeout: 15_000 });
    if (await take.count()) await take.first().click();
    await row.click({ timeout: 15_000 });
    const messages = ann.page.getByRole("list", { name: "Messages" }).locator(".msg");
    await expect
      .poll(() => messages.first().textContent(), { timeout: 10_000 })
      .toContain("How long does a screen repair take?");
    await messages.getByText(/about one hour/).waitFor();
    await customer.context.close();
    await ann.context.close();
  }, 120_000);
});
