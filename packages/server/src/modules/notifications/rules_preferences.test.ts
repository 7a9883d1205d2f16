import { DateTime } from "luxon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { MODULES, waitFor } from "./test-helpers.js";

describe.each(DIALECTS)("rules, preferences, quiet hours and digests on %s", (database) => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: MODULES,
        SWITCHBOARD_NOTIFICATIONS_DIGEST_WINDOW_MS: "1500",
        SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: "200",
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const as = async (sub: string) => {
    const token = await server.token({ sub });
    return (method: string, path: string, body?: unknown) =>
      restCall(server, method, path, { token, body });
  };
  const api = (method: string, path: string, body?: unknown) =>
    restCall(server, method, path, { body });
  const inbox = async (sub: string) => (await (await as(sub))("GET", "/api/notifications")).body;

  async function orderAtQuote(customerId: string) {
    const order = (
      await api("POST", "/api/orders", {
        lifecycle: "repair-booking",
        customerId,
        title: "Pixel 8 screen",
      })
    ).body;
    for (const to of [
      "confirmed",
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
    ])
      expect((await api("POST", `/api/orders/${order.id}/transitions`, { to })).status).toBe(200);
    return order.id as string;
  }

  it("tells the customer a quote waits, with an approve action, and a rule can be turned off", async () => {
    const orderId = await orderAtQuote("rita");
    const page = await waitFor("the quote notification", async () => {
      const b = await inbox("rita");
      return b.items.length > 0 && b;
    });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      type: "order.quote_waiting",
      title: "Your quote is waiting",
      body: "The quote for Pixel 8 screen is ready: please approve or decline it.",
      priority: "high",
      actions: [
        {
          id: "approve",
          rpc: { method: "orders.transition", params: { id: orderId, to: "quote-approved" } },
        },
        { id: "view", url: `/orders/${orderId}` },
      ],
    });

    const rules = (await api("GET", "/api/notifications/rules")).body.rules;
    expect(rules.map((r: { name: string }) => r.name)).toContain("order-quote");
    const off = await api("PUT", "/api/notifications/rules/order-quote", { enabled: false });
    expect(off.body).toMatchObject({ name: "order-quote", enabled: false });
    expect((await api("PUT", "/api/notifications/rules/nope", { enabled: false })).body.code).toBe(
      "unknown_rule",
    );
    await orderAtQuote("sam");
    // the worker has had its chance: the other order's notification went out, sam's did not
    await api("POST", "/api/notifications", {
      userId: "sam",
      type: "message",
      data: { title: "marker" },
    });
    await waitFor("the marker", async () => (await inbox("sam")).items.length > 0);
    expect((await inbox("sam")).items.map((i: { title: string }) => i.title)).toEqual(["marker"]);
  });

  it("uses a new template version for new sends, and keeps the old ones listed", async () => {
    const saved = await api("PUT", "/api/notifications/templates/order.quote_waiting", {
      category: "orders",
      defaultChannels: ["in_app"],
      inApp: { title: "Quote for {{title}}", body: "Tap to review", actions: [] },
    });
    expect(saved.body).toMatchObject({ version: 1, type: "order.quote_waiting" });
    const versions = (await api("GET", "/api/notifications/templates/order.quote_waiting")).body
      .versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 0]);
    await orderAtQuote("tom");
    const page = await waitFor("tom's notification", async () => {
      const b = await inbox("tom");
      return b.items.length > 0 && b;
    });
    expect(page.items[0]).toMatchObject({
      title: "Quote for Pixel 8 screen",
      body: "Tap to review",
    });
    // racing saves get consecutive versions
    const racing = await Promise.all(
      [1, 2, 3].map((i) =>
        api("PUT", "/api/notifications/templates/custom.promo", {
          category: "promo",
          defaultChannels: ["in_app"],
          inApp: { title: `v${i}`, body: "" },
        }),
      ),
    );
    expect(racing.map((r) => r.body.version).sort()).toEqual([1, 2, 3]);
    // a bad template is refused
    const bad = await api("PUT", "/api/notifications/templates/custom.bad", {
      category: "x",
      defaultChannels: [],
    });
    expect(bad.status).toBe(400);
  });

  it("uses a recipient's locale variant of a template: exact tag, then language, then the type", async () => {
    const de = await api("PUT", "/api/notifications/templates/message?locale=de", {
      category: "general",
      defaultChannels: ["in_app"],
      inApp: { title: "Hallo {{title}}", body: "{{body}}", actions: [] },
    });
    expect(de.status).toBe(200);
    expect(de.body).toMatchObject({ type: "message", locale: "de", version: 1 });
    await api("PUT", "/api/notifications/templates/message?locale=de-AT", {
      category: "general",
      defaultChannels: ["in_app"],
      inApp: { title: "Servus {{title}}", body: "{{body}}", actions: [] },
    });
    for (const [user, locale] of [
      ["lea", "de-DE"],
      ["leo", "de-AT"],
      ["lou", "fr"],
    ] as const)
      expect((await api("PUT", `/api/notifications/contacts/${user}`, { locale })).status).toBe(
        200,
      );
    const sent = await api("POST", "/api/notifications", {
      userIds: ["lea", "leo", "lou", "lin"],
      type: "message",
      data: { title: "Welt", body: "b" },
    });
    expect(sent.status).toBe(202);
    const titleOf = async (u: string) =>
      waitFor(`${u}'s notification`, async () => (await inbox(u)).items[0]?.title as string);
    expect(await titleOf("lea")).toBe("Hallo Welt"); // de-DE → de
    expect(await titleOf("leo")).toBe("Servus Welt"); // de-AT exactly
    expect(await titleOf("lou")).toBe("Welt"); // no French: the type itself
    expect(await titleOf("lin")).toBe("Welt"); // no locale
    const versions = await api("GET", "/api/notifications/templates/message?locale=de");
    expect(versions.body.versions).toHaveLength(1);
    expect((await api("GET", "/api/notifications/templates/message?locale=fr")).body.code).toBe(
      "unknown_notification_type",
    );
    const bad = await api("PUT", "/api/notifications/templates/message?locale=not a locale", {
      category: "general",
      defaultChannels: ["in_app"],
      inApp: { title: "x", body: "", actions: [] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("bad_request");
  });

  it("honours per-category channel preferences", async () => {
    const una = await as("una");
    const put = await una("PUT", "/api/notifications/preferences", {
      channels: { general: { in_app: false } },
    });
    expect(put.body).toMatchObject({ channels: { general: { in_app: false } }, quietHours: null });
    await api("POST", "/api/notifications", {
      userId: "una",
      type: "message",
      data: { title: "muted" },
    });
    await api("POST", "/api/notifications", {
      userId: "una",
      type: "message",
      category: "billing",
      data: { title: "billed" },
    });
    await waitFor("the billing one", async () => (await inbox("una")).items.length > 0);
    await server.app.jobs.trigger("notifications-worker");
    expect((await inbox("una")).items.map((i: { title: string }) => i.title)).toEqual(["billed"]);
  });

  it("holds push, email and SMS until quiet hours end in the user's zone; urgent goes at once", async () => {
    const zone = "America/New_York";
    const local = DateTime.now().setZone(zone);
    const hhmm = (d: DateTime) => d.toFormat("HH:mm");
    // a window from an hour ago to two hours from now, local time
    const start = local.minus({ hours: 1 });
    const end = local.plus({ hours: 2 });
    const quinn = await as("quinn");
    await quinn("PUT", "/api/notifications/preferences", {
      quietHours: { start: hhmm(start), end: hhmm(end) },
      timeZone: zone,
    });
    await api("POST", "/api/notifications", {
      userId: "quinn",
      type: "message",
      channels: ["in_app", "email"],
      data: { title: "later" },
    });
    await api("POST", "/api/notifications", {
      userId: "quinn",
      type: "message",
      priority: "urgent",
      channels: ["in_app", "email"],
      data: { title: "now" },
    });
    const items = await waitFor("both", async () => {
      const b = await inbox("quinn");
      return b.items.length === 2 && b.items;
    });
    const deliveryOf = async (title: string) => {
      const id = items.find((i: { title: string }) => i.title === title).id;
      return (await api("GET", `/api/notifications/${id}/deliveries`)).body.deliveries[0];
    };
    const later = await deliveryOf("later");
    expect(later.status).toBe("held");
    const expectedEnd = end.set({ second: 0, millisecond: 0 }).toUTC().toISO();
    expect(new Date(later.dueAt).toISOString()).toBe(new Date(expectedEnd as string).toISOString());
    // urgent: due at once (no SMTP configured here, so it ends as skipped)
    const now = await waitFor("the urgent one to be tried", async () => {
      const d = await deliveryOf("now");
      // "sending": claimed by the worker, its attempt under way
      return d.status !== "pending" && d.status !== "sending" && d;
    });
    expect(now.status).toBe("skipped");
  });

  it("digests low-priority notifications arriving together, once, also when a send is repeated", async () => {
    const sends = await Promise.all(
      ["a", "b", "c", "a"].map((k) =>
        api("POST", "/api/notifications", {
          userId: "vic",
          type: "message",
          priority: "low",
          dedupeKey: `low-${k}`,
          data: { title: `item ${k}`, body: "x" },
        }),
      ),
    );
    expect(sends.every((s) => s.status === 202)).toBe(true);
    const page = await waitFor("the digest", async () => {
      const b = await inbox("vic");
      return b.items.length > 0 && b;
    });
    // the worker keeps running: still one digest a moment later
    await server.app.jobs.trigger("notifications-worker");
    const again = await inbox("vic");
    expect(again.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ type: "notifications.digest", data: { count: 3 } });
    expect(page.items[0].body.split("\n").sort()).toEqual(["item a: x", "item b: x", "item c: x"]);
  });
});
