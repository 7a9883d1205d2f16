import { afterEach, describe, expect, it } from "vitest";
import { MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { waitFor } from "./test-helpers.js";

interface Item {
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  actions: { id: string; url?: string }[];
}

/** Rules fed by other modules' durable events: chat replies, appointments, price watches. */
describe.each(DIALECTS)("rules from chat, appointments and pricing events on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  afterEach(async () => {
    h.cleanup();
    await server?.close();
  });

  const inbox = async (sub: string): Promise<Item[]> => {
    const token = await server.token({ sub });
    return (await restCall(server, "GET", "/api/notifications", { token })).body.items;
  };
  const waitForItem = (sub: string, what: string, match: (i: Item) => boolean) =>
    waitFor(what, async () => (await inbox(sub)).find(match));

  it("notifies a chat reply only if, after the grace, the customer is away and has not read it", async () => {
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: "chat,notifications",
        SWITCHBOARD_CHAT_BOT: "off",
        // long: the test brings the grace's end forward itself (no race with the clock)
        SWITCHBOARD_NOTIFICATIONS_CHAT_REPLY_GRACE_MS: "600000",
      },
    });
    const ann = await h.agent("ann");
    const alice = await h.as("alice");
    const opened = await alice.call("POST", "/api/chat/conversations", { subject: "Screen" });
    expect(opened.body).toMatchObject({ agentId: "ann" });
    const id = opened.body.id as string;
    const channel = `conversation:${id}`;
    const say = async (who: typeof alice, text: string): Promise<number> => {
      const r = await who.call("POST", `/api/chat/conversations/${id}/messages`, { text });
      expect(r.status).toBe(201);
      return r.body.seq as number;
    };
    const db = () => server.app.store.db;
    const graceKey = `notifications:grace:chat-reply:${id}:alice`;
    /** The rule heard every reply so far (its delivery rows are gone once handled). */
    const heard = () =>
      waitFor("the rule to hear the replies", async () => {
        const left = await db()
          .selectFrom("event_deliveries")
          .select("id")
          .where("handler", "=", "notifications.chat-reply")
          .execute();
        return left.length === 0;
      });
    const graceTask = () =>
      db().selectFrom("scheduled_tasks").selectAll().where("key", "=", graceKey).executeTakeFirst();
    /** The grace ends now: its task runs (and is gone once done). */
    const endGrace = async () => {
      expect(await server.app.scheduler.reschedule(db(), graceKey, new Date())).toBe(true);
      await waitFor("the grace task to run", async () => (await graceTask()) === undefined);
    };
    const away = (ws: { close(): void }) => {
      ws.close();
      return waitFor("alice to leave", async () =>
        (await server.app.broker.presence(channel)).every((m) => m.user !== "alice"),
      );
    };

    // 1. on the conversation (presence, as the chat widget keeps it) through the grace: nothing
    let ws = await alice.socket();
    await ws.subscribe(channel);
    await say(alice, "Is it ready?"); // her own message never notifies her
    await say(ann, "Reply while you watch");
    await heard();
    expect(await graceTask()).toMatchObject({ task: "notifications.rule-grace" });
    await endGrace();
    await server.app.jobs.trigger("notifications-worker");
    expect(await inbox("alice")).toEqual([]);

    // 2. away at the reply, back and reading it within the grace: the read cancels the grace
    // at once (chat's chat.read), long before its end; nothing is sent
    await away(ws);
    const read = await say(ann, "Reply you will read");
    await heard();
    expect(await graceTask()).toMatchObject({ task: "notifications.rule-grace" });
    ws = await alice.socket();
    expect(
      (await alice.call("POST", `/api/chat/conversations/${id}/read`, { upTo: read })).status,
    ).toBe(200);
    await away(ws); // she read it, then left: still nothing
    await waitFor("the read to cancel the grace", async () => (await graceTask()) === undefined);
    await server.app.jobs.trigger("notifications-worker");
    expect(await inbox("alice")).toEqual([]);

    // 3. away, two replies in the grace, never read: one notification, about the last
    const first = await say(ann, "First while you are away");
    await say(ann, "Reply   while\nyou are away");
    await heard();
    // reading only the first leaves the grace of the last waiting
    expect(
      (await alice.call("POST", `/api/chat/conversations/${id}/read`, { upTo: first })).status,
    ).toBe(200);
    await server.app.events.local.settled();
    expect(await graceTask()).toMatchObject({ task: "notifications.rule-grace" });
    // not before the grace ends
    expect(await inbox("alice")).toEqual([]);
    await endGrace();
    const item = await waitForItem("alice", "the offline reply", (i) => i.type === "chat.reply");
    expect(item).toMatchObject({
      title: "New reply from Support",
      body: "Reply while you are away",
      data: { conversationId: id },
      actions: [{ id: "open", url: `/shop?chat=${id}` }],
    });
    await server.app.jobs.trigger("notifications-worker");
    expect((await inbox("alice")).map((i) => i.body)).toEqual(["Reply while you are away"]);
    expect(await inbox("ann")).toEqual([]);
  });

  it("decides a chat reply at once with no grace (0)", async () => {
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: "chat,notifications",
        SWITCHBOARD_CHAT_BOT: "off",
        SWITCHBOARD_NOTIFICATIONS_CHAT_REPLY_GRACE_MS: "0",
      },
    });
    const ann = await h.agent("ann");
    const alice = await h.as("alice");
    const opened = await alice.call("POST", "/api/chat/conversations", { subject: "Now" });
    const id = opened.body.id as string;
    expect(
      (await ann.call("POST", `/api/chat/conversations/${id}/messages`, { text: "At once" }))
        .status,
    ).toBe(201);
    const item = await waitForItem("alice", "the reply", (i) => i.type === "chat.reply");
    expect(item.body).toBe("At once");
    expect(
      await server.app.store.db
        .selectFrom("scheduled_tasks")
        .select("key")
        .where("task", "=", "notifications.rule-grace")
        .execute(),
    ).toEqual([]);
  });

  it("tells the customer of a booking, a move, a reminder and a cancellation", async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_MODULES: "appointments,notifications" },
    });
    await setUpShop(server);
    const token = await server.token({ sub: "bea", role: "customer" });
    const appt = (method: string, path: string, body?: unknown) =>
      restCall(server, method, `/api/appointments${path}`, { token, body });
    const hold = await appt("POST", "/holds", {
      service: "cut",
      resourceId: "chair-1",
      start: MONDAY_10,
    });
    expect(hold.status).toBe(201);
    const id = hold.body.id as string;
    expect((await appt("POST", `/holds/${id}/confirm`)).status).toBe(200);
    const booked = await waitForItem(
      "bea",
      "the booking",
      (i) => i.type === "appointment.confirmed",
    );
    // the time as the shop's clock shows it (Berlin, UTC+1 in January)
    expect(booked).toMatchObject({
      title: "Appointment booked",
      body: "See you on Mon 4 Jan 2027, 10:00.",
      data: { appointmentId: id, timeZone: "Europe/Berlin" },
    });

    const later = "2027-01-04T13:00:00.000Z";
    expect((await appt("POST", `/${id}/reschedule`, { start: later })).status).toBe(200);
    const moved = await waitForItem("bea", "the move", (i) => i.type === "appointment.rescheduled");
    expect(moved.body).toBe(
      "Your appointment moved from Mon 4 Jan 2027, 10:00 to Mon 4 Jan 2027, 14:00.",
    );

    // the 1 h reminder's time has come (the appointments module's own scheduled task)
    const key = `appointments:reminder:${id}:60`;
    expect(await server.app.scheduler.reschedule(server.app.store.db, key, new Date())).toBe(true);
    const reminder = await waitForItem(
      "bea",
      "the reminder",
      (i) => i.type === "appointment.reminder",
    );
    expect(reminder).toMatchObject({
      title: "Appointment reminder",
      body: "Your appointment is on Mon 4 Jan 2027, 14:00.",
      data: { minutesBefore: 60 },
    });

    const staff = await server.token({ sub: "sam", role: "agent" });
    const cancelled = await restCall(server, "POST", `/api/appointments/${id}/cancel`, {
      token: staff,
    });
    expect(cancelled.status).toBe(200);
    const gone = await waitForItem(
      "bea",
      "the cancellation",
      (i) => i.type === "appointment.cancelled",
    );
    expect(gone.body).toBe("Your appointment on Mon 4 Jan 2027, 14:00 is cancelled.");
    await server.app.jobs.trigger("notifications-worker");
    expect((await inbox("bea")).map((i) => i.type).sort()).toEqual([
      "appointment.cancelled",
      "appointment.confirmed",
      "appointment.reminder",
      "appointment.rescheduled",
    ]);
  });

  it("offers a ready repair's pickup times, once per offer, from appointments' durable event", async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_MODULES: "notifications" },
    });
    // the payload appointments emits (contract: pickupOfferSchema)
    const offer = (startsAt?: string) => ({
      orderId: "rep-1",
      customerId: "cleo",
      userId: "cleo",
      serviceId: "pickup",
      serviceName: "Pickup",
      orderTitle: "Phone repair",
      slots: startsAt ? [{ start: startsAt, end: startsAt, resourceId: "counter" }] : [],
      ...(startsAt && { startsAt }),
    });
    const emit = (payload: unknown) =>
      server.app.store.db.transaction().execute((trx) =>
        server.app.events.emit(trx, {
          type: "appointment.pickup_offered",
          aggregate: "order:rep-1",
          payload,
        }),
      );
    await emit(offer("2027-01-05T09:30:00.000Z"));
    await emit(offer("2027-01-05T09:30:00.000Z")); // the same offer heard again: nothing more
    const item = await waitForItem(
      "cleo",
      "the pickup offer",
      (i) => i.type === "appointment.pickup_offered",
    );
    expect(item).toMatchObject({
      title: "Book your pickup",
      body: "Phone repair is ready. The first free time is Tue 5 Jan 2027, 09:30 (UTC).",
      data: { orderId: "rep-1" },
      actions: [{ id: "book", url: "/appointments" }],
    });
    await emit(offer()); // no free time in the coming days
    await waitFor("the second offer", async () => (await inbox("cleo")).length === 2);
    await server.app.jobs.trigger("notifications-worker");
    expect((await inbox("cleo")).map((i) => i.body)).toEqual([
      "Phone repair is ready. Choose a time that suits you.",
      "Phone repair is ready. The first free time is Tue 5 Jan 2027, 09:30 (UTC).",
    ]);
    const rules = await restCall(server, "GET", "/api/notifications/rules");
    expect(rules.body.rules ?? rules.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "pickup-offered", event: "appointment.pickup_offered" }),
      ]),
    );
  });

  it("tells the customer a proposed quote's total, formatted in their locale, from order.status_changed", async () => {
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: "orders,pricing,notifications",
        SWITCHBOARD_PRICING_TAX_PERCENT: "0",
      },
    });
    const api = (method: string, path: string, body?: unknown) =>
      restCall(server, method, path, { body });
    // the order's own price (given at creation) differs from the quote: the quote is shown
    const quoted = async (customerId: string, unitAmount: number, currency: string) => {
      const order = await api("POST", "/api/orders", {
        lifecycle: "repair-booking",
        customerId,
        title: "Pixel 8 screen",
        amountMinor: 100,
        currency: "EUR",
      });
      expect(order.status).toBe(201);
      const id = order.body.id as string;
      for (const to of ["confirmed", "device-received", "diagnosis", "diagnosis-complete"])
        expect((await api("POST", `/api/orders/${id}/transitions`, { to })).status).toBe(200);
      const quote = await api("POST", "/api/pricing/order-quotes", {
        orderId: id,
        currency,
        lines: [{ kind: "labour", description: "Screen", unitAmount }],
      });
      expect(quote.status).toBe(201);
      return id;
    };
    // a German-speaking customer and one with no locale (English)
    expect(
      (await api("PUT", "/api/notifications/contacts/greta", { locale: "de-DE" })).status,
    ).toBe(200);
    const gretaOrder = await quoted("greta", 1_234_550, "EUR");
    const hugoOrder = await quoted("hugo", 1999, "JPY");
    const greta = await waitForItem(
      "greta",
      "greta's quote",
      (i) => i.type === "order.quote_waiting",
    );
    expect(greta).toMatchObject({
      title: "Your quote is waiting",
      body: "The quote for Pixel 8 screen is 12.345,50\u00a0€: please approve or decline it.",
      data: { orderId: gretaOrder, amountMinor: 1_234_550, currency: "EUR" },
    });
    const hugo = await waitForItem("hugo", "hugo's quote", (i) => i.type === "order.quote_waiting");
    expect(hugo.body).toBe("The quote for Pixel 8 screen is ¥1,999: please approve or decline it.");
    expect(hugo.data).toMatchObject({ orderId: hugoOrder, amountMinor: 1999, currency: "JPY" });
    // a move to quote-pending without a quote (staff by hand, no price): no amount to show
    const plain = await api("POST", "/api/orders", {
      lifecycle: "repair-booking",
      customerId: "ivan",
      title: "Tablet",
    });
    for (const to of [
      "confirmed",
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
    ])
      expect((await api("POST", `/api/orders/${plain.body.id}/transitions`, { to })).status).toBe(
        200,
      );
    const ivan = await waitForItem("ivan", "ivan's quote", (i) => i.type === "order.quote_waiting");
    expect(ivan.body).toBe("The quote for Tablet is ready: please approve or decline it.");
  });

  it("tells a watcher of a price drop through the durable watch event, once per crossing", async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_MODULES: "inventory,pricing,notifications" },
    });
    const api = (method: string, path: string, body?: unknown, token?: string) =>
      restCall(server, method, path, { body, ...(token && { token }) });
    expect(
      (await api("PUT", "/api/pricing/prices/TV-1", { amount: 50_000, currency: "EUR" })).status,
    ).toBe(200);
    const dana = await server.token({ sub: "dana", role: "customer" });
    expect(
      (await api("POST", "/api/pricing/watches", { sku: "TV-1", below: 45_000 }, dana)).status,
    ).toBe(201);
    await api("PUT", "/api/pricing/prices/TV-1", { amount: 44_000, currency: "EUR" });
    await api("PUT", "/api/pricing/prices/TV-1", { amount: 43_000, currency: "EUR" }); // still below
    const drop = await waitForItem(
      "dana",
      "the price drop",
      (i) => i.type === "pricing.price_drop",
    );
    expect(drop).toMatchObject({ title: "Price drop", body: "TV-1 is now 440.00 EUR." });
    await api("PUT", "/api/pricing/prices/TV-1", { amount: 46_000, currency: "EUR" }); // re-armed
    await api("PUT", "/api/pricing/prices/TV-1", { amount: 44_500, currency: "EUR" });
    await waitFor("the second crossing", async () => (await inbox("dana")).length === 2);
    await server.app.jobs.trigger("notifications-worker");
    expect((await inbox("dana")).map((i) => i.body)).toEqual([
      "TV-1 is now 445.00 EUR.",
      "TV-1 is now 440.00 EUR.",
    ]);
  });
});
