import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

/**
 * The inbox as a team uses it: a private note the customer never receives (not on screen, not
 * in a single WebSocket frame of theirs), last-message previews in the rows, a colleague finding
 * the chat later under "All past chats" with the note; and names on the order board.
 */
describe.runIf(run)("web app in a real browser: notes, previews, past chats, board names", () => {
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

  it("a private note stays with staff; rows preview the last message; a colleague finds the chat later", async () => {
    const ann = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await ann.page.getByRole("link", { name: "Inbox" }).click();
    await ann.page.getByRole("button", { name: "Online" }).click();

    const customer = await signedIn(browser, server, {
      user: "carol",
      name: "Carol Diaz",
      role: "customer",
    });
    // every frame the customer's browser receives, on any socket
    const received: string[] = [];
    customer.page.on("websocket", (ws) =>
      ws.on("framereceived", (f) => received.push(String(f.payload))),
    );
    await customer.page.reload();
    await customer.page.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();
    await customer.page.getByRole("button", { name: "Chat with us" }).click();
    await customer.page.getByLabel("What can we help with?").fill("My tablet will not charge");
    await customer.page.getByRole("button", { name: "Start chat" }).click();

    const mine = ann.page.getByRole("list", { name: "My conversations" });
    const row = mine.getByRole("button", { name: /Carol Diaz/ });
    await row.waitFor({ timeout: 15_000 });
    // the row previews what was said last, by whom
    await expect
      .poll(() => row.getByTestId("preview").textContent(), { timeout: 10_000 })
      .toBe("Carol Diaz: My tablet will not charge");
    await row.click();
    await ann.page.getByTestId("conversation-customer").filter({ hasText: "Carol Diaz" }).waitFor();
    // opened again after a reload, the chat still says who joined (rebuilt from its history)
    await ann.page.reload();
    await mine.getByRole("button", { name: /Carol Diaz/ }).click();
    await ann.page
      .getByRole("list", { name: "Messages" })
      .getByText("Ann joined the chat")
      .waitFor({ timeout: 10_000 });

    const secret = "Warranty expired last month but we cover it as goodwill";
    await ann.page.getByLabel("New private note").fill(secret);
    await ann.page.getByRole("button", { name: "Add note" }).click();
    await ann.page.getByRole("region", { name: "Private notes" }).getByText(secret).waitFor();
    await ann.page.getByLabel("Message", { exact: true }).fill("Bring it in today, we will fix it");
    await ann.page.getByRole("button", { name: "Send" }).click();
    // the customer gets the reply (sent after the note) but never the note
    await customer.page
      .getByRole("list", { name: "Messages" })
      .getByText("Bring it in today, we will fix it")
      .waitFor({ timeout: 15_000 });
    await customer.page.waitForTimeout(1000);
    expect(await customer.page.getByText(/goodwill/).count()).toBe(0);
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((f) => f.includes("goodwill"))).toEqual([]);
    // the preview moved to the reply
    await expect
      .poll(() => row.getByTestId("preview").textContent(), { timeout: 10_000 })
      .toBe("You: Bring it in today, we will fix it");
    await shot(ann.page, "inbox-note-preview");

    await ann.page.getByRole("button", { name: "Resolve", exact: true }).click();
    await customer.context.close();

    // Ben never had this chat; under "All past chats" he finds it by what was said
    const ben = await signedIn(browser, server, { user: "ben", name: "Ben", role: "agent" });
    await ben.page.getByRole("link", { name: "Inbox" }).click();
    await ben.page.getByRole("button", { name: "All past chats" }).click();
    await ben.page.getByLabel("Search chats").fill("charge");
    const past = ben.page
      .getByRole("list", { name: "Past conversations" })
      .getByRole("button", { name: /Carol Diaz/ });
    await past.waitFor({ timeout: 10_000 });
    expect(await past.getByTestId("preview").textContent()).toBe(
      "Staff: Bring it in today, we will fix it",
    );
    await past.click();
    await ben.page
      .getByRole("list", { name: "Messages" })
      .getByText("My tablet will not charge")
      .waitFor();
    await ben.page.getByRole("region", { name: "Private notes" }).getByText(secret).waitFor();
    await ben.page.getByLabel("Search chats").fill("no such words anywhere");
    await ben.page.getByText("No past chat matches.").waitFor();
    await ben.context.close();
    await ann.context.close();
  }, 120_000);

  it("the order board names customers (their id beside the name)", async () => {
    const staff = await signedIn(browser, server, { user: "sam", name: "Sam", role: "agent" });
    const { page } = staff;
    await page.getByLabel("Customer", { exact: true }).fill("cus-7781");
    await page.getByLabel("Customer name").fill("Alice Moss");
    await page.getByLabel("Kind").selectOption("store-order");
    await page.getByLabel("Title").fill("Screen protector");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("status").getByText("Created “Screen protector” for Alice Moss").waitFor();
    expect(await page.getByLabel("Customer name").inputValue()).toBe("");
    const cell = page.locator("tr", { hasText: "Screen protector" }).getByTestId("order-customer");
    await expect.poll(() => cell.locator("strong").textContent()).toBe("Alice Moss");
    expect(await cell.textContent()).toContain("cus-7781");
    await staff.context.close();
  });
});
