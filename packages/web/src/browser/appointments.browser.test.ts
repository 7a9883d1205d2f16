import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();
const DAY = "2027-01-04"; // a Monday
const TEN = "2027-01-04T09:00:00.000Z"; // 10:00 in Berlin

describe.runIf(run)("web app in a real browser: appointments", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
    await apiCall(server, "PUT", "/api/appointments/services/cut", {
      name: "Haircut",
      durationMinutes: 30,
    });
    await apiCall(server, "PUT", "/api/appointments/resources/chair-1", {
      name: "Chair 1",
      timeZone: "Europe/Berlin",
      services: ["cut"],
      hours: { mon: [["09:00", "12:00"]] },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("one customer holds a slot and another sees it vanish live; confirming shows in their appointments and the staff day view", async () => {
    const ann = await signedIn(browser, server, { user: "ann", name: "Ann", role: "customer" });
    const bob = await signedIn(browser, server, { user: "bob", name: "Bob", role: "customer" });
    for (const { page } of [ann, bob]) {
      await page.getByRole("link", { name: "Appointments" }).click();
      await page.getByLabel("Day").fill(DAY);
    }
    const slot = (page: typeof ann.page) => page.locator(`button.slot[data-start="${TEN}"]`);
    await slot(bob.page).waitFor({ timeout: 15_000 });
    await slot(ann.page).waitFor({ timeout: 15_000 });
    expect(await slot(bob.page).textContent()).toContain("10:00");

    const staff = await signedIn(browser, server, { user: "sam", name: "Sam", role: "agent" });
    await staff.page.getByRole("link", { name: "Appointments" }).click();
    await staff.page.getByLabel("Day").fill(DAY);
    const column = staff.page.locator('[data-resource="chair-1"]');
    await column.getByText("Free all day.").waitFor({ timeout: 15_000 });

    // Ann holds 10:00: in Bob's browser it disappears without a reload
    await slot(ann.page).click();
    await ann.page.getByTestId("hold").waitFor({ timeout: 15_000 });
    await slot(bob.page).waitFor({ state: "detached", timeout: 15_000 });
    // and the staff day view shows the hold live
    await column
      .locator(`li[data-start="${TEN}"][data-status="held"]`)
      .waitFor({ timeout: 15_000 });

    await ann.page.getByRole("button", { name: "Confirm booking" }).click();
    const mine = ann.page.getByTestId("my-appointments");
    await mine.locator('li[data-status="confirmed"]').waitFor({ timeout: 15_000 });
    expect(await mine.textContent()).toContain("Haircut");
    await column
      .locator(`li[data-start="${TEN}"][data-status="confirmed"]`)
      .waitFor({ timeout: 15_000 });
    await shot(ann.page, "customer-appointments");
    await shot(staff.page, "staff-appointments-day");

    // staff cancel it: the time comes back in Bob's browser, live
    await column.locator(`li[data-start="${TEN}"]`).getByRole("button", { name: "Cancel" }).click();
    await slot(bob.page).waitFor({ timeout: 15_000 });
    await mine.waitFor({ state: "detached", timeout: 15_000 });

    // a held time is not offered to a page loaded afterwards either
    await slot(bob.page).click();
    await bob.page.getByTestId("hold").waitFor({ timeout: 15_000 });
    await ann.page.reload();
    await ann.page.getByLabel("Day").fill(DAY);
    await slot(ann.page).waitFor({ state: "detached", timeout: 15_000 });
    for (const c of [ann, bob, staff]) await c.context.close();
  }, 180_000);
});
