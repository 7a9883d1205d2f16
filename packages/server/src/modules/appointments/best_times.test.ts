import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MONDAY, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { type BestTime, bestTimesSchema } from "./contract.js";

/** Berlin is UTC+1 in January: 09:00 Berlin is 08:00Z. */
const berlin = (clock: string) => {
  const [h, m] = clock.split(":").map(Number) as [number, number];
  return new Date(Date.UTC(2027, 0, 4, h - 1, m)).toISOString();
};

describe.each(DIALECTS)("best times on %s", (database) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer({ database });
    await setUpShop(server);
  });
  afterEach(async () => {
    await server.close();
  });

  /** Staff take a chair's time for a customer (a hold is taken, like a booking). */
  const take = async (resourceId: string, from: string, to: string) => {
    for (let t = Date.parse(berlin(from)); t < Date.parse(berlin(to)); t += 30 * 60_000) {
      const r = await restCall(server, "POST", "/api/appointments/holds", {
        body: { service: "cut", resourceId, start: new Date(t).toISOString(), customerId: "c" },
      });
      expect(r.status).toBe(201);
    }
  };
  const best = async (query: string) => {
    const token = await server.token({ sub: "ann" });
    return restCall(server, "GET", `/api/appointments/best-times?${query}`, { token });
  };

  it("suggests the quietest free times first, and follows the bookings", async () => {
    // the morning rush: both chairs booked 09:00–11:00
    await take("chair-1", "09:00", "11:00");
    await take("chair-2", "09:00", "11:00");
    const r = await best(`service=cut&from=${MONDAY}&to=${MONDAY}&limit=20`);
    expect(r.status).toBe(200);
    const times = bestTimesSchema.parse(r.body).times;
    expect(times.length).toBeGreaterThan(5);
    // sorted by how busy, then by time; quiet ones are away from the rush
    for (let i = 1; i < times.length; i++) {
      const [a, b] = [times[i - 1] as BestTime, times[i] as BestTime];
      expect(a.busy < b.busy || (a.busy === b.busy && a.start < b.start)).toBe(true);
    }
    const quiet = times.filter((t) => t.busy === 0);
    expect(quiet.length).toBeGreaterThan(0);
    for (const t of quiet) expect(t.start >= berlin("12:00")).toBe(true);
    // right after the rush (11:xx) is free but busy around it: offered, after the quiet times
    const afterRush = times.find((t) => t.start >= berlin("11:00") && t.start < berlin("12:00"));
    expect(afterRush?.busy).toBeGreaterThan(0);
    expect(times.indexOf(afterRush as BestTime)).toBeGreaterThan(quiet.length - 1);
    // at most one per resource and hour
    const hours = times.map((t) => `${t.resourceId}|${t.start.slice(0, 13)}`);
    expect(new Set(hours).size).toBe(hours.length);
    // every suggestion is a free slot
    const slots = await restCall(
      server,
      "GET",
      `/api/appointments/slots?service=cut&from=${MONDAY}`,
      { token: await server.token({ sub: "ann" }) },
    );
    const free = new Set((slots.body.slots as { start: string }[]).map((s) => s.start));
    for (const t of times) expect(free.has(t.start)).toBe(true);

    // the afternoon fills up: the suggestions move to what is quiet now
    const before = (await best(`service=cut&from=${MONDAY}&to=${MONDAY}&limit=3`)).body.times;
    expect(before[0].start).toBe(berlin("12:00"));
    await take("chair-1", "13:00", "15:00");
    await take("chair-2", "12:00", "15:00");
    const after = bestTimesSchema.parse(
      (await best(`service=cut&from=${MONDAY}&to=${MONDAY}&limit=3`)).body,
    ).times;
    expect(after).toHaveLength(3);
    // quiet now: only 16:00–18:00 (one per hour: 16:xx and 17:xx), then the least busy of the rest
    for (const t of after.slice(0, 2)) {
      expect(t.busy).toBe(0);
      expect(t.start >= berlin("16:00")).toBe(true);
    }
    expect(after[2]?.busy).toBeGreaterThan(0);
  }, 120_000);

  it("one resource, the default week, and bad input refused with codes", async () => {
    const one = await best(`service=colour&resource=chair-1&from=${MONDAY}`);
    expect(one.status).toBe(200);
    const times = bestTimesSchema.parse(one.body).times;
    expect(times).toHaveLength(5);
    expect(new Set(times.map((t) => t.resourceId))).toEqual(new Set(["chair-1"]));
    expect(times.every((t) => t.busy === 0)).toBe(true);

    expect((await best(`service=cut&from=${MONDAY}&limit=0`)).body.code).toBe("bad_request");
    expect((await best(`service=cut&from=${MONDAY}&limit=21`)).status).toBe(400);
    expect((await best("service=cut&from=2027-13-01")).status).toBe(400);
    const backwards = await best(`service=cut&from=${MONDAY}&to=2027-01-01`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe("invalid_range");
    const unknown = await best(`service=nope&from=${MONDAY}`);
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe("unknown_service");
    const notOffered = await best(`service=colour&resource=chair-2&from=${MONDAY}`);
    expect(notOffered.body.code).toBe("service_not_offered");
  }, 60_000);
});
