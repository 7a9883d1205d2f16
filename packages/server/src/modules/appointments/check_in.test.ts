import { afterEach, describe, expect, it } from "vitest";
import { MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import {
  type AppointmentCheckedIn,
  appointmentEventSchema,
  appointmentSchema,
} from "./contract.js";

/** Polls until `done` holds (generous: a loaded machine). */
async function until(done: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)("checking a customer in on %s", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];
  /** Every `appointment.checked_in` the durable events delivered, in order. */
  let checkedIn: AppointmentCheckedIn[];

  afterEach(async () => {
    closeAll(clients);
    await server.close();
  });

  async function start() {
    server = await startTestServer({ database });
    await setUpShop(server);
    checkedIn = [];
    server.app.events.on<AppointmentCheckedIn>(
      "appointment.checked_in",
      "test.checked_in",
      async (e) => {
        checkedIn.push(e.payload);
      },
    );
  }
  const as = async (sub: string, role: "customer" | "agent" = "customer") => {
    const token = await server.token({ sub, role });
    return (method: string, path: string, body?: unknown) =>
      restCall(server, method, `/api/appointments${path}`, { body, token });
  };
  /** A booking of ann's, confirmed (staff make it for her). */
  async function booked(start = MONDAY_10, resourceId = "chair-1"): Promise<string> {
    const staff = await as("sam", "agent");
    const hold = await staff("POST", "/holds", {
      service: "cut",
      resourceId,
      start,
      customerId: "ann",
    });
    expect(hold.status).toBe(201);
    expect((await staff("POST", `/${hold.body.id}/confirm`)).status).toBe(200);
    return hold.body.id as string;
  }
  /** Moves a booking's start into the past (the clock cannot be moved through HTTP). */
  async function startedAgo(id: string, ms: number): Promise<string> {
    const startsAt = new Date(Date.now() - ms).toISOString();
    await server.app.store.db
      .updateTable("appointments")
      .set({ starts_at: startsAt })
      .where("id", "=", id)
      .execute();
    return startsAt;
  }

  it("staff check in a confirmed booking: checked_in live, the durable event with lateness, reminders gone, no no-show", async () => {
    await start();
    const id = await booked();
    const startsAt = await startedAgo(id, 17 * 60_000 + 30_000); // 17.5 minutes late
    const { db } = server.app.store;
    const reminders = () =>
      db
        .selectFrom("scheduled_tasks")
        .select("key")
        .where("key", "like", `appointments:reminder:${id}:%`)
        .execute();
    expect((await reminders()).length).toBe(2);

    const staffSocket = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "sam", role: "agent" }),
    );
    const annSocket = await RawClient.connect(server.wsUrl, await server.token({ sub: "ann" }));
    clients.push(staffSocket, annSocket);
    await staffSocket.subscribe("staff:appointments");
    await annSocket.subscribe("user:ann");

    const staff = await as("sam", "agent");
    const before = Date.now();
    const r = await staff("POST", `/${id}/check-in`);
    expect(r.status).toBe(200);
    const a = appointmentSchema.parse(r.body);
    expect(a).toMatchObject({ id, status: "checked_in", version: 3 });
    const at = Date.parse(a.checkedInAt as string);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);

    // live on the staff channel and the customer's, like every other change
    for (const socket of [staffSocket, annSocket]) {
      const f = await socket.next(
        (m) =>
          m.type === "message" &&
          m.event === "appointment" &&
          (m.data as { type?: string }).type === "checked_in",
        60_000,
      );
      expect(appointmentEventSchema.parse(f.data)).toMatchObject({
        type: "checked_in",
        appointment: { id, status: "checked_in", checkedInAt: a.checkedInAt },
      });
    }

    await until(() => checkedIn.length >= 1);
    expect(checkedIn[0]).toMatchObject({
      appointmentId: id,
      status: "checked_in",
      version: 3,
      customerId: "ann",
      resourceId: "chair-1",
      resourceName: "Chair 1 (Sam)",
      serviceId: "cut",
      serviceName: "Haircut",
      startsAt,
      checkedInAt: a.checkedInAt,
      timeZone: "Europe/Berlin",
    });
    // whole minutes after the start: 17 (the request took well under a minute)
    expect(checkedIn[0]?.lateMinutes).toBe(Math.floor((at - Date.parse(startsAt)) / 60_000));
    expect(checkedIn[0]?.lateMinutes).toBeGreaterThanOrEqual(17);

    // its reminders are gone with the check-in; it can no longer be marked a no-show
    expect(await reminders()).toEqual([]);
    const noShow = await staff("POST", `/${id}/no-show`);
    expect(noShow).toMatchObject({
      status: 409,
      body: { code: "invalid_state", details: { status: "checked_in" } },
    });
    // nor cancelled or moved by the customer; its time stays taken
    const ann = await as("ann");
    expect((await ann("POST", `/${id}/cancel`)).body.code).toBe("invalid_state");
    expect((await ann("GET", `/${id}`)).body).toMatchObject({ status: "checked_in" });

    // again: answered as it is, no second event
    const again = await staff("POST", `/${id}/check-in`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      status: "checked_in",
      version: 3,
      checkedInAt: a.checkedInAt,
    });
    // an early arrival is 0 minutes late (an event of another booking, read after this one's)
    const early = await booked("2027-01-04T13:00:00.000Z");
    expect((await staff("POST", `/${early}/check-in`)).status).toBe(200);
    await until(() => checkedIn.some((e) => e.appointmentId === early));
    expect(checkedIn.find((e) => e.appointmentId === early)?.lateMinutes).toBe(0);
    await server.app.events.runOnce();
    expect(checkedIn.filter((e) => e.appointmentId === id).length).toBe(1);
  }, 180_000);

  it("refuses an unknown id, a booking not confirmed, a customer's token, a bad id", async () => {
    await start();
    const staff = await as("sam", "agent");
    const ann = await as("ann");
    expect(await staff("POST", "/01NOSUCHAPPOINTMENT/check-in")).toMatchObject({
      status: 404,
      body: { code: "not_found" },
    });
    expect((await staff("POST", `/${"x".repeat(65)}/check-in`)).status).toBe(400);

    const hold = await ann("POST", "/holds", {
      service: "cut",
      resourceId: "chair-1",
      start: MONDAY_10,
    });
    expect(await staff("POST", `/${hold.body.id}/check-in`)).toMatchObject({
      status: 409,
      body: { code: "invalid_state", details: { status: "held" } },
    });
    await ann("POST", `/${hold.body.id}/confirm`);
    // the customer may not check themself in: 403 before anything changes
    expect(await ann("POST", `/${hold.body.id}/check-in`)).toMatchObject({
      status: 403,
      body: { code: "forbidden" },
    });
    expect((await ann("GET", `/${hold.body.id}`)).body).toMatchObject({ status: "confirmed" });
    // nor over the socket
    const socket = await RawClient.connect(server.wsUrl, await server.token({ sub: "ann" }));
    clients.push(socket);
    expect(
      await socket.request(
        {
          type: "rpc",
          method: "appointments.checkIn",
          params: { id: hold.body.id },
        },
        30_000,
      ),
    ).toMatchObject({ type: "error", code: "forbidden" });

    await staff("POST", `/${hold.body.id}/cancel`);
    expect(await staff("POST", `/${hold.body.id}/check-in`)).toMatchObject({
      status: 409,
      body: { code: "invalid_state", details: { status: "cancelled" } },
    });
    await server.app.events.runOnce();
    expect(checkedIn).toEqual([]);
  }, 120_000);

  it("two staff checking in the same booking at once: both answered, one change, one event", async () => {
    await start();
    const id = await booked();
    const desks = await Promise.all(["sam", "alex", "kim", "lee"].map((s) => as(s, "agent")));
    const replies = await Promise.all(
      [...desks, ...desks].map((staff) => staff("POST", `/${id}/check-in`)),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    const stamps = new Set(replies.map((r) => r.body.checkedInAt));
    expect(stamps.size).toBe(1);
    expect(new Set(replies.map((r) => r.body.version))).toEqual(new Set([3]));
    await until(() => checkedIn.length >= 1);
    // a later event of another booking has been handled too: a second one would be there by now
    const other = await booked("2027-01-04T13:00:00.000Z", "chair-2");
    await (desks[0] as (typeof desks)[number])("POST", `/${other}/check-in`);
    await until(() => checkedIn.some((e) => e.appointmentId === other));
    await server.app.events.runOnce();
    expect(checkedIn.filter((e) => e.appointmentId === id).length).toBe(1);
  }, 120_000);
});
