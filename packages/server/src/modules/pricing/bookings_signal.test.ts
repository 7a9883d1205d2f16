import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONDAY, setUpShop } from "../../test-support/appointments.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { BOOKINGS_SIGNAL } from "./bookings.js";

const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string) => {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("the bookings_next_hours signal comes from appointments", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        // the sample job would also find the booking; an hour apart, only the event moves it here
        SWITCHBOARD_PRICING_SIGNAL_SAMPLE_MS: "3600000",
        SWITCHBOARD_PRICING_BOOKINGS_HOURS: "4",
        SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0",
        SWITCHBOARD_PRICING_MAX_STEP_PERCENT: "100",
      },
    });
    await setUpShop(server);
  });
  afterAll(async () => {
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    restCall(server, method, path, { body, ...(token !== undefined && { token }) });
  const signal = async () =>
    (
      (await call("GET", "/api/pricing/signals")).body.signals as {
        name: string;
        value: number;
      }[]
    ).find((s) => s.name === BOOKINGS_SIGNAL)?.value;
  const price = async () =>
    (await call("GET", "/api/pricing/prices/BUSY-1")).body as {
      amount: number;
      factors: { reason: string }[];
    };

  /** A held appointment moved to `startsAt` (the shop's calendar is a fixed future week). */
  let slot = 8;
  async function holdAt(customer: string, startsAt: Date): Promise<string> {
    // each hold its own calendar hour (the claims stay there), then moved to when the test needs
    const start = `${MONDAY}T${String(slot++).padStart(2, "0")}:00:00.000Z`;
    const token = await server.token({ sub: customer });
    const hold = await call(
      "POST",
      "/api/appointments/holds",
      { service: "cut", resourceId: "chair-1", start },
      token,
    );
    expect(hold.status).toBe(201);
    await server.app.store.db
      .updateTable("appointments")
      .set({
        starts_at: startsAt.toISOString(),
        ends_at: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
      })
      .where("id", "=", hold.body.id)
      .execute();
    return hold.body.id as string;
  }

  it("counts confirmed appointments in the next hours after each booking event and moves prices", async () => {
    expect(
      (await call("PUT", "/api/pricing/prices/BUSY-1", { amount: 10_000, currency: "EUR" })).status,
    ).toBe(200);
    const rule = await call("POST", "/api/pricing/rules", {
      name: "Busy day",
      when: [{ kind: "signal", name: BOOKINGS_SIGNAL, atLeast: 1 }],
      adjust: { percent: 10 },
    });
    expect(rule.status).toBe(201);

    const soon = await holdAt("ann", new Date(Date.now() + 60 * 60_000));
    const later = await holdAt("bob", new Date(Date.now() + 10 * 60 * 60_000)); // outside 4 h
    await holdAt("cat", new Date(Date.now() + 2 * 60 * 60_000)); // held, never confirmed
    expect((await signal()) ?? 0).toBe(0);

    const ann = await server.token({ sub: "ann" });
    const bob = await server.token({ sub: "bob" });
    expect(
      (await call("POST", `/api/appointments/holds/${later}/confirm`, undefined, bob)).status,
    ).toBe(200);
    expect(
      (await call("POST", `/api/appointments/holds/${soon}/confirm`, undefined, ann)).status,
    ).toBe(200);
    await until(signal, (v) => v === 1, "one booking in the next 4 hours");
    const busy = await until(price, (p) => p.amount === 11_000, "the busy-day price");
    expect(busy.factors.map((f) => f.reason).join(" ")).toContain(`${BOOKINGS_SIGNAL} 1`);

    // staff cancel it: the count and the price fall back
    expect((await call("POST", `/api/appointments/${soon}/cancel`)).status).toBe(200);
    await until(signal, (v) => v === 0, "no booking in the next 4 hours");
    await until(price, (p) => p.amount === 10_000, "the list price again");
  }, 90_000);

  it("counts one service's or one resource's bookings for a rule that names it", async () => {
    const scoped = async (name: string) =>
      (
        (await call("GET", "/api/pricing/signals")).body.signals as {
          name: string;
          value: number;
        }[]
      ).find((s) => s.name === name)?.value;
    const beardPrice = async () =>
      (await call("GET", "/api/pricing/prices/service:beard")).body as {
        amount: number;
        factors: { reason: string }[];
      };
    // the first test's rule (every item, any booking) would add to these
    for (const r of (await call("GET", "/api/pricing/rules")).body.rules as { id: string }[])
      await call("DELETE", `/api/pricing/rules/${r.id}`);
    expect(
      (await call("PUT", "/api/pricing/prices/service:beard", { amount: 2_000, currency: "EUR" }))
        .status,
    ).toBe(200);
    // the beard service is dearer while chair-2 is busy, and cheaper while few beards are booked
    const busyChair = await call("POST", "/api/pricing/rules", {
      name: "Chair 2 busy",
      skus: ["service:beard"],
      when: [{ kind: "signal", name: BOOKINGS_SIGNAL, resource: "chair-2", atLeast: 1 }],
      adjust: { percent: 10 },
    });
    expect(busyChair.status).toBe(201);
    const quietBeards = await call("POST", "/api/pricing/rules", {
      name: "Few beards",
      skus: ["service:beard"],
      when: [{ kind: "signal", name: BOOKINGS_SIGNAL, service: "beard", below: 1 }],
      adjust: { percent: -5 },
    });
    expect(quietBeards.status).toBe(201);
    // the new rules' counts are read at once (no booking event, no sample this hour)
    await until(
      () => scoped(`${BOOKINGS_SIGNAL}@resource:chair-2`),
      (v) => v === 0,
      "chair-2",
    );
    await until(
      () => scoped(`${BOOKINGS_SIGNAL}@service:beard`),
      (v) => v === 0,
      "beard",
    );
    await until(beardPrice, (p) => p.amount === 1_900, "the few-beards discount");

    // a haircut on chair-1 moves the global count only
    slot = 12; // chair-1 closes 11:00–12:00 UTC (12–13 in Berlin)
    const dan = await server.token({ sub: "dan" });
    const cut1 = await holdAt("dan", new Date(Date.now() + 60 * 60_000));
    expect(
      (await call("POST", `/api/appointments/holds/${cut1}/confirm`, undefined, dan)).status,
    ).toBe(200);
    await until(signal, (v) => v === 1, "one booking in all");
    expect(await scoped(`${BOOKINGS_SIGNAL}@resource:chair-2`)).toBe(0);
    expect(await scoped(`${BOOKINGS_SIGNAL}@service:beard`)).toBe(0);
    expect((await beardPrice()).amount).toBe(1_900);

    // a beard on chair-2 moves both scoped counts: +10 % applies, −5 % no longer does
    const eve = await server.token({ sub: "eve" });
    const start = `${MONDAY}T${String(slot++).padStart(2, "0")}:00:00.000Z`;
    const hold = await call(
      "POST",
      "/api/appointments/holds",
      { service: "beard", resourceId: "chair-2", start },
      eve,
    );
    expect(hold.status).toBe(201);
    await server.app.store.db
      .updateTable("appointments")
      .set({
        starts_at: new Date(Date.now() + 90 * 60_000).toISOString(),
        ends_at: new Date(Date.now() + 110 * 60_000).toISOString(),
      })
      .where("id", "=", hold.body.id)
      .execute();
    expect(
      (await call("POST", `/api/appointments/holds/${hold.body.id}/confirm`, undefined, eve))
        .status,
    ).toBe(200);
    await until(
      () => scoped(`${BOOKINGS_SIGNAL}@resource:chair-2`),
      (v) => v === 1,
      "chair-2 busy",
    );
    expect(await scoped(`${BOOKINGS_SIGNAL}@service:beard`)).toBe(1);
    const busy = await until(beardPrice, (p) => p.amount === 2_200, "the busy-chair price");
    expect(busy.factors.map((f) => f.reason).join(" ")).toContain(
      `${BOOKINGS_SIGNAL} of resource chair-2 1`,
    );
    await until(signal, (v) => v === 2, "two bookings in all");
  }, 90_000);

  it("refuses a scope on another signal, or both scopes", async () => {
    for (const when of [
      [{ kind: "signal", name: "demand", service: "cut", atLeast: 1 }],
      [{ kind: "signal", name: BOOKINGS_SIGNAL, service: "cut", resource: "chair-1", atLeast: 1 }],
      [{ kind: "signal", name: BOOKINGS_SIGNAL, service: "Not A Slug", atLeast: 1 }],
    ]) {
      const r = await call("POST", "/api/pricing/rules", {
        name: "bad",
        when,
        adjust: { percent: 5 },
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
  });
});
