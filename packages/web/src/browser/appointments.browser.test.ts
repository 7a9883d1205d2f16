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

  it("customers are offered the quietest times, and a suggestion someone takes goes away live", async () => {
    const cleo = await signedIn(browser, server, { user: "cleo", name: "Cleo", role: "customer" });
    await cleo.page.getByRole("link", { name: "Appointments" }).click();
    await cleo.page.getByLabel("Day").fill(DAY);
    const best = cleo.page.getByTestId("best-times");
    const first = best.locator("button[data-best]").first();
    await first.waitFor({ timeout: 15_000 });
    const start = (await first.getAttribute("data-best")) as string;
    expect(start >= `${DAY}T08:00:00.000Z`).toBe(true);
    await apiCall(server, "POST", "/api/appointments/holds", {
      service: "cut",
      resourceId: "chair-1",
      start,
      customerId: "dan",
    });
    await best.locator(`button[data-best="${start}"]`).waitFor({
      state: "detached",
      timeout: 15_000,
    });
    await cleo.context.close();
  }, 120_000);

  it("staff switch to one resource's week: each day's appointments with quick actions and how booked it is", async () => {
    const WED_NOON = "2027-01-06T11:00:00.000Z"; // 12:00 Berlin
    await apiCall(server, "PUT", "/api/appointments/resources/chair-2", {
      name: "Chair 2",
      timeZone: "Europe/Berlin",
      services: ["cut"],
      hours: { mon: [["09:00", "12:00"]], wed: [["10:00", "14:00"]] },
    });
    const held = await apiCall<{ id: string }>(server, "POST", "/api/appointments/holds", {
      service: "cut",
      resourceId: "chair-2",
      start: WED_NOON,
      customerId: "cleo",
    });
    const staff = await signedIn(browser, server, { user: "sam", name: "Sam", role: "agent" });
    await staff.page.getByRole("link", { name: "Appointments" }).click();
    await staff.page.getByLabel("Day").fill("2027-01-07"); // a Thursday: the week starts Monday
    await staff.page.getByRole("button", { name: "Week" }).click();
    await staff.page.getByLabel("Resource").selectOption("chair-2");
    const week = staff.page.locator('[data-testid="week-grid"][data-resource="chair-2"]');
    await week.waitFor({ timeout: 15_000 });
    expect(await week.locator("section[data-day]").count()).toBe(7);
    const wed = week.locator('section[data-day="2027-01-06"]');
    const item = wed.locator(`li[data-start="${WED_NOON}"][data-status="held"]`);
    await item.waitFor({ timeout: 15_000 });
    expect(await item.textContent()).toContain("cleo");
    // 30 of Wednesday's 240 open minutes: 13 %; Tuesday is closed
    await wed.getByText("13% booked").waitFor({ timeout: 15_000 });
    expect(await week.locator('section[data-day="2027-01-05"]').textContent()).toContain("Closed");
    // a quick action from the week: confirm the hold; it shows confirmed, live
    await item.getByRole("button", { name: "Confirm" }).click();
    await wed
      .locator(`li[data-start="${WED_NOON}"][data-status="confirmed"]`)
      .waitFor({ timeout: 15_000 });
    const got = await apiCall<{ status: string }>(server, "GET", `/api/appointments/${held.id}`);
    expect(got.status).toBe("confirmed");
    // the customer arrives: Check in from the week; it shows checked in, live, with no more actions
    const confirmedItem = wed.locator(`li[data-start="${WED_NOON}"][data-status="confirmed"]`);
    await confirmedItem.getByRole("button", { name: "Check in" }).click();
    const arrived = wed.locator(`li[data-start="${WED_NOON}"][data-status="checked_in"]`);
    await arrived.waitFor({ timeout: 15_000 });
    expect(await arrived.textContent()).toContain("checked-in");
    expect(await arrived.getByRole("button").count()).toBe(0);
    const checked = await apiCall<{ status: string; checkedInAt?: string }>(
      server,
      "GET",
      `/api/appointments/${held.id}`,
    );
    expect(checked.status).toBe("checked_in");
    expect(checked.checkedInAt).toBeTruthy();
    // still counted as booked time
    await wed.getByText("13% booked").waitFor({ timeout: 15_000 });
    // a booking made elsewhere appears without a reload
    await apiCall(server, "POST", "/api/appointments/holds", {
      service: "cut",
      resourceId: "chair-2",
      start: "2027-01-06T09:00:00.000Z",
      customerId: "dan",
    });
    await wed.getByText("25% booked").waitFor({ timeout: 15_000 });
    await shot(staff.page, "staff-appointments-week");
    // the next week is empty
    await staff.page.getByRole("button", { name: "Next week →" }).click();
    await week.locator('section[data-day="2027-01-13"]').waitFor({ timeout: 15_000 });
    expect(await week.locator("li[data-status]").count()).toBe(0);
    await staff.context.close();
  }, 180_000);

  it("a customer whose repair is ready sees pickup times offered and holds one", async () => {
    await apiCall(server, "PUT", "/api/appointments/services/drop", {
      name: "Repair drop-off",
      durationMinutes: 15,
      purpose: "drop-off",
    });
    await apiCall(server, "PUT", "/api/appointments/services/pickup", {
      name: "Pickup",
      durationMinutes: 15,
      purpose: "pickup",
    });
    const allDay = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
    );
    await apiCall(server, "PUT", "/api/appointments/resources/counter", {
      name: "Repair counter",
      timeZone: "UTC",
      services: ["drop", "pickup"],
      hours: allDay,
    });
    const hold = await apiCall<{ id: string }>(server, "POST", "/api/appointments/holds", {
      service: "drop",
      resourceId: "counter",
      start: TEN,
      customerId: "eve",
    });
    await apiCall(server, "POST", `/api/appointments/holds/${hold.id}/confirm`);
    const eve = await signedIn(browser, server, { user: "eve", name: "Eve", role: "customer" });
    await eve.page.getByRole("link", { name: "Appointments" }).click();
    await eve.page.getByTestId("my-appointments").waitFor({ timeout: 15_000 });
    // the booking made its repair order; the shop moves it along to ready for pickup
    const deadline = Date.now() + 30_000;
    while (
      (
        await fetch(`${server.url}/api/orders/${hold.id}`, {
          headers: { authorization: `Bearer ${server.apiKey}` },
        })
      ).status !== 200
    ) {
      if (Date.now() > deadline) throw new Error("no repair order");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const to of [
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
      "quote-approved",
      "repair-queued",
      "repair-started",
      "repair-progress",
      "repair-complete",
      "testing",
      "ready-pickup",
    ])
      await apiCall(server, "POST", `/api/orders/${hold.id}/transitions`, { to });
    const offer = eve.page.getByTestId("pickup-offer");
    await offer.waitFor({ timeout: 30_000 });
    expect(await offer.textContent()).toContain("ready for pickup");
    await offer.getByRole("button").first().click();
    await eve.page.getByTestId("hold").waitFor({ timeout: 15_000 });
    expect(await eve.page.getByTestId("hold").textContent()).toContain("Pickup");
    await eve.page.getByRole("button", { name: "Confirm booking" }).click();
    await eve.page.getByTestId("hold").waitFor({ state: "detached", timeout: 15_000 });

    // the repair's tracker shows the drop-off and the pickup booked for it
    await eve.page.goto(`${server.url}/orders/${hold.id}`);
    const pickup = eve.page.getByTestId("order-pickup");
    await pickup.and(eve.page.locator('[data-status="confirmed"]')).waitFor({ timeout: 30_000 });
    await eve.page.getByTestId("order-booking").waitFor({ timeout: 15_000 });
    const before = await pickup.textContent();
    // the shop moves the pickup: the tracker follows without a reload
    const mine = await apiCall<{ items: { id: string; serviceId: string; start: string }[] }>(
      server,
      "GET",
      "/api/appointments?customerId=eve&status=confirmed",
    );
    const booked = mine.items.find((a) => a.serviceId === "pickup");
    expect(booked).toBeDefined();
    const later = new Date(Date.parse(booked?.start ?? "") + 24 * 3600_000).toISOString();
    await apiCall(server, "POST", `/api/appointments/${booked?.id}/reschedule`, { start: later });
    await eve.page.waitForFunction(
      (was) => document.querySelector('[data-testid="order-pickup"]')?.textContent !== was,
      before,
      { timeout: 30_000 },
    );
    await shot(eve.page, "customer-order-appointments");
    await eve.context.close();
  }, 180_000);

  it("staff set up a service, a resource with weekly hours and a closed day in the console; customers get those slots", async () => {
    const staff = await signedIn(browser, server, { user: "sam", name: "Sam", role: "agent" });
    const page = staff.page;
    await page.getByRole("link", { name: "Appointments" }).click();
    await page.getByRole("button", { name: "Setup" }).click();
    const service = page.getByRole("form", { name: "Service" });
    await service.getByLabel("Id", { exact: true }).fill("trim");
    await service.getByLabel("Name", { exact: true }).fill("Beard trim");
    await service.getByLabel("Minutes").fill("15");
    await service.getByRole("button", { name: "Save service" }).click();
    await page.getByText("Service trim saved.").waitFor({ timeout: 15_000 });

    const resource = page.getByRole("form", { name: "Resource" });
    await resource.getByLabel("Id", { exact: true }).fill("chair-9");
    await resource.getByLabel("Name", { exact: true }).fill("Chair 9");
    await resource.getByLabel("Time zone").fill("Europe/Berlin");
    await resource.getByLabel("Beard trim").check();
    // a typo is caught before anything is sent
    await resource.getByLabel("Monday").fill("nine to ten");
    await resource.getByRole("button", { name: "Save resource" }).click();
    await page.getByRole("alert").getByText("Monday:").waitFor({ timeout: 15_000 });
    await resource.getByLabel("Monday").fill("09:00-10:00");
    await resource.getByRole("button", { name: "Save resource" }).click();
    await page.getByText("Resource chair-9 saved.").waitFor({ timeout: 15_000 });
    const slots = async (day: string) =>
      (
        await apiCall<{ slots: { start: string }[] }>(
          server,
          "GET",
          `/api/appointments/slots?service=trim&resource=chair-9&from=${day}`,
        )
      ).slots.map((x) => x.start);
    expect(await slots("2027-01-11")).toEqual([
      "2027-01-11T08:00:00.000Z",
      "2027-01-11T08:15:00.000Z",
      "2027-01-11T08:30:00.000Z",
      "2027-01-11T08:45:00.000Z",
    ]);

    // close one Monday
    const day = page.getByRole("form", { name: "Exception" });
    await day.getByLabel("Date", { exact: true }).fill("2027-01-11");
    await day.getByLabel("Note", { exact: true }).fill("Holiday");
    await day.getByRole("button", { name: "Save day" }).click();
    await day.getByText("2027-01-11: closed (Holiday)").waitFor({ timeout: 15_000 });
    expect(await slots("2027-01-11")).toEqual([]);
    expect(await slots("2027-01-18")).toHaveLength(4);
    await shot(page, "staff-appointments-setup");
    await day.getByRole("button", { name: "Remove" }).click();
    await day.getByText("2027-01-11: closed").waitFor({ state: "detached", timeout: 15_000 });
    expect(await slots("2027-01-11")).toHaveLength(4);

    // the day view has the new chair's column
    await page.getByRole("button", { name: "Day", exact: true }).click();
    await page.locator('[data-resource="chair-9"]').waitFor({ timeout: 15_000 });
    await staff.context.close();
  }, 180_000);
});
