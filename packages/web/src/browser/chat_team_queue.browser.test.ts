import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();

/** The subjects in the Inbox's live queue, sorted. */
async function queued(page: Page): Promise<string[]> {
  const rows = page.getByRole("list", { name: "Waiting conversations" }).locator("strong");
  return (await rows.allTextContents()).sort();
}

describe.runIf(run)(
  "web app in a real browser: each agent's live queue is their teams'; row badges",
  () => {
    let server: TestServer;
    let browser: Browser;
    beforeAll(async () => {
      server = await startWebServer();
      browser = await launch();
      for (const [team, member, sku, name] of [
        ["dealer-a", "dan", "CAR-1", "Red roadster"],
        ["dealer-b", "bea", "CAR-2", "Blue van"],
      ] as const) {
        await apiCall(server, "PUT", `/api/chat/teams/${team}`, { name: team, members: [member] });
        await apiCall(server, "PUT", `/api/inventory/items/${sku}`, {
          onHand: 1,
          name,
          teamId: team,
        });
      }
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it("dealer agents see only their dealer's waiting chats, the pool what falls to it, admins all", async () => {
      // nobody goes online: the conversations stay in the queues
      const pages: Record<string, Page> = {};
      for (const [user, role] of [
        ["dan", "agent"],
        ["bea", "agent"],
        ["pat", "agent"],
        ["boss", "admin"],
      ] as const) {
        const { page } = await signedIn(browser, server, { user, name: user, role });
        await page.getByRole("link", { name: "Inbox" }).click();
        await page.getByRole("list", { name: "Waiting conversations" }).waitFor();
        pages[user] = page;
      }
      // opened after the pages loaded: what they show came live
      const opened: Record<string, string> = {};
      for (const [customerId, subject] of [
        ["carol", { type: "product", id: "CAR-1" }],
        ["vic", { type: "product", id: "CAR-2" }],
        ["gus", "Opening hours?"],
      ] as const)
        opened[customerId] = (
          await apiCall<{ id: string }>(server, "POST", "/api/chat/conversations", {
            customerId,
            subject,
          })
        ).id;

      const all = ["Blue van", "Opening hours?", "Red roadster"];
      const expected: Record<string, string[]> = {
        dan: ["Opening hours?", "Red roadster"],
        bea: ["Blue van", "Opening hours?"],
        pat: all, // in no team, and neither dealer is online: both fall to the pool
        boss: all,
      };
      for (const [user, want] of Object.entries(expected)) {
        const page = pages[user] as Page;
        await expect.poll(() => queued(page), { timeout: 15_000 }).toEqual(want);
      }

      // Dan comes online and takes his dealer's chat and the general one: they leave every queue,
      // and dealer B's stays where it was
      const dan = pages.dan as Page;
      await dan.getByRole("button", { name: "online" }).click();
      await expect.poll(() => queued(pages.pat as Page), { timeout: 15_000 }).toEqual(["Blue van"]);
      await expect.poll(() => queued(dan), { timeout: 15_000 }).toEqual([]);
      await expect
        .poll(() => queued(pages.boss as Page), { timeout: 15_000 })
        .toEqual(["Blue van"]);
      expect(await queued(pages.bea as Page)).toEqual(["Blue van"]);

      // Bea moves from dealer B to dealer A: her console drops B's queue at once (the server ends
      // that subscription) and reads A's, where nothing waits
      await apiCall(server, "PUT", "/api/chat/teams/dealer-a", {
        name: "dealer-a",
        members: ["dan", "bea"],
      });
      await apiCall(server, "PUT", "/api/chat/teams/dealer-b", { name: "dealer-b", members: [] });
      await expect.poll(() => queued(pages.bea as Page), { timeout: 15_000 }).toEqual([]);

      // Gus writes twice while Dan reads Carol's chat: Gus's row counts 2, the Inbox link and the
      // tab title count one chat with unread messages; opening it clears them
      const mineList = dan.getByRole("list", { name: "My conversations" });
      await mineList.getByRole("button", { name: /carol/ }).click();
      const gus = await server.token({ sub: "gus", role: "customer" });
      for (const text of ["Are you open on Sunday?", "And on holidays?"])
        await apiCall(
          server,
          "POST",
          `/api/chat/conversations/${opened.gus}/messages`,
          { text },
          gus,
        );
      const gusRow = mineList.getByRole("button", { name: /gus/ });
      await expect
        .poll(() => gusRow.getByTestId("unread").textContent(), { timeout: 15_000 })
        .toMatch(/^2/);
      await expect.poll(() => dan.getByTestId("inbox-badge").textContent()).toMatch(/^1/);
      await expect.poll(async () => /^\(1\)/.test(await dan.title())).toBe(true);
      await gusRow.click();
      await expect.poll(() => gusRow.getByTestId("unread").count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => dan.getByTestId("inbox-badge").count(), { timeout: 10_000 }).toBe(0);
    }, 120_000);
  },
);
