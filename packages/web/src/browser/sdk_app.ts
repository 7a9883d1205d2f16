import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import type { PageServer } from "./sdk_page_server.js";

export const SDK_PAGE = fileURLToPath(new URL("./sdk_page.html", import.meta.url));
const BUNDLE_SCRIPT = fileURLToPath(new URL("../../../client/scripts/bundle.mjs", import.meta.url));

/**
 * Builds the script-tag bundle with the script `npm run build` runs, into a folder of this test
 * file's own (a build elsewhere during the run cannot swap it). Returns the file and a cleanup.
 */
export function buildScriptTagBundle(): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bundle-"));
  const file = join(dir, "switchboard.min.js");
  const result = spawnSync(process.execPath, [BUNDLE_SCRIPT, "--out", file], {
    encoding: "utf8",
  });
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the script-tag build failed:\n${result.stderr}${result.stdout}`);
  }
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What sdk_page.html keeps in `window.app`. */
export interface AppRecord {
  states: string[];
  messages: unknown[];
  acks: number[];
  errors: string[];
}

export async function openApp(
  context: BrowserContext,
  pages: PageServer,
  query: Record<string, string> = {},
): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[sdk page] page error:", e.message));
  await page.goto(`${pages.url}/?${new URLSearchParams(query)}`);
  await waitForState(page, "connected");
  return page;
}

/** The state the page shows, read from the DOM as a user would. */
export const shownState = async (page: Page): Promise<string> =>
  (await page.locator("#state").textContent({ timeout: 5000 })) ?? "";

/** Polls the DOM until the page shows `state` (usable in hooks too, unlike expect.poll). */
export async function waitForState(page: Page, state: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let shown = await shownState(page);
  while (shown !== state) {
    if (Date.now() > deadline) {
      throw new Error(`the page shows "${shown}", not "${state}", after ${timeout} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
    shown = await shownState(page);
  }
}

export const record = (page: Page): Promise<AppRecord> =>
  page.evaluate(() => {
    const app = (window as unknown as { app: AppRecord }).app;
    return {
      states: [...app.states],
      messages: [...app.messages],
      acks: [...app.acks],
      errors: [...app.errors],
    };
  });

/** Waits until the page has shown exactly `expected` (in order, none twice). */
export async function expectMessages(page: Page, expected: unknown[]): Promise<void> {
  await expect
    .poll(async () => (await record(page)).messages.length, { timeout: 20_000, interval: 100 })
    .toBeGreaterThanOrEqual(expected.length);
  // A duplicate would arrive right behind the last expected message: give it the time to.
  await new Promise((r) => setTimeout(r, 500));
  expect((await record(page)).messages).toEqual(expected);
}

/** The states the page went through after the first `from` ones. */
export async function statesSince(page: Page, from: number): Promise<string[]> {
  return (await record(page)).states.slice(from);
}

export const range = (from: number, to: number): { n: number }[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ n: from + i }));
