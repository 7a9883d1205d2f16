import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { Switchboard } from "../../../client/src/index.js";
import type { ChannelMessage } from "../../../client/src/subscription_types.js";
import { startTestServer, type TestServer } from "../../../server/src/testing.js";
import { browserAvailable, launch } from "./harness.js";
import { buildScriptTagBundle, expectMessages, openApp, record, SDK_PAGE } from "./sdk_app.js";
import { type PageServer, startPageServer } from "./sdk_page_server.js";

const run = browserAvailable();

/**
 * A browser without WebSocket (as behind a proxy or in a locked-down embedded browser): the SDK
 * falls back to the HTTP transport by itself and the page works as before.
 */
describe.runIf(run)("the SDK in Chromium without WebSocket", () => {
  let server: TestServer;
  let pages: PageServer;
  let browser: Browser;
  let bundle: { file: string; cleanup: () => void };
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    bundle = buildScriptTagBundle();
    server = await startTestServer();
    pages = await startPageServer(server, { html: SDK_PAGE, bundle: bundle.file });
    browser = await launch();
    context = await browser.newContext();
    await context.addInitScript(() => {
      // No WebSocket in this browser at all.
      delete (window as { WebSocket?: unknown }).WebSocket;
    });
    context.on("request", (r) => requested.push(new URL(r.url()).pathname));
    page = await openApp(context, pages, { sub: "pat" });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
    bundle?.cleanup();
  });

  it("connects over the HTTP fallback, receives and publishes", async () => {
    expect(await page.evaluate(() => typeof window.WebSocket)).toBe("undefined");
    const transport = await page.evaluate(
      () => (window as unknown as { app: { client: { transport?: string } } }).app.client.transport,
    );
    expect(transport).toBe("http");
    expect(requested).toContain("/ws/stream");

    const node = new Switchboard({
      url: server.wsUrl,
      token: () => server.token({ sub: "nia", role: "agent" }),
      WebSocket,
    });
    try {
      node.connect();
      const floor = node.subscribe("staff:floor");
      const seen: ChannelMessage[] = [];
      floor.on("message", (m) => seen.push(m));
      await expect.poll(() => floor.status, { timeout: 10_000 }).toBe("subscribed");
      await expect.poll(() => node.transport).toBe("websocket");

      await server.publish("staff:floor", "note", { n: 1 });
      await expectMessages(page, [{ n: 1 }]);
      await page.evaluate(() =>
        (window as unknown as { app: { publish(d: unknown): Promise<void> } }).app.publish({
          n: 2,
        }),
      );
      await expect
        .poll(() => seen.map((m) => m.data), { timeout: 10_000 })
        .toEqual([{ n: 1 }, { n: 2 }]);
      await expectMessages(page, [{ n: 1 }, { n: 2 }]);
      expect(requested).toContain("/ws/send");
      expect((await record(page)).errors).toEqual([]);
    } finally {
      await node.close({ force: true });
    }
  });
});

/**
 * No WebSocket, and the event stream held back (as by a proxy that buffers whole responses): the
 * SDK moves on to long polling by itself and the page works as before.
 */
describe.runIf(run)("the SDK in Chromium without WebSocket, behind a buffering proxy", () => {
  let server: TestServer;
  let pages: PageServer;
  let browser: Browser;
  let bundle: { file: string; cleanup: () => void };
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    bundle = buildScriptTagBundle();
    server = await startTestServer();
    pages = await startPageServer(server, { html: SDK_PAGE, bundle: bundle.file });
    browser = await launch();
    const context = await browser.newContext();
    await context.addInitScript(() => {
      delete (window as { WebSocket?: unknown }).WebSocket;
    });
    // The event stream never gets an answer through: the route is never fulfilled.
    await context.route("**/ws/stream", () => {});
    context.on("request", (r) => requested.push(new URL(r.url()).pathname));
    page = await openApp(context, pages, { sub: "pat" });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
    bundle?.cleanup();
  });

  it("connects by long polling, receives and publishes", async () => {
    const transport = await page.evaluate(
      () => (window as unknown as { app: { client: { transport?: string } } }).app.client.transport,
    );
    expect(transport).toBe("longpoll");
    expect(requested).toContain("/ws/stream");
    expect(requested).toContain("/ws/poll");
    await server.publish("staff:floor", "note", { n: 1 });
    await expectMessages(page, [{ n: 1 }]);
    await page.evaluate(() =>
      (window as unknown as { app: { publish(d: unknown): Promise<void> } }).app.publish({ n: 2 }),
    );
    await expectMessages(page, [{ n: 1 }, { n: 2 }]);
    expect((await record(page)).errors).toEqual([]);
  });
});
