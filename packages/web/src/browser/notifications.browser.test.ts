import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient } from "../../../server/src/test-support/ws-client.js";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: notifications", () => {
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

  const badge = (page: Page) => page.getByTestId("notification-count");

  it("a staff action rings the customer's bell in every tab; reading in one clears the other", async () => {
    const tab1 = await signedIn(browser, server, { user: "nina", name: "Nina", role: "customer" });
    const tab2 = await signedIn(browser, server, { user: "nina", name: "Nina", role: "customer" });
    // staff walk a repair to its quote: the rule tells Nina
    const order = await apiCall<{ id: string }>(server, "POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "nina",
      title: "Galaxy S23 battery",
    });
    for (const to of [
      "confirmed",
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
    ])
      await apiCall(server, "POST", `/api/orders/${order.id}/transitions`, { to });
    for (const tab of [tab1, tab2]) {
      await expect.poll(() => badge(tab.page).textContent(), { timeout: 20_000 }).toBe("1");
      await tab.page.getByText("Your quote is waiting").first().waitFor({ timeout: 20_000 }); // the toast
    }
    await expect.poll(() => tab1.page.title()).toMatch(/^\(1\) /);
    await apiCall(server, "POST", "/api/notifications", {
      userId: "nina",
      type: "message",
      data: { title: "Opening hours", body: "Open Sunday" },
    });
    await expect.poll(() => badge(tab2.page).textContent(), { timeout: 20_000 }).toBe("2");

    await tab1.page.getByRole("button", { name: /Notifications, 2 unread/ }).click();
    await shot(tab1.page, "notification-center");
    await tab1.page.getByRole("button", { name: "Mark all read" }).click();
    // the other tab's badge goes away, live
    await badge(tab2.page).waitFor({ state: "detached", timeout: 20_000 });
    await badge(tab1.page).waitFor({ state: "detached", timeout: 20_000 });
    await tab1.context.close();
    await tab2.context.close();
  }, 180_000);

  it("a reply while the customer is away rings the bell, and its link opens the chat", async () => {
    // an agent at the console (on staff:chat, as the console keeps it)
    const ann = await server.token({ sub: "ann", role: "agent", name: "Ann" });
    const agentWs = await RawClient.connect(server.wsUrl, ann);
    try {
      await agentWs.subscribe("staff:chat");
      await apiCall(server, "PUT", "/api/chat/agents/me", { status: "online", capacity: 3 }, ann);
      const pia = await server.token({ sub: "pia", role: "customer", name: "Pia" });
      const opened = await apiCall<{ id: string; agentId: string }>(
        server,
        "POST",
        "/api/chat/conversations",
        { subject: "Is my screen in stock?" },
        pia,
      );
      expect(opened.agentId).toBe("ann");
      // Pia has no page open: the reply becomes a notification
      await apiCall(
        server,
        "POST",
        `/api/chat/conversations/${opened.id}/messages`,
        { text: "Yes, we have two left" },
        ann,
      );
      // the reply's offline grace (SWITCHBOARD_NOTIFICATIONS_CHAT_REPLY_GRACE_MS) ends now, while
      // she is still away: the rule decides then
      const graceKey = `notifications:grace:chat-reply:${opened.id}:pia`;
      const graceTask = () =>
        server.app.store.db
          .selectFrom("scheduled_tasks")
          .select("key")
          .where("key", "=", graceKey)
          .executeTakeFirst();
      await expect.poll(graceTask, { timeout: 20_000 }).toBeDefined();
      expect(await server.app.scheduler.reschedule(server.app.store.db, graceKey, new Date())).toBe(
        true,
      );
      await expect.poll(graceTask, { timeout: 20_000 }).toBeUndefined();
      const { context, page } = await signedIn(browser, server, {
        user: "pia",
        name: "Pia",
        role: "customer",
      });
      await expect.poll(() => badge(page).textContent(), { timeout: 20_000 }).toBe("1");
      await page.getByRole("button", { name: /Notifications, 1 unread/ }).click();
      await page.getByRole("link", { name: "Open chat" }).click();
      await expect.poll(() => new URL(page.url()).search).toBe(`?chat=${opened.id}`);
      const chat = page.getByRole("dialog", { name: "Chat with the shop" });
      await chat.getByText("Yes, we have two left").waitFor({ timeout: 20_000 });
      await context.close();
    } finally {
      agentWs.close();
    }
  }, 180_000);

  it("the settings screen saves quiet hours, and the service worker shows a pushed notification", async () => {
    const { context, page } = await signedIn(browser, server, {
      user: "omar",
      name: "Omar",
      role: "customer",
    });
    await context.grantPermissions(["notifications"], { origin: server.url });
    await page.goto(`${server.url}/notifications/settings`);
    await page.getByRole("heading", { name: "Notification settings" }).waitFor();
    await page.getByLabel("Chat replies: Email").uncheck();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await page.getByLabel("From").fill("22:00");
    await page.getByLabel("Until").fill("07:00");
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    await page.getByRole("button", { name: "Save quiet hours" }).click();
    await expect
      .poll(async () => (await apiCallAs(server, "omar")).quietHours)
      .toEqual({ start: "22:00", end: "07:00" });
    expect((await apiCallAs(server, "omar")).channels).toEqual({ chat: { email: false } });
    // unread urgent ones: after 5 minutes, by SMS only
    await page.getByLabel("Use my own settings").check();
    await page.getByLabel("After (minutes)").fill("5");
    await page.getByLabel("Then Browser").uncheck();
    await page.getByLabel("Then Email").uncheck();
    await page.getByRole("button", { name: "Save escalation" }).click();
    await expect
      .poll(async () => (await apiCallAs(server, "omar")).escalation)
      .toEqual({ afterMinutes: 5, channels: ["sms"] });

    // The service worker the opt-in registers; a push delivered to it through the DevTools
    // protocol (no push service here) is shown as a system notification.
    const scope = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.register("/notifications-sw.js");
      await navigator.serviceWorker.ready;
      return r.scope;
    });
    const cdp = await context.newCDPSession(page);
    const registrationId = await new Promise<string>((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
        const mine = registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
        if (mine) resolve(mine.registrationId);
      });
      void cdp.send("ServiceWorker.enable");
    });
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: new URL(server.url).origin,
      registrationId,
      data: JSON.stringify({
        id: "n1",
        title: "Ready for pickup",
        body: "Your phone is ready",
        url: "/orders",
      }),
    });
    await expect
      .poll(
        () =>
          page.evaluate(async () => {
            const r = await navigator.serviceWorker.ready;
            return (await r.getNotifications()).map((n) => `${n.title}: ${n.body}`);
          }),
        { timeout: 20_000 },
      )
      .toEqual(["Ready for pickup: Your phone is ready"]);
    await context.close();
  }, 180_000);
});

async function apiCallAs(server: TestServer, sub: string) {
  const res = await fetch(`${server.url}/api/notifications/preferences`, {
    headers: { authorization: `Bearer ${await server.token({ sub })}` },
  });
  return (await res.json()) as { quietHours: unknown; channels: unknown; escalation: unknown };
}
