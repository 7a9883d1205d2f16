import { afterEach, describe, expect, it } from "vitest";
import type { DomainEvent } from "../../platform/durable/types.js";
import { MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { type AppointmentChanged, pickupOfferSchema } from "./contract.js";

const REPAIR_TO_READY = [
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
];

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)("appointments tied to orders and notifications on %s", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];
  afterEach(async () => {
    closeAll(clients);
    await server?.close();
  });

  async function start() {
    server = await startTestServer({ database });
    await setUpShop(server);
    const put = (path: string, body: unknown) =>
      restCall(server, "PUT", `/api/appointments${path}`, { body });
    expect(
      (
        await put("/services/drop", {
          name: "Repair drop-off",
          durationMinutes: 15,
          purpose: "drop-off",
        })
      ).body,
    ).toMatchObject({ purpose: "drop-off" });
    await put("/services/drive", {
      name: "Test drive",
      durationMinutes: 45,
      purpose: "test-drive",
    });
    await put("/services/pickup", { name: "Pickup", durationMinutes: 15, purpose: "pickup" });
    const allDay = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
    );
    await put("/resources/counter", {
      name: "Repair counter",
      timeZone: "Europe/Berlin",
      services: ["drop", "pickup"],
      hours: allDay,
    });
    await put("/resources/model-y", {
      name: "Model Y demo car",
      timeZone: "America/New_York",
      services: ["drive"],
      hours: allDay,
    });
  }

  const book = async (sub: string, service: string, resourceId: string, start = MONDAY_10) => {
    const token = await server.token({ sub });
    const hold = await restCall(server, "POST", "/api/appointments/holds", {
      token,
      body: { service, resourceId, start },
    });
    expect(hold.status).toBe(201);
    const confirmed = await restCall(
      server,
      "POST",
      `/api/appointments/holds/${hold.body.id}/confirm`,
      { token },
    );
    expect(confirmed.status).toBe(200);
    return hold.body.id as string;
  };
  const order = (id: string) => restCall(server, "GET", `/api/orders/${id}`);

  it("confirming a drop-off creates its repair-booking order, once; a test drive its test-drive order, cancelled with it", async () => {
    await start();
    const events: DomainEvent<AppointmentChanged>[] = [];
    server.app.events.on<AppointmentChanged>(
      "appointment.confirmed",
      "test.confirmed",
      async (e) => {
        events.push(e);
      },
    );
    const drop = await book("ann", "drop", "counter");
    const repair = await until("the repair order", async () => {
      const r = await order(drop);
      return r.status === 200 ? r.body : undefined;
    });
    expect(repair).toMatchObject({
      id: drop,
      lifecycle: "repair-booking",
      customerId: "ann",
      status: "confirmed",
      title: "Repair drop-off · Repair counter",
      details: { appointmentId: drop, serviceId: "drop", startsAt: MONDAY_10 },
    });
    // the customer sees it among their orders
    const mine = await restCall(server, "GET", "/api/orders", {
      token: await server.token({ sub: "ann" }),
    });
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([drop]);
    // the event carries what notifications need
    await until("the confirmed event", async () => (events.length ? true : undefined));
    expect(events[0]?.payload).toMatchObject({
      appointmentId: drop,
      userId: "ann",
      customerId: "ann",
      startsAt: MONDAY_10,
      zone: "Europe/Berlin",
      timeZone: "Europe/Berlin",
      resourceName: "Repair counter",
      serviceName: "Repair drop-off",
      purpose: "drop-off",
    });

    // a haircut makes no order
    const cut = await book("ann", "cut", "chair-1");
    const drive = await book("bob", "drive", "model-y", "2027-01-05T15:00:00.000Z");
    await until("the test-drive order", async () =>
      (await order(drive)).status === 200 ? true : undefined,
    );
    expect((await order(drive)).body).toMatchObject({
      lifecycle: "test-drive",
      status: "confirmed",
    });
    expect((await order(cut)).status).toBe(404);

    // the event again (at least once): still one order
    const confirmed = events.find((e) => e.payload.appointmentId === drop) as DomainEvent;
    await server.app.store.db.transaction().execute(async (trx) => {
      await server.app.events.emit(trx, {
        type: "appointment.confirmed",
        aggregate: `appointment:${drop}`,
        payload: confirmed.payload,
      });
    });
    await until("the repeat handled", async () => (events.length >= 4 ? true : undefined));
    const all = await restCall(server, "GET", "/api/orders?customerId=ann");
    expect(all.body.items.filter((o: { id: string }) => o.id === drop)).toHaveLength(1);

    // staff cancel the test drive: its order is cancelled too
    expect((await restCall(server, "POST", `/api/appointments/${drive}/cancel`)).status).toBe(200);
    const cancelled = await until("the order cancelled", async () => {
      const r = await order(drive);
      return r.body.status === "cancelled" ? r.body : undefined;
    });
    expect(cancelled.history.at(-1)).toMatchObject({ to: "cancelled", by: "appointments" });
  }, 90_000);

  it("a repair reaching ready-for-pickup offers the customer free pickup times", async () => {
    await start();
    const offers: DomainEvent[] = [];
    server.app.events.on("appointment.pickup_offered", "test.pickup", async (e) => {
      offers.push(e);
    });
    const ann = await RawClient.connect(server.wsUrl, await server.token({ sub: "ann" }));
    clients.push(ann);
    await ann.subscribe("user:ann");
    const drop = await book("ann", "drop", "counter");
    await until("the repair order", async () =>
      (await order(drop)).status === 200 ? true : undefined,
    );
    for (const to of REPAIR_TO_READY) {
      const moved = await restCall(server, "POST", `/api/orders/${drop}/transitions`, {
        body: { to },
      });
      expect(moved.status, `to ${to}`).toBe(200);
    }
    const frame = await ann.next((f) => f.type === "message" && f.event === "pickup_offer", 30_000);
    const offer = pickupOfferSchema.parse(frame.data);
    expect(offer).toMatchObject({ orderId: drop, customerId: "ann", serviceId: "pickup" });
    expect(offer.slots).toHaveLength(6);
    for (const s of offer.slots) {
      expect(s.resourceId).toBe("counter");
      expect(Date.parse(s.start)).toBeGreaterThan(Date.now() - 60_000);
    }
    expect(offer.startsAt).toBe(offer.slots[0]?.start);
    await until("the durable offer", async () => (offers.length ? true : undefined));
    expect(offers[0]?.payload).toMatchObject({
      orderId: drop,
      customerId: "ann",
      userId: "ann",
      serviceName: "Pickup",
      startsAt: offer.slots[0]?.start,
      timeZone: "Europe/Berlin",
      zone: "Europe/Berlin",
    });
    // the offered times can be held
    const pickup = await restCall(server, "POST", "/api/appointments/holds", {
      token: await server.token({ sub: "ann" }),
      body: { service: "pickup", resourceId: "counter", start: offer.slots[0]?.start },
    });
    expect(pickup.status).toBe(201);
  }, 90_000);

  it("the order shows its drop-off and its pickup, live, in step on reschedule and cancel", async () => {
    await start();
    const ann = await server.token({ sub: "ann" });
    const drop = await book("ann", "drop", "counter");
    await until("the repair order", async () =>
      (await order(drop)).status === 200 ? true : undefined,
    );
    expect((await order(drop)).body.details.appointment).toMatchObject({
      appointmentId: drop,
      status: "confirmed",
      startsAt: MONDAY_10,
      resourceName: "Repair counter",
    });
    const watcher = await RawClient.connect(server.wsUrl, ann);
    clients.push(watcher);
    await watcher.subscribe(`order:${drop}`);

    // the customer moves the drop-off: the order's stored start follows, and the tracker hears it
    const later = new Date(Date.parse(MONDAY_10) + 60 * 60_000).toISOString();
    const moved = await restCall(server, "POST", `/api/appointments/${drop}/reschedule`, {
      token: ann,
      body: { start: later },
    });
    expect(moved.status).toBe(200);
    const heard = await watcher.next(
      (f) => f.type === "message" && f.event === "appointment",
      30_000,
    );
    expect(heard.data).toMatchObject({
      orderId: drop,
      role: "booking",
      appointment: { appointmentId: drop, startsAt: later, status: "confirmed" },
    });
    const afterMove = (await order(drop)).body;
    expect(afterMove.details).toMatchObject({
      startsAt: later,
      appointment: { startsAt: later, status: "confirmed" },
    });
    expect(afterMove.status).toBe("confirmed"); // a details change, not a lifecycle step

    // ready for pickup: the customer books a pickup for this order
    for (const to of REPAIR_TO_READY)
      expect(
        (await restCall(server, "POST", `/api/orders/${drop}/transitions`, { body: { to } }))
          .status,
      ).toBe(200);
    const slots = (
      await restCall(
        server,
        "GET",
        `/api/appointments/slots?service=pickup&resource=counter&from=2027-01-05`,
        { token: ann },
      )
    ).body.slots as { start: string }[];
    const [first, second] = slots;
    const hold = await restCall(server, "POST", "/api/appointments/holds", {
      token: ann,
      body: { service: "pickup", resourceId: "counter", start: first?.start, orderId: drop },
    });
    expect(hold.status).toBe(201);
    expect(hold.body.orderId).toBe(drop);
    const pickup = hold.body.id as string;
    expect(
      (await restCall(server, "POST", `/api/appointments/holds/${pickup}/confirm`, { token: ann }))
        .status,
    ).toBe(200);
    const linked = await until("the pickup on the order", async () => {
      const d = (await order(drop)).body.details;
      return d.pickup?.appointmentId === pickup ? d.pickup : undefined;
    });
    expect(linked).toMatchObject({ status: "confirmed", startsAt: first?.start });
    const pickupHeard = await watcher.next(
      (f) =>
        f.type === "message" &&
        f.event === "appointment" &&
        (f.data as { role?: string }).role === "pickup",
      30_000,
    );
    expect(pickupHeard.data).toMatchObject({ appointment: { appointmentId: pickup } });

    // moved, then cancelled: the order follows each step
    expect(
      (
        await restCall(server, "POST", `/api/appointments/${pickup}/reschedule`, {
          token: ann,
          body: { start: second?.start },
        })
      ).status,
    ).toBe(200);
    await until("the pickup moved on the order", async () =>
      (await order(drop)).body.details.pickup?.startsAt === second?.start ? true : undefined,
    );
    expect(
      (await restCall(server, "POST", `/api/appointments/${pickup}/cancel`, { token: ann })).status,
    ).toBe(200);
    const cancelled = await until("the pickup cancelled on the order", async () => {
      const o = (await order(drop)).body;
      return o.details.pickup?.status === "cancelled" ? o : undefined;
    });
    // cancelling the pickup does not cancel the repair, and the drop-off record stays
    expect(cancelled.status).toBe("ready-pickup");
    expect(cancelled.details.appointment).toMatchObject({ appointmentId: drop, startsAt: later });
  }, 120_000);

  it("a booking names only its own customer's order, and only for a pickup service", async () => {
    await start();
    const drop = await book("ann", "drop", "counter");
    await until("the repair order", async () =>
      (await order(drop)).status === 200 ? true : undefined,
    );
    const hold = (sub: string, service: string, orderId: string) =>
      server.token({ sub }).then((token) =>
        restCall(server, "POST", "/api/appointments/holds", {
          token,
          body: { service, resourceId: "counter", start: "2027-01-05T09:00:00.000Z", orderId },
        }),
      );
    const other = await hold("bob", "pickup", drop);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe("unknown_order");
    const missing = await hold("ann", "pickup", "no-such-order");
    expect(missing.body.code).toBe("unknown_order");
    const wrongService = await hold("ann", "drop", drop);
    expect(wrongService.body.code).toBe("unknown_order");
    const bad = await hold("ann", "pickup", "");
    expect(bad.status).toBe(400);
  }, 90_000);

  it("a bad purpose is refused with a code", async () => {
    await start();
    const r = await restCall(server, "PUT", "/api/appointments/services/odd", {
      body: { name: "Odd", durationMinutes: 15, purpose: "teleport" },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });
});
