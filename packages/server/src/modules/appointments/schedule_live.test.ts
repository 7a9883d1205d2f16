import { afterEach, describe, expect, it } from "vitest";
import { MONDAY, MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import type { AppointmentChanged } from "./contract.js";
import { appointmentEventSchema, reminderEventSchema, scheduleChangeSchema } from "./contract.js";

const HOLD_SECONDS = 5;

describe.each(DIALECTS)("watching a calendar live on %s", (database) => {
  const servers: TestServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    closeAll(clients);
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  async function start() {
    const server = await startTestServer({
      database,
      env: { SWITCHBOARD_APPOINTMENTS_HOLD_SECONDS: String(HOLD_SECONDS) },
    });
    servers.push(server);
    await setUpShop(server);
    return server;
  }
  async function connect(server: TestServer, sub: string, role: "customer" | "agent" = "customer") {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
    clients.push(c);
    return c;
  }
  const slotsOf = (f: Record<string, unknown>) => scheduleChangeSchema.parse(f.data);

  it("a watcher sees take → expire → take in order, with the slot gone and back in between", async () => {
    const server = await start();
    const watcher = await connect(server, "watcher");
    await watcher.subscribe("schedule:service:cut");
    const staff = await connect(server, "sam", "agent");
    await staff.subscribe("staff:appointments");
    const holder = await connect(server, "ann");
    await holder.subscribe("user:ann");

    // the hold through the socket (rpc), same service as REST
    const held = await holder.request({
      type: "rpc",
      method: "appointments.hold",
      params: { service: "cut", resourceId: "chair-1", start: MONDAY_10 },
    });
    expect(held).toMatchObject({ type: "result", data: { status: "held" } });
    const taken = slotsOf(await watcher.next((f) => f.type === "message"));
    expect(taken).toMatchObject({
      type: "taken",
      reason: "held",
      resourceId: "chair-1",
      serviceId: "cut",
      start: MONDAY_10,
      end: "2027-01-04T09:30:00.000Z",
      day: MONDAY,
    });
    const freeNow = async () =>
      (
        await restCall(
          server,
          "GET",
          `/api/appointments/slots?service=cut&resource=chair-1&from=${MONDAY}`,
        )
      ).body.slots.map((s: { start: string }) => s.start) as string[];
    expect(await freeNow()).not.toContain(MONDAY_10);

    // nobody confirms: the hold expires (sweep) and the slot comes back
    const freed = slotsOf(
      await watcher.next((f) => f.type === "message", (HOLD_SECONDS + 30) * 1000),
    );
    expect(freed).toMatchObject({ type: "freed", reason: "expired", start: MONDAY_10 });
    expect(await freeNow()).toContain(MONDAY_10);

    // someone else takes it
    const bob = await restCall(server, "POST", "/api/appointments/holds", {
      token: await server.token({ sub: "bob" }),
      body: { service: "cut", resourceId: "chair-1", start: MONDAY_10 },
    });
    expect(bob.status).toBe(201);
    expect(slotsOf(await watcher.next((f) => f.type === "message"))).toMatchObject({
      type: "taken",
      reason: "held",
    });
    // the events carry no customer
    expect(JSON.stringify(watcher.messages("schedule:service:cut"))).not.toContain("bob");

    // staff saw every change with the appointment; ann saw her own hold and its expiry
    const board = await staff.collect((f) => f.type === "message", 3);
    expect(board.map((f) => appointmentEventSchema.parse(f.data).type)).toEqual([
      "held",
      "expired",
      "held",
    ]);
    const mine = await holder.collect((f) => f.type === "message", 2);
    expect(mine.map((f) => appointmentEventSchema.parse(f.data))).toMatchObject([
      { type: "held", appointment: { customerId: "ann" } },
      { type: "expired", appointment: { status: "expired" } },
    ]);
    const late = await holder.request({
      type: "rpc",
      method: "appointments.confirm",
      params: { id: (held.data as { id: string }).id },
    });
    expect(late).toMatchObject({ type: "error", code: "hold_expired" });
  }, 120_000);

  it("the resource's own calendar hears other services' bookings; domain events follow the booking", async () => {
    const server = await start();
    const domain: [string, AppointmentChanged][] = [];
    for (const name of [
      "appointment.confirmed",
      "appointment.rescheduled",
      "appointment.cancelled",
    ] as const)
      server.app.events.on<AppointmentChanged>(name, `test.${name}`, async (e) => {
        domain.push([name, e.payload]);
      });
    const watcher = await connect(server, "w");
    await watcher.subscribe("schedule:chair-2");
    const ann = await server.token({ sub: "ann" });
    const call = (method: string, path: string, body?: unknown) =>
      restCall(server, method, `/api/appointments${path}`, { token: ann, body });
    const hold = await call("POST", "/holds", {
      service: "beard",
      resourceId: "chair-2",
      start: MONDAY_10,
    });
    await call("POST", `/${hold.body.id}/confirm`);
    await call("POST", `/${hold.body.id}/reschedule`, { start: "2027-01-04T13:00:00.000Z" });
    await call("POST", `/${hold.body.id}/cancel`);
    const seen = (await watcher.collect((f) => f.type === "message", 4)).map(slotsOf);
    expect(seen.map((s) => `${s.type}:${s.reason}:${s.start}`)).toEqual([
      `taken:held:${MONDAY_10}`,
      `freed:rescheduled:${MONDAY_10}`,
      "taken:rescheduled:2027-01-04T13:00:00.000Z",
      "freed:cancelled:2027-01-04T13:00:00.000Z",
    ]);
    // beard's 10-minute buffer is part of the time taken
    expect(seen[0]?.end).toBe("2027-01-04T09:30:00.000Z");
    const deadline = Date.now() + 60_000;
    while (domain.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(domain.map(([n]) => n)).toEqual([
      "appointment.confirmed",
      "appointment.rescheduled",
      "appointment.cancelled",
    ]);
    expect(domain[1]?.[1]).toMatchObject({
      appointmentId: hold.body.id,
      customerId: "ann",
      resourceId: "chair-2",
      serviceId: "beard",
      startsAt: "2027-01-04T13:00:00.000Z",
      previousStartsAt: MONDAY_10,
      timeZone: "Europe/Berlin",
    });
  }, 120_000);

  it("a hold that ran out while the server was down is freed after the restart", async () => {
    const server = await start();
    const hold = await restCall(server, "POST", "/api/appointments/holds", {
      token: await server.token({ sub: "ann" }),
      body: { service: "cut", resourceId: "chair-1", start: MONDAY_10 },
    });
    expect(hold.status).toBe(201);
    await server.stop();
    await new Promise((r) => setTimeout(r, HOLD_SECONDS * 1000 + 500));
    await server.restart();
    const deadline = Date.now() + 60_000;
    let status = "held";
    while (status === "held" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await restCall(server, "GET", `/api/appointments/${hold.body.id}`)).body.status;
    }
    expect(status).toBe("expired");
    const again = await restCall(server, "POST", "/api/appointments/holds", {
      token: await server.token({ sub: "bob" }),
      body: { service: "cut", resourceId: "chair-1", start: MONDAY_10 },
    });
    expect(again.status).toBe(201);
  }, 120_000);

  it("a confirmed booking gets its reminders, moved with it and dropped when it is cancelled", async () => {
    const server = await start();
    const ann = await connect(server, "ann");
    await ann.subscribe("user:ann");
    const token = await server.token({ sub: "ann" });
    const call = (method: string, path: string, body?: unknown) =>
      restCall(server, method, `/api/appointments${path}`, { token, body });
    const hold = await call("POST", "/holds", {
      service: "cut",
      resourceId: "chair-1",
      start: MONDAY_10,
    });
    const { id } = hold.body;
    const { db } = server.app.store;
    const tasks = () =>
      db
        .selectFrom("scheduled_tasks")
        .select(["key", "task", "run_at", "status"])
        .where("key", "like", `appointments:%${id}%`)
        .orderBy("key")
        .execute();
    expect((await tasks()).map((t) => t.task)).toEqual(["appointments.hold_expiry"]);
    await call("POST", `/${id}/confirm`);
    const planned = (await tasks()).filter((t) => t.status !== "done");
    expect(planned.map((t) => [t.task, t.run_at])).toEqual([
      ["appointments.reminder", "2027-01-03T09:00:00.000Z"], // 24 h before
      ["appointments.reminder", "2027-01-04T08:00:00.000Z"], // 1 h before
    ]);
    // the hour-before reminder falls due now (the clock cannot be moved): ann is told
    await server.app.scheduler.reschedule(db, `appointments:reminder:${id}:60`, new Date());
    const reminder = await ann.next((f) => f.type === "message" && f.event === "reminder", 60_000);
    expect(reminderEventSchema.parse(reminder.data)).toMatchObject({
      minutesBefore: 60,
      appointment: { id, status: "confirmed", start: MONDAY_10 },
    });
    // moved: its reminders move; cancelled: they go
    await call("POST", `/${id}/reschedule`, { start: "2027-01-04T13:00:00.000Z" });
    const moved = (await tasks()).filter(
      (t) => t.task === "appointments.reminder" && t.status !== "done",
    );
    expect(moved.map((t) => t.run_at).sort()).toEqual([
      "2027-01-03T13:00:00.000Z",
      "2027-01-04T12:00:00.000Z",
    ]);
    await call("POST", `/${id}/cancel`);
    expect(
      (await tasks()).filter((t) => t.task === "appointments.reminder" && t.status === "pending"),
    ).toEqual([]);
  }, 120_000);
});
