import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { browserAvailable, launch, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

describe.runIf(run)("web app in a real browser: attachments and the page's security policy", () => {
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

  it("serves the app under a Content-Security-Policy that it runs with, without violations", async () => {
    const res = await fetch(server.url, { headers: { accept: "text/html" } });
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const { context, page } = await signedIn(browser, server, {
      user: "dora",
      name: "Dora",
      role: "customer",
    });
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.reload();
    await page.getByTestId("connection-state").filter({ hasText: "connected" }).waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });

  it("saves an attachment as a download instead of opening it in the app's origin", async () => {
    const { context, page } = await signedIn(browser, server, {
      user: "erin",
      name: "Erin",
      role: "customer",
    });
    await page.getByRole("button", { name: "Chat with us" }).click();
    await page.getByLabel("What can we help with?").fill("Here is my receipt");
    await page.getByRole("button", { name: "Start chat" }).click();
    await page.getByTestId("chat-status").waitFor();
    await page.locator('input[type="file"]').setInputFiles({
      name: "receipt.html",
      mimeType: "text/html",
      buffer: Buffer.from("<script>alert(document.domain)</script>\n"),
    });
    const link = page.getByRole("link", { name: /File: receipt\.txt/ });
    await link.waitFor({ timeout: 10_000 });

    const opened: Page[] = [];
    context.on("page", (p) => opened.push(p));
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("receipt.txt");
    // Nothing was rendered: no new tab, no navigation to a blob: URL of ours.
    await page.waitForTimeout(500);
    expect(opened).toEqual([]);
    expect(page.url()).not.toMatch(/^blob:/);
    await context.close();
  });
});
