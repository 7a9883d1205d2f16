import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Pusher, stateOf } from "../../../server/src/modules/pusher/test-kit.js";
import type { TestServer } from "../../../server/src/testing.js";
import type { PusherAppView } from "../pusher/PusherApps.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

/**
 * An admin runs Pusher apps from the console: creates one, sees a real pusher-js client counted
 * on it, switches its options, disables it (the client is cut off). Agents do not get the screen.
 */
describe.runIf(run)("web app in a real browser: Pusher apps", () => {
  let server: TestServer;
  let browser: Browser;
  const pushers: Pusher[] = [];
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    for (const p of pushers) p.disconnect();
    await browser?.close();
    await server?.close();
  });

  it("an admin creates an app, watches its connections, sets options and disables it", async () => {
    const { page, context } = await signedIn(browser, server, {
      user: "root",
      name: "Rita",
      role: "admin",
    });
    await page.getByRole("link", { name: "Pusher apps" }).click();
    await page.getByRole("heading", { name: "Pusher apps", exact: true }).waitFor();
    await expect.poll(() => page.title()).toMatch(/Pusher apps/);
    await page.getByLabel("New app name").fill("Storefront");
    await page.getByRole("button", { name: "Create app" }).click();
    const card = page.getByRole("article", { name: "App Storefront" });
    await card.waitFor();
    const key = (await card.getByTestId("app-key").textContent()) ?? "";
    expect(key).toMatch(/^[0-9a-f]{20}$/);
    // the secret is hidden until asked for
    expect(await card.getByTestId("app-secret").textContent()).not.toMatch(/[0-9a-f]{8}/);
    await card.getByRole("button", { name: "Show secret" }).click();
    expect(await card.getByTestId("app-secret").textContent()).toMatch(/^[0-9a-f]{48}$/);

    // a real pusher-js app connects with the key: the screen counts it
    const app = client(server, { key });
    pushers.push(app);
    await stateOf(app, "connected");
    await expect
      .poll(() => card.getByTestId("connections").textContent(), { timeout: 15_000 })
      .toBe("1");

    await card.getByLabel(/Client events/).check();
    await card
      .getByLabel("Webhook URLs (one per line; empty: none)")
      .fill("https://hooks.example/p");
    await card.getByLabel("Max connections (empty: no limit)").fill("abc");
    await card.getByRole("button", { name: "Save options" }).click();
    await card
      .getByRole("alert")
      .getByText(/whole number/)
      .waitFor();
    await card.getByLabel("Max connections (empty: no limit)").fill("50");
    // the app's own webhook events and client event rate
    const rate = card.getByLabel(
      "Max client events per second per connection (empty: server default)",
    );
    await rate.fill("0");
    await card.getByRole("button", { name: "Save options" }).click();
    await card
      .getByRole("alert")
      .getByText(/client events per second is a whole number from 1 to 1000/)
      .waitFor();
    await rate.fill("25");
    const events = card.getByRole("group", { name: "Webhook events sent" });
    await events.getByLabel("client_event").uncheck();
    await events.getByLabel("cache_miss").uncheck();
    await card.getByRole("button", { name: "Save options" }).click();
    await card.getByRole("status").getByText(/Saved/).waitFor();
    const saved = (
      await apiCall<{ apps: PusherAppView[] }>(server, "GET", "/api/pusher/apps")
    ).apps.find((a) => a.key === key);
    expect(saved).toMatchObject({
      clientEvents: true,
      webhookUrls: ["https://hooks.example/p"],
      maxConnections: 50,
      webhookEvents: ["channel_occupied", "channel_vacated", "member_added", "member_removed"],
      clientEventsPerSecond: 25,
    });
    // the form shows what was saved, and an empty rate gives the app the server's default back
    await expect.poll(() => rate.inputValue()).toBe("25");
    expect(await events.getByLabel("cache_miss").isChecked()).toBe(false);
    await rate.fill("");
    await card.getByRole("button", { name: "Save options" }).click();
    await expect
      .poll(
        async () =>
          (await apiCall<{ apps: PusherAppView[] }>(server, "GET", "/api/pusher/apps")).apps.find(
            (a) => a.key === key,
          )?.clientEventsPerSecond,
      )
      .toBe(10);
    await card.getByText("Connect pusher-js to this app").click();
    expect(await card.locator("pre").textContent()).toContain(key);
    await shot(page, "pusher-apps");

    // disabling asks first, then cuts the app's connections
    await card.getByRole("button", { name: "Disable" }).click();
    await card.getByRole("button", { name: "Yes, disable" }).click();
    await card.getByText("Disabled", { exact: true }).waitFor();
    await expect.poll(() => app.connection.state, { timeout: 15_000 }).not.toBe("connected");
    await context.close();
  });

  it("has no sideways scroll at phone width, and agents do not get the screen", async () => {
    const phone = await signedIn(
      browser,
      server,
      { user: "root", name: "Rita", role: "admin" },
      { width: 390, height: 844 },
    );
    await phone.page.goto(`${server.url}/console/pusher`);
    await phone.page.getByRole("article").first().waitFor();
    expect(
      await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await phone.context.close();

    const agent = await signedIn(browser, server, { user: "ann", name: "Ann", role: "agent" });
    expect(await agent.page.getByRole("link", { name: "Pusher apps" }).count()).toBe(0);
    await agent.page.goto(`${server.url}/console/pusher`);
    await agent.page.getByText("Only admins manage Pusher apps").waitFor();
    await agent.context.close();
  });
});
