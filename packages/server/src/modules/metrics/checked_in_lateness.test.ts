import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";
import type { AppointmentChanged } from "../appointments/contract.js";
import { overview, until } from "./test-kit.js";

const MIN = 60_000;

/**
 * Lateness of bookings from `appointment.checked_in` (the contract between appointments and
 * metrics: AppointmentChanged with status `checked_in`, `checkedInAt` and `lateMinutes`), emitted
 * through the module events API and handled by the real dispatcher, on both dialects. A booking
 * that its order also reports (checked-in / device-received) is measured once, whichever came first.
 */
describe.each(DIALECTS)("appointment lateness from appointment.checked_in (%s)", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ database, config: { durable: { pollMs: 50 } } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const booking = (id: string, startsAt: number, status = "confirmed"): AppointmentChanged => ({
    appointmentId: id,
    status,
    version: status === "confirmed" ? 2 : 3,
    customerId: `c-${id}`,
    userId: `c-${id}`,
    resourceId: "chair-1",
    resourceName: "Chair 1",
    serviceId: "cut",
    serviceName: "Haircut",
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(startsAt + 30 * MIN).toISOString(),
    timeZone: "UTC",
    zone: "UTC",
  });
  const checkedIn = (id: string, startsAt: number, at: number) => ({
    ...booking(id, startsAt, "checked_in"),
    checkedInAt: new Date(at).toISOString(),
    lateMinutes: Math.max(0, Math.floor((at - startsAt) / MIN)),
  });

  /** Emits in one transaction and waits until no metrics delivery is left. */
  async function emit(type: string, aggregate: string, payload: unknown): Promise<void> {
    const db = server.app.store.db;
    await db.transaction().execute(async (trx) => {
      await server.app.events.emit(trx, { type, aggregate, payload });
    });
    await until(
      `${type} handled`,
      () =>
        db
          .selectFrom("event_deliveries")
          .select("id")
          .where("handler", "like", "metrics.%")
          .execute(),
      (rows) => rows.length === 0,
    );
  }
  const lateness = async () => {
    const o = await overview(server);
    return { avg: o.avgLatenessMs.value, longest: o.longestLatenessMs.value };
  };

  it("measures bookings with no order, and counts a booking its order also reports once", async () => {
    const now = Date.now();
    // a: no order, 10 min late
    const a = now - 10 * MIN;
    await emit("appointment.confirmed", "appointment:a", booking("a", a));
    await emit("appointment.checked_in", "appointment:a", checkedIn("a", a, a + 10 * MIN));
    expect(await lateness()).toEqual({ avg: 10 * MIN, longest: 10 * MIN });

    // b: checked in (5 min late), then its order says checked-in too: not measured again
    const b = now - 20 * MIN;
    await emit("appointment.confirmed", "appointment:b", booking("b", b));
    await emit("appointment.checked_in", "appointment:b", checkedIn("b", b, b + 5 * MIN));
    await emit("order.status_changed", "order:b", {
      orderId: "b",
      customerId: "c-b",
      from: "confirmed",
      to: "checked-in",
      at: new Date(b + 15 * MIN).toISOString(),
    });

    // c: the order reports first (2 min late), the check-in event after it adds nothing
    const c = now - 30 * MIN;
    await emit("appointment.confirmed", "appointment:c", booking("c", c));
    await emit("order.status_changed", "order:c", {
      orderId: "c",
      customerId: "c-c",
      from: "confirmed",
      to: "device-received",
      at: new Date(c + 2 * MIN).toISOString(),
    });
    await emit("appointment.checked_in", "appointment:c", checkedIn("c", c, c + 9 * MIN));

    // d: a check-in of a booking metrics never heard confirmed (the payload has the start): early is 0
    const d = now + 60 * MIN;
    await emit("appointment.checked_in", "appointment:d", checkedIn("d", d, now));
    // a repeat of a's check-in (another event, same appointment) is not measured again
    await emit("appointment.checked_in", "appointment:a", checkedIn("a", a, a + 40 * MIN));

    const expected = (10 * MIN + 5 * MIN + 2 * MIN + 0) / 4;
    expect(await lateness()).toEqual({ avg: expected, longest: 10 * MIN });
  }, 120_000);

  it("skips a check-in event it cannot read, without counting or stalling", async () => {
    const before = await lateness();
    const now = Date.now();
    const good = checkedIn("e", now - 50 * MIN, now);
    for (const bad of [
      { ...good, lateMinutes: -1 },
      { ...good, lateMinutes: 1.5 },
      { ...good, checkedInAt: "yesterday" },
      { ...good, checkedInAt: undefined },
      { ...good, appointmentId: "" },
      { ...good, startsAt: undefined },
    ])
      await emit("appointment.checked_in", "appointment:e", bad);
    expect(await lateness()).toEqual(before);
    // the next good event of the same booking is measured (nothing is stuck behind the bad ones)
    await emit("appointment.checked_in", "appointment:e", good);
    const after = await lateness();
    expect(after.longest).toBe(50 * MIN);
  }, 120_000);
});
