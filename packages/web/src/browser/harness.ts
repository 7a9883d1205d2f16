import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { inject } from "vitest";
import { startTestServer, type TestServer } from "../../../server/src/testing.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SHOTS = fileURLToPath(new URL("../../test-results/screenshots", import.meta.url));

/** This run's copy of the built web app, made by the global setup (global-setup.ts). */
export const webDist = (): string => inject("webDist");

/** Whether the browser tests can run here; under CI they must (ensure-chromium already failed the run otherwise). */
export function browserAvailable(): boolean {
  const ok = existsSync(CHROMIUM) && existsSync(join(webDist(), "index.html"));
  if (!ok) {
    const why = !existsSync(CHROMIUM)
      ? `no Chromium at ${CHROMIUM}`
      : `the web app is not built (${webDist()})`;
    if (process.env.CI) throw new Error(`CI=true: browser tests cannot run: ${why}`);
    console.warn(`\n⚠️  Browser tests SKIPPED: ${why}\n`);
  }
  return ok;
}

/**
 * Debian's Chromium, headless. Every launch gets a fresh profile: Playwright creates a temporary
 * --user-data-dir and deletes it on close (it refuses one passed in args), and each test takes
 * its own browser context on top.
 */
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function startWebServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({
    config: { webDir: webDist() },
    env: { SWITCHBOARD_CHAT_BOT: "off", ...env },
  });
}

/** A browser context signed in through the app's own sign-in screen. */
export async function signedIn(
  browser: Browser,
  server: TestServer,
  who: { user: string; name: string; role: "customer" | "agent" | "admin" },
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${who.user}] page error:`, e.message));
  await page.goto(server.url);
  await page.getByLabel("User id").fill(who.user);
  await page.getByLabel("Name").fill(who.name);
  await page.getByLabel("Role").selectOption(who.role);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();
  return { context, page };
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

export async function apiCall<T>(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  /** A user's token instead of the API key. */
  token?: string,
): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token ?? server.apiKey}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
