import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: support chat", () => {
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

  it("customer ↔ agent round trip with typing and a read receipt", async () => {
    const agent = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    await agent.page.getByRole("link", { name: "Inbox" }).click();
    await agent.page.getByRole("button", { name: "online" }).click();
    await expect
      .poll(() => agent.page.getByRole("button", { name: "online" }).getAttribute("aria-pressed"))
      .toBe("true");

    const customer = await signedIn(browser, server, {
      user: "carol",
      name: "Carol",
      role: "customer",
    });
    await customer.page.getByRole("button", { name: "Chat with us" }).click();
    await customer.page.getByLabel("What can we help with?").fill("My repair status");
    await customer.page.getByRole("button", { name: "Start chat" }).click();
    await expect
      .poll(() => customer.page.getByTestId("chat-status").textContent(), { timeout: 10_000 })
      .toContain("Chatting with Ann");

    // the agent finds it in "Mine" (assigned automatically) and opens it
    const mine = agent.page
      .getByRole("list", { name: "My conversations" })
      .getByRole("button", { name: /Carol/ });
    await mine.waitFor({ timeout: 10_000 });
    await mine.click();

    const compose = customer.page.getByLabel("Message", { exact: true });
    await compose.pressSequentially("Hello, is my phone ready?", { delay: 10 });
    await expect
      .poll(() => agent.page.getByTestId("typing").textContent(), { timeout: 5000 })
      .toContain("Carol is typing");
    await customer.page.getByRole("button", { name: "Send" }).click();
    await agent.page
      .getByRole("list", { name: "Messages" })
      .getByText("Hello, is my phone ready?")
      .waitFor({ timeout: 5000 });
    // the agent's open conversation reads it: the customer sees "Seen"
    await customer.page.getByTestId("read-receipt").waitFor({ timeout: 5000 });

    await agent.page
      .getByLabel("Message", { exact: true })
      .fill("Hi Carol, it is being tested now.");
    await agent.page.getByRole("button", { name: "Send" }).click();
    await customer.page.getByText("Hi Carol, it is being tested now.").waitFor({ timeout: 5000 });
    await shot(customer.page, "customer-chat");
    await shot(agent.page, "agent-inbox");
    await customer.context.close();
    await agent.context.close();
  }, 60_000);
});
