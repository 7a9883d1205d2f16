import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { CHROMIUM } from "./harness.js";

export interface OwnChromium {
  browser: Browser;
  /** The browser's own context: pages here are not kept visible by Playwright's focus emulation. */
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium started by us and attached over CDP with `noDefaults`, for tests of what a real tab
 * goes through. Playwright's own launch keeps every page "visible" (it turns on focus emulation,
 * which also makes Page.setWebLifecycleState a no-op) and switches off background timer
 * throttling; here a minimized window is `hidden`, its timers are throttled as in a user's
 * browser, and a page can be frozen.
 */
export async function launchOwnChromium(): Promise<OwnChromium> {
  const profile = mkdtempSync(join(tmpdir(), "switchboard-chromium-"));
  const proc = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  try {
    const endpoint = await devtoolsEndpoint(proc);
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
    const context = browser.contexts()[0];
    if (!context) throw new Error("Chromium came up without a default context");
    return {
      browser,
      context,
      close: async () => {
        // Browser.close shuts Chromium down with its helper processes; disconnecting alone
        // (browser.close() on a CDP connection) would leave it running.
        const session = await browser.newBrowserCDPSession().catch(() => undefined);
        await session?.send("Browser.close").catch(() => {});
        const killer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
        await browser.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      },
    };
  } catch (error) {
    proc.kill();
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    throw error;
  }
}

function devtoolsEndpoint(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    let found = false;
    const timer = setTimeout(() => {
      reject(new Error(`Chromium did not open a DevTools port within 30 s:\n${output}`));
    }, 30_000);
    // Keep reading stderr for the browser's whole life: a full pipe would block Chromium.
    proc.stderr?.on("data", (chunk: Buffer) => {
      if (found) return;
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        found = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before opening a DevTools port:\n${output}`));
    });
  });
}
