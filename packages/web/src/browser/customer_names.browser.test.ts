import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../../server/src/testing.js";
import { apiCall, browserAvailable, launch, shot, signedIn, startWebServer } from "./harness.js";

const run = browserAvailable();
const DAY = "2027-01-04"; // a Monday
const TEN = "2027-01-04T09:00:00.000Z"; // 10:00 in Berlin

/** The tracker's steps as "kind:label" (kind from the item's class). */
const steps = (page: Page) =>
  page
    .getByRole("list", { name: "Steps" })
    .locator("li")
    .evaluateAll((items) =>
      items.map(
        (li) =>
          `${li.className}:${li.querySelector("span:not(.step-dot)")?.firstChild?.textContent}`,
      ),
    );

/**
 * Names, not ids, for what customers do themselves: a drop-off a customer books becomes a repair
 * booking nobody typed a name for; the board, the inbox row, its preview, the chat and the
 * customer panel all name her. And staff screens speak as staff.
 */
describe.runIf(run)("web app in a real browser: customers by name, on every staff screen", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
    await apiCall(server, "PUT", "/api/appointments/services/drop", {
      name: "Repair drop-off",
      durationMinutes: 15,
      purpose: "drop-off",
    });
    await apiCall(server, "PUT", "/api/appointments/resources/counter", {
      name: "Repair counter",
      timeZone: "Europe/Berlin",
      services: ["drop"],
      hours: { mon: [["09:00", "12:00"]] },
    });
    await apiCall(server, "PUT", "/api/inventory/items/CASE-D", { onHand: 5, name: "Phone case" });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a drop-off a customer books is on the board under her name; her chat's row, preview, messages and panel name her", async () => {
    const ann = await signedIn(browser, server, { user: "ann", name: "Ann Lee", role: "agent" });
    await ann.page.getByRole("heading", { name: "Orders & bookings" }).waitFor();

    // Dee books a drop-off in the app: the order is made from the booking, by no one on staff
    const dee = await signedIn(browser, server, {
      user: "cus-dee",
      name: "Dee Okafor",
      role: "customer",
    });
    await apiCall(server, "POST", "/api/inventory/reservations", {
      sku: "CASE-D",
      quantity: 1,
      customerId: "cus-dee",
    });
    await dee.page.getByRole("link", { name: "Appointments" }).click();
    await dee.page.getByLabel("Day").fill(DAY);
    const slot = dee.page.locator(`button.slot[data-start="${TEN}"]`);
    await slot.click({ timeout: 15_000 });
    await dee.page.getByTestId("hold").waitFor({ timeout: 15_000 });
    await dee.page.getByRole("button", { name: "Confirm booking" }).click();

    // the board gets it live, under her name, her id beside it
    const row = ann.page.locator("tr", { hasText: "Repair drop-off · Repair counter" });
    const cell = row.getByTestId("order-customer");
    await expect
      .poll(() => cell.locator("strong").textContent(), { timeout: 20_000 })
      .toBe("Dee Okafor");
    expect(await cell.textContent()).toContain("cus-dee");
    const orderId = (await row.getAttribute("data-order")) ?? "";
    // a reload shows the same (the name is stored with the order)
    await ann.page.reload();
    await expect
      .poll(() => cell.locator("strong").textContent(), { timeout: 10_000 })
      .toBe("Dee Okafor");
    // staff Cancel asks first; No leaves it as it was
    await row.getByRole("button", { name: "Cancel", exact: true }).click();
    await row.getByRole("button", { name: "No", exact: true }).click();
    expect(await row.locator(".pill").textContent()).toBe("Confirmed");
    await shot(ann.page, "staff-order-board-names");

    // to the quote: staff read whose approval it is, never "your approval"
    for (const to of ["device-received", "diagnosis", "diagnosis-complete", "quote-pending"])
      await apiCall(server, "POST", `/api/orders/${orderId}/transitions`, { to });
    await expect
      .poll(() => row.locator(".pill").textContent(), { timeout: 10_000 })
      .toBe("Quote awaiting the customer's approval");
    expect(await ann.page.locator("main").textContent()).not.toMatch(/\byour approval\b/);
    // her chat: the row, its preview, the messages and the side panel name her
    await ann.page.getByRole("link", { name: "Inbox" }).click();
    await ann.page.getByRole("button", { name: "Online" }).click();
    await dee.page.getByRole("button", { name: "Chat with us" }).click();
    await dee.page.getByLabel("What can we help with?").fill("When is my phone ready?");
    await dee.page.getByRole("button", { name: "Start chat" }).click();
    const chatRow = ann.page
      .getByRole("list", { name: "My conversations" })
      .getByRole("button", { name: /Dee Okafor/ });
    await chatRow.waitFor({ timeout: 15_000 });
    expect(await chatRow.locator(".avatar").textContent()).toBe("DO");
    await expect
      .poll(() => chatRow.getByTestId("preview").textContent(), { timeout: 10_000 })
      .toBe("Dee Okafor: When is my phone ready?");
    expect(await chatRow.textContent()).not.toContain("cus-dee");
    await chatRow.click();
    const messages = ann.page.getByRole("list", { name: "Messages" });
    await messages.getByText("When is my phone ready?").waitFor();
    expect(await messages.locator(".msg-author").first().textContent()).toBe("DODee Okafor");
    const panel = ann.page.getByRole("complementary", { name: "About Dee Okafor" });
    await panel.getByText("Repair drop-off · Repair counter").waitFor({ timeout: 10_000 });
    // staff wording in the panel too
    expect(await panel.locator(".pill").first().textContent()).toBe(
      "Quote awaiting the customer's approval",
    );
    await panel.getByText("CASE-D").waitFor();
    await ann.page.getByLabel("Message", { exact: true }).fill("Tomorrow at noon.");
    await ann.page.getByRole("button", { name: "Send" }).click();
    // Dee reads Ann by name, with her initials, never her id
    const theirs = dee.page.getByRole("list", { name: "Messages" }).locator(".msg.theirs");
    await theirs.getByText("Tomorrow at noon.").waitFor({ timeout: 10_000 });
    expect(await theirs.last().locator(".msg-author").textContent()).toBe("ALAnn Lee");
    // the long status wraps inside the panel, not past its edge
    const panelBox = await panel.boundingBox();
    const pillBox = await panel.locator(".pill").first().boundingBox();
    expect((pillBox?.x ?? 0) + (pillBox?.width ?? 0)).toBeLessThanOrEqual(
      (panelBox?.x ?? 0) + (panelBox?.width ?? 0),
    );
    await shot(ann.page, "inbox-customer-panel");

    await ann.page.getByRole("link", { name: "Orders" }).click();
    // while the repair is in progress, the button posts an update; it is not named like the state
    for (const to of ["quote-approved", "repair-queued", "repair-started", "repair-progress"])
      await apiCall(server, "POST", `/api/orders/${orderId}/transitions`, { to });
    await expect
      .poll(() => row.locator(".pill").textContent(), { timeout: 10_000 })
      .toBe("Repair in progress");
    await row.getByRole("button", { name: "Post progress update" }).waitFor();
    expect(await row.getByRole("button", { name: "Repair in progress" }).count()).toBe(0);
    await row.getByRole("button", { name: "Post progress update" }).click();
    await expect
      .poll(() => row.locator(".pill").textContent(), { timeout: 10_000 })
      .toBe("Repair in progress");

    // the rest of the repair: the tracker ends on Completed, drawn done, with no branch after it
    for (const to of ["repair-complete", "testing", "ready-pickup", "completed"])
      await apiCall(server, "POST", `/api/orders/${orderId}/transitions`, { to });
    await dee.page.goto(`${server.url}/orders/${orderId}`);
    await expect
      .poll(() => dee.page.getByTestId("order-status").textContent(), { timeout: 10_000 })
      .toBe("Completed");
    const done = await steps(dee.page);
    expect(done.at(-1)).toBe("done:Completed");
    expect(done.every((s) => s.startsWith("done:"))).toBe(true);
    expect(done.join()).not.toMatch(/Quote declined|Cancelled/);
    await dee.context.close();
    await ann.context.close();
  }, 180_000);
});
