import type { CDPSession, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../../server/src/testing.js";
import { browserAvailable } from "./harness.js";
import {
  buildScriptTagBundle,
  expectMessages,
  openApp,
  range,
  record,
  SDK_PAGE,
  statesSince,
  waitForState,
} from "./sdk_app.js";
import { launchOwnChromium, type OwnChromium } from "./sdk_chromium.js";
import { type PageServer, startPageServer } from "./sdk_page_server.js";

const run = browserAvailable();

// The server pings every 2 s and drops a client silent for 2 s + 3 s; the page gives the server
// as long before it declares the connection dead. Short enough for a test, long enough that a
// busy machine does not drop a healthy connection.
const PING_SECONDS = 2;
const GRACE_MS = 3000;
const DEAD_AFTER_MS = PING_SECONDS * 1000 + GRACE_MS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The SDK in a real tab (Chromium, through the DevTools protocol) while the network goes away,
 * the page is frozen, the tab sits in the background and the machine sleeps. Each time the page
 * must show `disconnected`, then `connected` again, and every publication made meanwhile must
 * be on it exactly once, in order.
 */
describe.runIf(run)("the SDK in a real browser: network, freezing, background, sleep", () => {
  let server: TestServer;
  let chromium: OwnChromium;
  let pages: PageServer;
  let bundle: { file: string; cleanup: () => void };
  let page: Page;
  let cdp: CDPSession;
  let published = 0;

  beforeAll(async () => {
    bundle = buildScriptTagBundle();
    server = await startTestServer({
      pingIntervalSeconds: PING_SECONDS,
      config: { pingGraceMs: GRACE_MS },
    });
    pages = await startPageServer(server, { html: SDK_PAGE, bundle: bundle.file });
    chromium = await launchOwnChromium();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await pages?.close();
    await server?.close();
    bundle?.cleanup();
  });
  afterEach(async () => {
    pages.blackhole(false);
    await page?.close().catch(() => {});
  });

  /** Publishes the next `count` numbered messages from the server side (a backend's publish). */
  async function publish(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await server.publish("staff:floor", "note", { n: ++published });
  }

  async function open(query: Record<string, string> = {}): Promise<void> {
    page = await openApp(chromium.context, pages, { grace: String(GRACE_MS), ...query });
    cdp = await chromium.context.newCDPSession(page);
    await expect.poll(async () => (await record(page)).errors).toEqual([]);
    // Subscribed (the subscribe reply has come back) before anything is published.
    await expect
      .poll(() =>
        page.evaluate(() => (window as unknown as AppWindow).app.client.subscriptions()[0]?.status),
      )
      .toBe("subscribed");
    published = server.hub.streams.get("staff:floor")?.offset ?? published;
  }

  it("the network goes offline and comes back", async () => {
    await open();
    const start = published;
    await publish(2);
    const before = (await record(page)).states.length;
    await cdp.send("Network.emulateNetworkConditions", {
      offline: true,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await waitForState(page, "disconnected");
    await publish(3);
    // Published by the page itself while offline: queued, sent once after the reconnect.
    await page.evaluate(() => {
      void (window as unknown as AppWindow).app.publish({ n: "page" });
    });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await waitForState(page, "connected");
    await expectMessages(page, [...range(start + 1, start + 5), { n: "page" }]);
    expect(await statesSince(page, before)).toEqual(["disconnected", "connecting", "connected"]);
    expect((await record(page)).acks).toHaveLength(1);
  });

  it("the page is frozen and resumed", async () => {
    await open();
    const start = published;
    await publish(2);
    await expectMessages(page, range(start + 1, start + 2));
    const before = (await record(page)).states.length;
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await publish(3);
    // Frozen for longer than the server keeps a silent client: it has dropped this one.
    await sleep(DEAD_AFTER_MS + 2000);
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    await waitForState(page, "connected");
    await expectMessages(page, range(start + 1, start + 5));
    const states = await statesSince(page, before);
    expect(states).toContain("disconnected");
    expect(states.at(-1)).toBe("connected");
  });

  it("the tab stays in the background longer than the ping grace", async () => {
    await open();
    const start = published;
    const before = (await record(page)).states.length;
    const { windowId } = await cdp.send("Browser.getWindowForTarget");
    await cdp.send("Browser.setWindowBounds", { windowId, bounds: { windowState: "minimized" } });
    await expect.poll(() => page.evaluate(() => document.visibilityState)).toBe("hidden");
    // A healthy network: the background tab keeps answering pings, so nothing is lost.
    for (let i = 0; i < 3; i++) {
      await publish(1);
      await sleep(DEAD_AFTER_MS / 2);
    }
    expect(await statesSince(page, before)).toEqual([]);
    // Then the network dies silently while the tab is away.
    pages.blackhole(true);
    await publish(2);
    await sleep(DEAD_AFTER_MS + 2000);
    pages.blackhole(false);
    await publish(1);
    await cdp.send("Browser.setWindowBounds", { windowId, bounds: { windowState: "normal" } });
    await waitForState(page, "connected");
    await expectMessages(page, range(start + 1, start + 6));
    const states = await statesSince(page, before);
    expect(states).toContain("disconnected");
    expect(states.at(-1)).toBe("connected");
  });

  it("the machine sleeps: timers stop and the connection dies without a close", async () => {
    // The app publishes the moment the page runs again, before any timer of the SDK has.
    await open({ publishOnResume: "1" });
    const start = published;
    await publish(1);
    await expectMessages(page, range(start + 1, start + 1));
    const before = (await record(page)).states.length;
    pages.blackhole(true);
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await publish(3);
    await sleep(DEAD_AFTER_MS + 2000);
    // Wake up: the network is back, the old connection is a zombie nobody closed (the first
    // byte written into it is answered with a reset).
    pages.blackhole(false);
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    await waitForState(page, "connected");
    await expectMessages(page, [...range(start + 1, start + 4), { n: "awake" }]);
    const states = await statesSince(page, before);
    expect(states).toContain("disconnected");
    expect(states.at(-1)).toBe("connected");
    expect((await record(page)).errors).toEqual([]);
    expect((await record(page)).acks).toHaveLength(1);
  });
});

interface AppWindow {
  app: {
    client: { subscriptions(): { status: string }[] };
    publish(data: unknown): Promise<void>;
  };
}
