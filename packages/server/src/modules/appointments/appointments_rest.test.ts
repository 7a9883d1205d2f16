import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MONDAY, MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { type RestReply, restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { appointmentSchema, resourceSchema, slotsSchema } from "./contract.js";

describe.each(DIALECTS)(
  "appointments over REST on %s",
  (database) => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startTestServer({ database });
      await setUpShop(server);
    });
    afterEach(async () => {
      await server.close();
    });

    const as = async (sub: string, role: "customer" | "agent" = "customer") => {
      const token = await server.token({ sub, role });
      return (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
        restCall(server, method, `/api/appointments${path}`, {
          body,
          token,
          ...(headers && { headers }),
        });
    };
    // today and tomorrow (UTC): the first free slot exists even just before midnight
    const today = () => new Date().toISOString().slice(0, 10);
    const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const starts = (r: RestReply) => (r.body.slots as { start: string }[]).map((s) => s.start);

    it("a customer sees slots, holds one, confirms it, and finds it in their appointments", async () => {
      const ann = await as("ann");
      const slots = await ann("GET", `/slots?service=colour&resource=chair-1&from=${MONDAY}`);
      expect(slots.status).toBe(200);
      slotsSchema.parse(slots.body);
      // 09:00–12:00 and 13:00–18:00 Berlin, every 15 minutes, 60 minutes long: the break is free
      expect(starts(slots)[0]).toBe("2027-01-04T08:00:00.000Z");
      expect(starts(slots)).not.toContain("2027-01-04T10:30:00.000Z"); // would run into 12:00
      expect(starts(slots)).toContain("2027-01-04T12:00:00.000Z"); // 13:00 Berlin
      expect(starts(slots).at(-1)).toBe("2027-01-04T16:00:00.000Z"); // ends at 18:00

      const hold = await ann("POST", "/holds", {
        service: "colour",
        resourceId: "chair-1",
        start: MONDAY_10,
      });
      expect(hold.status).toBe(201);
      expect(appointmentSchema.parse(hold.body)).toMatchObject({
        status: "held",
        customerId: "ann",
        start: MONDAY_10,
        end: "2027-01-04T10:00:00.000Z",
        day: MONDAY,
        timeZone: "Europe/Berlin",
      });
      expect(Date.parse(hold.body.expiresAt)).toBeGreaterThan(Date.now());
      // held is taken: 10:00 and everything overlapping it is gone, for every service of the chair
      const after = starts(await ann("GET", `/slots?service=cut&resource=chair-1&from=${MONDAY}`));
      expect(after).not.toContain(MONDAY_10);
      expect(after).not.toContain("2027-01-04T08:45:00.000Z"); // 09:45–10:15 overlaps
      expect(after).toContain("2027-01-04T08:30:00.000Z"); // 09:30–10:00 ends as it starts
      expect(after).toContain("2027-01-04T10:00:00.000Z");

      const confirmed = await ann("POST", `/holds/${hold.body.id}/confirm`);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ status: "confirmed", version: 2 });
      expect(confirmed.body.expiresAt).toBeUndefined();

      const mine = await ann("GET", "");
      expect(mine.body.items.map((a: { id: string }) => a.id)).toEqual([hold.body.id]);
      expect((await (await as("bob"))("GET", "")).body.items).toEqual([]);
      expect((await (await as("bob"))("GET", `/${hold.body.id}`)).status).toBe(403);
      const staff = await as("sam", "agent");
      const day = await staff(
        "GET",
        `?resource=chair-1&from=2027-01-04T00:00:00Z&to=2027-01-05T00:00:00Z`,
      );
      expect(day.body.items).toHaveLength(1);
    });

    it("50 customers race for one slot: exactly one 201, 49 slot_taken", async () => {
      const callers = await Promise.all(Array.from({ length: 50 }, (_, i) => as(`racer-${i}`)));
      const results = await Promise.all(
        callers.map((c) =>
          c("POST", "/holds", { service: "cut", resourceId: "chair-1", start: MONDAY_10 }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const refused = results.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(49);
      for (const r of refused)
        expect(r).toMatchObject({ status: 409, body: { code: "slot_taken" } });
      const staff = await as("sam", "agent");
      const held = await staff("GET", "?resource=chair-1&status=held");
      expect(held.body.items).toHaveLength(1);
    });

    it("overlapping services on one resource never both get the time", async () => {
      const callers = await Promise.all(Array.from({ length: 30 }, (_, i) => as(`c-${i}`)));
      // colour 10:00–11:00, cut 10:30–11:00, beard 10:45–11:05 (+10 min buffer): all overlap
      const asks = [
        { service: "colour", start: MONDAY_10 },
        { service: "cut", start: "2027-01-04T09:30:00.000Z" },
        { service: "beard", start: "2027-01-04T09:45:00.000Z" },
      ];
      const results = await Promise.all(
        callers.map((c, i) => c("POST", "/holds", { ...asks[i % 3], resourceId: "chair-1" })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(29);
    });

    it("a buffer keeps the next booking off: beard 10:00 (+10 min) blocks a cut at 10:25 but not 10:30", async () => {
      const a = await as("a");
      expect(
        (await a("POST", "/holds", { service: "beard", resourceId: "chair-2", start: MONDAY_10 }))
          .status,
      ).toBe(201);
      const free = starts(await a("GET", `/slots?service=cut&resource=chair-2&from=${MONDAY}`));
      expect(free).not.toContain("2027-01-04T09:15:00.000Z");
      expect(free).toContain("2027-01-04T09:30:00.000Z");
      const b = await as("b");
      expect(
        (
          await b("POST", "/holds", {
            service: "cut",
            resourceId: "chair-2",
            start: "2027-01-04T09:15:00.000Z",
          })
        ).body.code,
      ).toBe("slot_taken");
    });

    it("a group class takes up to its capacity, racing", async () => {
      const callers = await Promise.all(Array.from({ length: 10 }, (_, i) => as(`s-${i}`)));
      const results = await Promise.all(
        callers.map((c) =>
          c("POST", "/holds", { service: "class", resourceId: "chair-1", start: MONDAY_10 }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      expect(results.filter((r) => r.body?.code === "slot_taken")).toHaveLength(7);
      // a cut at the same time is another sitting: refused while the class has the chair
      expect(
        (
          await (
            await as("x")
          )("POST", "/holds", { service: "cut", resourceId: "chair-1", start: MONDAY_10 })
        ).body.code,
      ).toBe("slot_taken");
      // a seat given back is free again for the class
      const first = results.find((r) => r.status === 201) as RestReply;
      const owner = callers[results.indexOf(first)] as Awaited<ReturnType<typeof as>>;
      expect((await owner("POST", `/${first.body.id}/release`)).body.status).toBe("released");
      expect(
        (
          await (
            await as("late")
          )("POST", "/holds", { service: "class", resourceId: "chair-1", start: MONDAY_10 })
        ).status,
      ).toBe(201);
    });

    it("any available picks the least booked chair of the day, and fills both before refusing", async () => {
      const staff = await as("sam", "agent");
      // chair-1 already has a booking that day
      await staff("POST", "/holds", {
        service: "cut",
        resourceId: "chair-1",
        start: "2027-01-04T14:00:00.000Z",
        customerId: "z",
      });
      const slots = await staff("GET", `/slots?service=cut&from=${MONDAY}`);
      expect(slots.body.slots.find((s: { start: string }) => s.start === MONDAY_10)).toMatchObject({
        resourceId: "chair-2",
      });
      const callers = await Promise.all(Array.from({ length: 6 }, (_, i) => as(`any-${i}`)));
      const results = await Promise.all(
        callers.map((c) => c("POST", "/holds", { service: "cut", start: MONDAY_10 })),
      );
      const won = results.filter((r) => r.status === 201);
      expect(won.map((r) => r.body.resourceId).sort()).toEqual(["chair-1", "chair-2"]);
      expect(results.filter((r) => r.body?.code === "slot_taken")).toHaveLength(4);
    });

    it("reschedule is atomic under a race: the slot ends up with exactly one booking", async () => {
      const ann = await as("ann");
      const hold = await ann("POST", "/holds", {
        service: "cut",
        resourceId: "chair-1",
        start: MONDAY_10,
      });
      await ann("POST", `/${hold.body.id}/confirm`);
      const target = "2027-01-04T13:00:00.000Z";
      const rivals = await Promise.all(Array.from({ length: 15 }, (_, i) => as(`r-${i}`)));
      const [moved, ...others] = await Promise.all([
        ann("POST", `/${hold.body.id}/reschedule`, { start: target }),
        ...rivals.map((c) =>
          c("POST", "/holds", { service: "cut", resourceId: "chair-1", start: target }),
        ),
      ]);
      const winners = [moved, ...others].filter((r) => r?.status === 200 || r?.status === 201);
      expect(winners).toHaveLength(1);
      const staff = await as("sam", "agent");
      const active = (await staff("GET", "?resource=chair-1")).body.items.filter(
        (a: { status: string }) => ["held", "confirmed"].includes(a.status),
      );
      expect(active.filter((a: { start: string }) => a.start === target)).toHaveLength(1);
      const free = starts(await ann("GET", `/slots?service=cut&resource=chair-1&from=${MONDAY}`));
      if ((moved as RestReply).status === 200) {
        expect((moved as RestReply).body).toMatchObject({
          start: target,
          status: "confirmed",
          version: 3,
        });
        expect(free).toContain(MONDAY_10); // the old time is free again
      } else {
        expect((moved as RestReply).body.code).toBe("slot_taken");
        expect(free).not.toContain(MONDAY_10); // nothing changed
      }
    });

    it("cancel frees the time; a customer cannot change within the window, staff can", async () => {
      const staff = await as("sam", "agent");
      await staff("PUT", "/resources/desk", {
        name: "Front desk",
        timeZone: "UTC",
        services: ["cut"],
        hours: Object.fromEntries(
          ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
        ),
      });
      const ann = await as("ann");
      const soon = (
        await ann("GET", `/slots?service=cut&resource=desk&from=${today()}&to=${tomorrow()}`)
      ).body.slots[0].start;
      const hold = await ann("POST", "/holds", { service: "cut", resourceId: "desk", start: soon });
      expect(hold.status).toBe(201);
      await ann("POST", `/${hold.body.id}/confirm`);
      const late = await ann("POST", `/${hold.body.id}/cancel`);
      expect(late).toMatchObject({
        status: 409,
        body: { code: "too_late_to_change", details: { windowMinutes: 120 } },
      });
      expect((await ann("POST", `/${hold.body.id}/reschedule`, { start: soon })).body.code).toBe(
        "too_late_to_change",
      );
      expect((await ann("POST", `/${hold.body.id}/no-show`)).status).toBe(403);
      expect((await staff("POST", `/${hold.body.id}/no-show`)).body.code).toBe("invalid_state"); // not started
      const cancelled = await staff("POST", `/${hold.body.id}/cancel`);
      expect(cancelled.body).toMatchObject({ status: "cancelled" });
      expect(
        starts(
          await ann("GET", `/slots?service=cut&resource=desk&from=${today()}&to=${tomorrow()}`),
        ),
      ).toContain(soon);
      expect((await ann("POST", `/${hold.body.id}/confirm`)).body.code).toBe("invalid_state");
    });

    it("staff mark a booking whose start has passed as a no-show", async () => {
      const ann = await as("ann");
      const hold = await ann("POST", "/holds", {
        service: "cut",
        resourceId: "chair-1",
        start: MONDAY_10,
      });
      await ann("POST", `/${hold.body.id}/confirm`);
      // the appointment's time passes (the clock cannot be moved through HTTP)
      await server.app.store.db
        .updateTable("appointments")
        .set({ starts_at: "2020-01-06T09:00:00.000Z" })
        .where("id", "=", hold.body.id)
        .execute();
      const staff = await as("sam", "agent");
      expect((await staff("POST", `/${hold.body.id}/no-show`)).body).toMatchObject({
        status: "no_show",
        version: 3,
      });
      expect((await staff("POST", `/${hold.body.id}/no-show`)).body.code).toBe("invalid_state");
    });

    it("an Idempotency-Key makes a retried hold answer the same appointment", async () => {
      const ann = await as("ann");
      const body = { service: "cut", resourceId: "chair-1", start: MONDAY_10 };
      const first = await ann("POST", "/holds", body, { "idempotency-key": "hold-1" });
      const again = await ann("POST", "/holds", body, { "idempotency-key": "hold-1" });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.replayed).toBe(true);
      expect(again.body.id).toBe(first.body.id);
    });

    it("slots are right across the DST week in two time zones", async () => {
      const c = await as("c");
      // Berlin: 2027-03-28 springs forward; 09:00 local is 08:00Z before and 07:00Z after
      const berlin = await c(
        "GET",
        "/slots?service=colour&resource=chair-1&from=2027-03-27&to=2027-03-29",
      );
      const first = (day: string) => starts(berlin).find((s) => s.startsWith(day));
      expect(first("2027-03-27")).toBe("2027-03-27T08:00:00.000Z");
      expect(first("2027-03-28")).toBe("2027-03-28T07:00:00.000Z");
      expect(first("2027-03-29")).toBe("2027-03-29T07:00:00.000Z");
      // New York: 2027-03-14; 09:00 local is 14:00Z before and 13:00Z after
      const ny = await c(
        "GET",
        "/slots?service=drive&resource=model-y&from=2027-03-13&to=2027-03-14",
      );
      expect(starts(ny)[0]).toBe("2027-03-13T14:00:00.000Z");
      expect(starts(ny).find((s) => s.startsWith("2027-03-14"))).toBe("2027-03-14T13:00:00.000Z");
      // a hold on the Berlin change day at 09:00 local lands on its day
      const hold = await c("POST", "/holds", {
        service: "colour",
        resourceId: "chair-1",
        start: "2027-03-28T09:00:00+02:00",
      });
      expect(hold.body).toMatchObject({ start: "2027-03-28T07:00:00.000Z", day: "2027-03-28" });
    });

    it("exceptions close a day or change its hours", async () => {
      const staff = await as("sam", "agent");
      const closed = await staff("PUT", `/resources/chair-1/exceptions/${MONDAY}`, {
        hours: [],
        note: "holiday",
      });
      expect(resourceSchema.parse(closed.body).exceptions).toEqual([
        { date: MONDAY, hours: [], note: "holiday" },
      ]);
      expect(
        starts(await staff("GET", `/slots?service=cut&resource=chair-1&from=${MONDAY}`)),
      ).toEqual([]);
      expect(
        (
          await staff("POST", "/holds", {
            service: "cut",
            resourceId: "chair-1",
            start: MONDAY_10,
            customerId: "a",
          })
        ).body.code,
      ).toBe("outside_hours");
      await staff("PUT", `/resources/chair-1/exceptions/${MONDAY}`, {
        hours: [["15:00", "16:00"]],
      });
      expect(
        starts(await staff("GET", `/slots?service=colour&resource=chair-1&from=${MONDAY}`)),
      ).toEqual(["2027-01-04T14:00:00.000Z"]);
      await staff("DELETE", `/resources/chair-1/exceptions/${MONDAY}`);
      expect(
        starts(await staff("GET", `/slots?service=colour&resource=chair-1&from=${MONDAY}`)).length,
      ).toBeGreaterThan(10);
    });
  },
  60_000,
);
