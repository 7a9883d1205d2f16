import { DateTime } from "luxon";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ulid } from "../../ids.js";
import type { DomainEvent, ModuleEvents } from "../../platform/durable/types.js";
import { Outbox } from "../../store/outbox.js";
import { setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { metricsConfig } from "./config.js";
import { handleEvent } from "./handlers.js";
import { computeOverview } from "./overview.js";
import { pruneOld } from "./retention.js";
import { computePeaks, computeSeries } from "./series.js";

const ZONE = "America/New_York";
/** Tuesday 10 March 2026, 15:30 in New York: two days after the clocks went forward. */
const NOW = DateTime.fromISO("2026-03-10T15:30", { zone: ZONE }).toMillis();
const local = (s: string) => DateTime.fromISO(s, { zone: ZONE }).toMillis();

/**
 * A fixed history fed through the real handlers with a fake clock: trends against the period
 * before, the business's day (New York, not UTC, across a DST change), peak hours by local
 * weekday and hour, utilization against the appointments' open hours, retention.
 */
describe.each(DIALECTS)("metrics over a fixed history (%s)", (database) => {
  let server: TestServer;
  const settings = metricsConfig.build(
    metricsConfig.schema.parse({ SWITCHBOARD_METRICS_TIME_ZONE: ZONE }),
  );
  const emitted: unknown[] = [];
  const events = {
    emit: async (_trx: unknown, e: unknown) => {
      emitted.push(e);
      return ulid();
    },
    emitAll: async () => [],
    on: () => {},
    local: undefined as never,
  } as unknown as ModuleEvents;

  async function feed(type: string, at: number, payload: Record<string, unknown>) {
    const db = server.app.store.db;
    const event: DomainEvent = {
      id: ulid(at),
      type,
      aggregate: "test",
      payload: { ...payload, at: new Date(at).toISOString() },
      occurredAt: new Date(at).toISOString(),
    };
    const outbox = new Outbox(db, async () => undefined, pino({ level: "silent" }));
    await db
      .transaction()
      .execute((trx) =>
        handleEvent(trx, event, { events, outbox, settings, logger: pino({ level: "silent" }) }),
      );
  }
  const order = (at: number) =>
    feed("order.created", at, { orderId: ulid(), customerId: `c${at}`, lifecycle: "store-order" });
  const rating = (at: number, rating: number) =>
    feed("chat.conversation_rated", at, {
      conversationId: ulid(),
      customerId: "x",
      agentId: "ann",
      rating,
    });

  beforeAll(async () => {
    server = await startTestServer({ database });
    await setUpShop(server); // three resources, open every day: 8 h + 9 h + 8 h
    // today (local): 00:30, 09:00, 10:00, 15:00
    for (const t of [
      "2026-03-10T00:30",
      "2026-03-10T09:00",
      "2026-03-10T10:00",
      "2026-03-10T15:00",
    ])
      await order(local(t));
    // yesterday: 10:00 counts against today; 16:00 and 23:00 (03:00Z on the 10th) are after 15:30
    for (const t of ["2026-03-09T10:00", "2026-03-09T16:00", "2026-03-09T23:00"])
      await order(local(t));
    await order(local("2026-03-02T12:00")); // the week before
    // four Saturdays at 11:00, three orders each: the peak (before the DST change too)
    for (const d of ["2026-02-14", "2026-02-21", "2026-02-28", "2026-03-07"])
      for (let i = 0; i < 3; i++) await order(local(`${d}T11:0${i}`));
    await rating(local("2026-03-10T11:00"), 5);
    await rating(local("2026-03-10T12:00"), 4);
    await rating(local("2026-03-09T12:00"), 3);
    // a 30-minute booking at 10:00 today, made on the 1st
    await feed("appointment.confirmed", local("2026-03-01T12:00"), {
      appointmentId: "a1",
      customerId: "hana",
      resourceId: "chair-2",
      serviceId: "cut",
      startsAt: new Date(local("2026-03-10T10:00")).toISOString(),
      endsAt: new Date(local("2026-03-10T10:30")).toISOString(),
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("today: local midnight to now, against yesterday up to the same time", async () => {
    const o = await computeOverview(server.app.store.db, {
      period: "today",
      timeZone: ZONE,
      now: NOW,
    });
    expect(o.from).toBe("2026-03-10T04:00:00.000Z"); // midnight in New York (EDT)
    expect(o.previousFrom).toBe("2026-03-09T04:00:00.000Z");
    expect(o.previousTo).toBe("2026-03-09T19:30:00.000Z");
    expect(o.orders).toEqual({ value: 4, previous: 1, change: 3, direction: "up" });
    expect(o.satisfaction).toMatchObject({ value: 4.5, previous: 3, count: 2, direction: "up" });
    expect(o.satisfaction.change).toBeCloseTo(0.5);
    expect(o.bookings).toMatchObject({ value: 0, previous: 0 }); // booked on the 1st
    // 30 booked minutes of 25 open hours today
    expect(o.utilization.value).toBeCloseTo(30 / 1500);
    expect(o.utilization.previous).toBe(0);
    expect(o.agents).toEqual([
      expect.objectContaining({ agentId: "ann", ratings: 2, satisfaction: 4.5 }),
    ]);
  });

  it("7d and 30d: whole local days, across the DST change", async () => {
    const week = await computeOverview(server.app.store.db, {
      period: "7d",
      timeZone: ZONE,
      now: NOW,
    });
    expect(week.from).toBe("2026-03-04T05:00:00.000Z"); // midnight EST, before the change
    expect(week.orders.value).toBe(7 + 3); // today 4, yesterday 3, Saturday 7 March 3
    expect(week.orders.previous).toBe(1 + 3); // 2 March and Saturday 28 February
    const month = await computeOverview(server.app.store.db, {
      period: "30d",
      timeZone: ZONE,
      now: NOW,
    });
    expect(month.orders.value).toBe(4 + 3 + 1 + 12);
    expect(month.orders.previous).toBe(0);
    expect(month.orders.change).toBeNull();
  });

  it("finds the peak hour by local weekday and hour from the business's own history", async () => {
    const p = await computePeaks(server.app.store.db, {
      kpi: "orders",
      weeks: 4,
      timeZone: ZONE,
      now: NOW,
    });
    expect(p.grid).toHaveLength(7);
    expect(p.grid[5]?.[11]).toBe(3); // Saturday 11:00, three a week
    expect(p.grid[0]?.[10]).toBe(0.25); // Monday 9 March 10:00, once in four weeks
    expect(p.peaks[0]).toEqual({ weekday: 6, hour: 11, value: 3 });
    expect(p.peaks).toHaveLength(1);
  });

  it("draws a series per local hour and per local day, zeros where nothing happened", async () => {
    const hours = await computeSeries(server.app.store.db, {
      kpi: "orders",
      from: local("2026-03-10T00:00"),
      to: NOW,
      step: "hour",
      dim: "",
      timeZone: ZONE,
    });
    expect(hours.points).toHaveLength(16);
    expect(
      hours.points
        .filter((p) => p.value)
        .map((p) => [DateTime.fromISO(p.at, { zone: ZONE }).hour, p.value]),
    ).toEqual([
      [0, 1],
      [9, 1],
      [10, 1],
      [15, 1],
    ]);
    // 8 March has 23 hours in New York: the day buckets still start at local midnight
    const days = await computeSeries(server.app.store.db, {
      kpi: "orders",
      from: local("2026-03-07T00:00"),
      to: local("2026-03-11T00:00"),
      step: "day",
      dim: "",
      timeZone: ZONE,
    });
    expect(days.points.map((p) => p.value)).toEqual([3, 0, 3, 4]);
    expect(days.points[2]?.at).toBe("2026-03-09T04:00:00.000Z");
    const avg = await computeSeries(server.app.store.db, {
      kpi: "satisfaction",
      from: local("2026-03-09T00:00"),
      to: local("2026-03-11T00:00"),
      step: "day",
      dim: "",
      timeZone: ZONE,
    });
    expect(avg.points.map((p) => p.value)).toEqual([3, 4.5]);
  });

  it("drops rollups past their retention, grain by grain", async () => {
    const db = server.app.store.db;
    const count = async (grain: string) =>
      Number(
        (
          await db
            .selectFrom("metrics_rollups")
            .select((eb) => eb.fn.countAll<number | string>().as("n"))
            .where("grain", "=", grain as "minute")
            .executeTakeFirstOrThrow()
        ).n,
      );
    const hoursBefore = await count("hour");
    // 10 days after NOW: minutes (3 days) all gone, hours (400 days) and days kept
    await pruneOld(db, settings, NOW + 10 * 86_400_000);
    expect(await count("minute")).toBe(0);
    expect(await count("hour")).toBe(hoursBefore);
    expect(await count("day")).toBeGreaterThan(0);
  });
});
