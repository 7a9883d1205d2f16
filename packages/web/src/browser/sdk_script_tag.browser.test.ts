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
 * The script-tag build as a page without a bundler uses it: a plain HTML page on a loopback web
 * server with `<script src="/switchboard.min.js">`, talking to a real Switchboard server.
 */
describe.runIf(run)("the SDK's script-tag build in a plain HTML page", () => {
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
    context.on("request", (r) => requested.push(new URL(r.url()).pathname));
    page = await openApp(context, pages, { sub: "pat" });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
    bundle?.cleanup();
  });

  it("defines the global Switchboard: the client class, carrying the rest of the SDK", async () => {
    const global = await page.evaluate(() => {
      const sb = (window as unknown as { Switchboard: Record<string, unknown> }).Switchboard;
      const ErrorClass = sb.SwitchboardError as new (c: string, m: string) => Error;
      return {
        type: typeof sb,
        self: sb.Switchboard === sb,
        version: sb.SDK_VERSION,
        error: new ErrorClass("bad_request", "x") instanceof Error,
      };
    });
    expect(global).toEqual({ type: "function", self: true, version: "0.1.0", error: true });
    // The page loaded the script and nothing else the SDK might have pulled in (the WebSocket
    // is not an HTTP request to Playwright).
    const loaded = new Set(requested.filter((path) => path !== "/favicon.ico"));
    expect(loaded).toEqual(new Set(["/", "/switchboard.min.js", "/token"]));
  });

  it("receives what is published and publishes what others receive", async () => {
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

      await server.publish("staff:floor", "note", { n: 1 });
      await expectMessages(page, [{ n: 1 }]);
      await expect.poll(() => page.locator("#messages li").allInnerTexts()).toEqual(['{"n":1}']);

      await page.evaluate(() =>
        (window as unknown as { app: { publish(d: unknown): Promise<void> } }).app.publish({
          n: 2,
        }),
      );
      expect((await record(page)).acks).toEqual([2]);
      await expect
        .poll(() => seen.map((m) => m.data), { timeout: 10_000 })
        .toEqual([{ n: 1 }, { n: 2 }]);
      expect(seen[1]?.from?.user).toBe("pat");
    } finally {
      await node.close({ force: true });
    }
  });

  it("with debug: true, shows what it does in the console, without the token", async () => {
    const debugPage = await context.newPage();
    const lines: string[] = [];
    debugPage.on("console", (m) => {
      if (m.type() === "debug") lines.push(m.text());
    });
    await debugPage.goto(`${pages.url}/?sub=dee&debug=1`);
    // (The console joins the arguments: the message, then the entry's data.)
    await expect
      .poll(() => lines.some((l) => l.startsWith("[switchboard] ← subscribed")), {
        timeout: 20_000,
      })
      .toBe(true);
    expect(lines.some((l) => l.startsWith("[switchboard] → connect"))).toBe(true);
    expect(lines.some((l) => l.startsWith("[switchboard] connecting → connected"))).toBe(true);
    expect(lines.join("\n")).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // no JWT anywhere
    await debugPage.close();
  });
});
