import type { Kysely } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import {
  type BlockClaim,
  claimable,
  claimRange,
  datesBetween,
  daysBetween,
  isoUtc,
  type SlotShape,
  sessionOf,
  slotStarts,
  windowsOn,
} from "./calendar.js";
import type { Catalog, LoadedResource } from "./catalog.js";
import type { AppointmentsSettings } from "./config.js";
import type { Slot } from "./contract.js";
import type { AppointmentServiceRow } from "./migrations.js";
import { precompiled } from "./precompiled.js";
import type { SlotsQuery } from "./schema.js";

/** Statuses whose time is taken (a hold counts as taken: it has its claims). */
export const ACTIVE = ["held", "confirmed"] as const;
/** Statuses that count as a booking of the day ("any available" picks the least booked). */
const BOOKED = ["held", "confirmed", "checked_in"] as const;

export function shapeOf(service: AppointmentServiceRow, stepMinutes: number): SlotShape {
  return {
    durationMs: service.duration_minutes * 60_000,
    bufferBeforeMs: service.buffer_before_minutes * 60_000,
    bufferAfterMs: service.buffer_after_minutes * 60_000,
    stepMs: stepMinutes * 60_000,
  };
}

/**
 * The slot grid of a loaded resource per date and shape, kept with the loaded object (a reload
 * after an edit is a new object, so a new grid): Luxon's zone arithmetic is the dearest step of a
 * hold otherwise.
 */
const grids = new WeakMap<LoadedResource, Map<string, number[]>>();
const GRIDS_PER_RESOURCE = 2000;

function gridOf(resource: LoadedResource, date: string, shape: SlotShape): number[] {
  let byKey = grids.get(resource);
  if (!byKey) {
    byKey = new Map();
    grids.set(resource, byKey);
  }
  const key = `${date}|${shape.durationMs}|${shape.stepMs}`;
  let grid = byKey.get(key);
  if (!grid) {
    const exceptions = new Map([...resource.exceptions].map(([d, e]) => [d, e.hours]));
    grid = slotStarts(windowsOn(date, resource.timeZone, resource.hours, exceptions), shape);
    if (byKey.size >= GRIDS_PER_RESOURCE) byKey.clear();
    byKey.set(key, grid);
  }
  return grid;
}

/** The slot starts a resource offers on a date, future ones only. */
export function startsOn(
  resource: LoadedResource,
  date: string,
  shape: SlotShape,
  nowMs: number,
): number[] {
  return gridOf(resource, date, shape).filter((t) => t >= nowMs);
}

/** Whether `startMs` is one of a resource's slot starts on a date (and not past). */
export function isSlotStart(
  resource: LoadedResource,
  date: string,
  shape: SlotShape,
  startMs: number,
  nowMs: number,
): boolean {
  return startMs >= nowMs && gridOf(resource, date, shape).includes(startMs);
}

/**
 * Free slots: the working-hours grid of each day in each resource's zone, minus every start whose
 * time (buffers included) overlaps a block another sitting claimed. Computed from the claims, the
 * same rows the bookings insert, so what is shown free is what a hold can take.
 */
export function createAvailability(
  db: Kysely<Database>,
  catalog: Catalog,
  settings: AppointmentsSettings,
) {
  // the claims read runs on every hold request: its SQL is built once (precompiled.ts)
  const claimsQuery = precompiled(
    (q, resourceId: string, from: number, to: number) =>
      q
        .selectFrom("appointment_claims")
        .select(["block", "session", "seats", "capacity"])
        .where("resource_id", "=", resourceId)
        .where("block", ">=", from)
        .where("block", "<", to),
    (resourceId, from, to) => [resourceId, from, to],
  );

  async function claimsOf(resourceId: string, from: number, to: number) {
    const { rows } = await claimsQuery.run(db, "claims", resourceId, from, to);
    return new Map<number, BlockClaim>(rows.map((r) => [Number(r.block), r]));
  }

  /** Active bookings per resource on each day: "any available" picks the least booked. */
  async function loadPerDay(resourceIds: string[], days: string[]): Promise<Map<string, number>> {
    const rows = await db
      .selectFrom("appointments")
      .select(["resource_id", "day"])
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("resource_id", "in", resourceIds)
      .where("day", "in", days)
      .where("status", "in", BOOKED)
      .groupBy(["resource_id", "day"])
      .execute();
    return new Map(rows.map((r) => [`${r.resource_id}|${r.day}`, Number(r.n)]));
  }

  async function freeOf(
    resource: LoadedResource,
    service: AppointmentServiceRow,
    dates: string[],
    nowMs: number,
  ): Promise<{ start: number; day: string }[]> {
    const shape = shapeOf(service, settings.slotStepMinutes);
    const perDay = dates.map((day) => ({ day, starts: startsOn(resource, day, shape, nowMs) }));
    const all = perDay.flatMap((d) => d.starts);
    if (all.length === 0) return [];
    const lo = claimRange(Math.min(...all), shape)[0];
    const hi = claimRange(Math.max(...all), shape)[1];
    const claims = await claimsOf(resource.id, lo, hi);
    return perDay.flatMap(({ day, starts }) =>
      starts
        .filter((t) => claimable(claims, claimRange(t, shape), sessionOf(service.id, t)))
        .map((start) => ({ start, day })),
    );
  }

  return {
    /** The claimed blocks of a resource in [from, to) (best times weigh how busy a time is). */
    claimsOf,

    /**
     * Whether the committed claims still leave a booking's blocks open to its sitting. A quick
     * refusal before any write: "no" is final (the time was taken when read); "yes" is only a
     * hint, the claim insert in the write transaction decides.
     */
    async looksFree(row: {
      resource_id: string;
      claim_from: number;
      claim_to: number;
      session: string;
    }) {
      const claims = await claimsOf(row.resource_id, row.claim_from, row.claim_to);
      return claimable(claims, [row.claim_from, row.claim_to], row.session);
    },

    /**
     * Resources to try for a start, best first: the one asked for, or every resource offering
     * the service, least booked that day first.
     */
    async candidates(resources: LoadedResource[], days: string[]): Promise<LoadedResource[]> {
      if (resources.length < 2) return resources;
      const load = await loadPerDay(
        resources.map((r) => r.id),
        days,
      );
      const of = (r: LoadedResource, i: number) => load.get(`${r.id}|${days[i]}`) ?? 0;
      return resources
        .map((r, i) => ({ r, n: of(r, i) }))
        .sort((a, b) => a.n - b.n || a.r.id.localeCompare(b.r.id))
        .map((x) => x.r);
    },

    async slots(query: SlotsQuery, nowMs = Date.now()): Promise<Slot[]> {
      const to = query.to ?? query.from;
      const span = daysBetween(query.from, to);
      if (span < 0) throw new SwitchboardError("invalid_range", "`to` is before `from`");
      if (span + 1 > settings.maxRangeDays)
        throw new SwitchboardError(
          "invalid_range",
          `at most ${settings.maxRangeDays} days per search`,
          { details: { maxDays: settings.maxRangeDays } },
        );
      const service = await catalog.requireService(query.service);
      let resources: LoadedResource[];
      if (query.resource) {
        const r = await catalog.resource(query.resource);
        if (!r) throw new SwitchboardError("unknown_resource", `no resource ${query.resource}`);
        if (!r.services.includes(service.id))
          throw new SwitchboardError("service_not_offered", `${r.id} does not offer ${service.id}`);
        resources = [r];
      } else resources = await catalog.offering(service.id);
      const dates = datesBetween(query.from, to);
      const durationMs = service.duration_minutes * 60_000;
      const free = await Promise.all(resources.map((r) => freeOf(r, service, dates, nowMs)));
      if (resources.length === 1)
        return (free[0] ?? []).map(({ start }) => ({
          start: isoUtc(start),
          end: isoUtc(start + durationMs),
          resourceId: (resources[0] as LoadedResource).id,
        }));
      // Any available: one slot per start, offered on the least booked resource that day.
      const load = await loadPerDay(
        resources.map((r) => r.id),
        dates,
      );
      const best = new Map<number, { resourceId: string; n: number }>();
      resources.forEach((r, i) => {
        for (const { start, day } of free[i] ?? []) {
          const n = load.get(`${r.id}|${day}`) ?? 0;
          const current = best.get(start);
          if (!current || n < current.n) best.set(start, { resourceId: r.id, n });
        }
      });
      return [...best.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, { resourceId }]) => ({
          start: isoUtc(start),
          end: isoUtc(start + durationMs),
          resourceId,
        }));
    },
  };
}

export type Availability = ReturnType<typeof createAvailability>;
