import type { Conversation } from "@switchboard/server/contracts/chat";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();
// Short enough that a test can outlast it several times; the routing job sweeps every 2 s.
const GRACE_MS = 3000;

describe.runIf(run)("web app in a real browser: chat staffing", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer({ SWITCHBOARD_CHAT_AGENT_GRACE_MS: String(GRACE_MS) });
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("an agent away from the inbox keeps their chats and is told of a new one; the first question is its first message", async () => {
    const agent = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await agent.page.getByRole("link", { name: "Inbox" }).click();
    // never set: Offline is the one shown selected
    await expect
      .poll(() => agent.page.getByRole("button", { name: "Offline" }).getAttribute("aria-pressed"))
      .toBe("true");
    await agent.page.getByRole("button", { name: "Online" }).click();
    await expect
      .poll(() => agent.page.getByRole("button", { name: "Online" }).getAttribute("aria-pressed"))
      .toBe("true");
    // the agent goes to work on orders, away from the inbox
    await agent.page.getByRole("link", { name: "Orders" }).click();
    await agent.page.getByRole("heading", { name: "Orders & bookings" }).waitFor();

    const customer = await signedIn(browser, server, {
      user: "carol",
      name: "Carol",
      role: "customer",
    });
    await customer.page.getByRole("button", { name: "Chat with us" }).click();
    await customer.page
      .getByLabel("What can we help with?")
      .fill("Is my iPhone 14 screen repair done yet?");
    await customer.page.getByRole("button", { name: "Start chat" }).click();
    // the question is the first message of the conversation
    await customer.page
      .getByRole("list", { name: "Messages" })
      .getByText("Is my iPhone 14 screen repair done yet?")
      .waitFor({ timeout: 10_000 });

    // wherever the agent is, they hear of it: a toast, the Inbox badge, the tab title
    await agent.page
      .getByTestId("toasts")
      .getByText("New chat assigned to you")
      .waitFor({ timeout: 15_000 });
    await agent.page.getByTestId("inbox-badge").waitFor();
    await expect.poll(() => agent.page.title()).toMatch(/^\(1\) Orders/);
    // and the customer reads that Ann is there (by name, not id)
    await expect
      .poll(() => customer.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toBe("Chatting with Ann");

    // well past the grace period on the order board: the chat is still Ann's
    const [mine] = (
      await apiCall<{ items: Conversation[] }>(server, "GET", "/api/chat/conversations")
    ).items;
    await agent.page.waitForTimeout(GRACE_MS * 3);
    const later = await apiCall<Conversation>(server, "GET", `/api/chat/conversations/${mine?.id}`);
    expect(later.status).toBe("active");
    expect(later.agentId).toBe("ann");

    // the Inbox link (with its badge) leads to the conversation; the question comes first
    await agent.page.getByRole("link", { name: /Inbox/ }).click();
    await agent.page
      .getByRole("list", { name: "My conversations" })
      .getByRole("button", { name: /Carol/ })
      .click();
    await agent.page.getByTestId("conversation-customer").filter({ hasText: "Carol" }).waitFor();
    await agent.page
      .getByRole("list", { name: "Messages" })
      .getByText("Is my iPhone 14 screen repair done yet?")
      .waitFor();
    // read: the badge and the title count go
    await agent.page.getByTestId("inbox-badge").waitFor({ state: "detached", timeout: 10_000 });
    await expect.poll(() => agent.page.title()).toMatch(/^Inbox/);

    // Ann closes the console: the customer no longer reads "Chatting with Ann"
    await agent.context.close();
    await expect
      .poll(() => customer.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toContain("will reply soon");
    // and past the grace period the chat goes back to the queue
    await expect
      .poll(() => customer.page.getByTestId("chat-status").textContent(), { timeout: 30_000 })
      .toMatch(/in line|next free agent/);
    await customer.context.close();
  }, 120_000);

  it("a second tab of the console shares the session and keeps the agent connected", async () => {
    const first = await signedIn(browser, server, { user: "ben", name: "Ben", role: "agent" });
    const second = await first.context.newPage();
    await second.goto(`${server.url}/console/dashboard`);
    // signed in already: a new tab does not sign you out
    await second.getByRole("heading", { name: "Live dashboard" }).waitFor();
    await second.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();
    await first.page.close();
    await second.goto(`${server.url}/console/inbox`);
    await second.getByRole("button", { name: "Online" }).click();
    await second.getByRole("link", { name: "Dashboard" }).click();

    const customer = await signedIn(browser, server, {
      user: "dora",
      name: "Dora",
      role: "customer",
    });
    await customer.page.getByRole("button", { name: "Chat with us" }).click();
    await customer.page.getByLabel("What can we help with?").fill("Do you fix tablets?");
    await customer.page.getByRole("button", { name: "Start chat" }).click();
    await second.getByTestId("toasts").getByText(/Dora/).waitFor({ timeout: 15_000 });
    await second.getByTestId("inbox-badge").waitFor();
    // the toast's Open leads straight to the conversation
    // (Carol's chat, requeued when Ann left, came to Ben too: one toast each)
    await second
      .getByTestId("toasts")
      .locator(".toast", { hasText: "Dora" })
      .getByRole("link", { name: "Open" })
      .click();
    await second.getByTestId("conversation-customer").filter({ hasText: "Dora" }).waitFor();
    await second.getByRole("list", { name: "Messages" }).getByText("Do you fix tablets?").waitFor();
    await second.getByRole("link", { name: "Dashboard" }).click();
    await second.waitForTimeout(GRACE_MS * 2);
    await expect
      .poll(() => customer.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toBe("Chatting with Ben");
    await customer.context.close();
    await first.context.close();
  }, 120_000);
});
