import { SwitchboardError } from "../../errors.js";
import type { Availability } from "./availability.js";
import { BLOCK_MS, blockOf, datesBetween, windowsOn } from "./calendar.js";
import type { Catalog, LoadedResource } from "./catalog.js";
import type { AppointmentsSettings } from "./config.js";
import type { BestTime } from "./contract.js";
import type { BestTimesQuery } from "./schema.js";

/** How far either side of a slot counts as "around it" when judging how busy it is. */
const AROUND_MS = 60 * 60_000;
/** Days searched when the query gives no `to`. */
const DEFAULT_DAYS = 7;

/** The open and the taken 5-minute blocks of the resources offering a service, over some dates. */
interface Occupancy {
  open: Set<number>;
  taken: Map<number, number>;
}

async function occupancyOf(
  availability: Availability,
  resources: LoadedResource[],
  dates: string[],
): Promise<Map<string, Occupancy>> {
  const byResource = new Map<string, Occupancy>();
  for (const r of resources) {
    const exceptions = new Map([...r.exceptions].map(([d, e]) => [d, e.hours]));
    const open = new Set<number>();
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const date of dates)
      for (const [a, b] of windowsOn(date, r.timeZone, r.hours, exceptions)) {
        for (let block = blockOf(a); block < Math.ceil(b / BLOCK_MS); block++) open.add(block);
        lo = Math.min(lo, blockOf(a));
        hi = Math.max(hi, Math.ceil(b / BLOCK_MS));
      }
    const taken = new Map<number, number>();
    if (open.size > 0)
      for (const [block, c] of await availability.claimsOf(r.id, lo, hi))
        taken.set(block, Math.min(1, c.seats / Math.max(1, c.capacity)));
    byResource.set(r.id, { open, taken });
  }
  return byResource;
}

/**
 * "Best times" for customers: the free slots of a service where the shop is quietest. A slot is
 * scored by the share of the open time around it (an hour either side, on every resource that
 * offers the service; a group class counts by seats) that is already held or booked: a slot in an
 * empty afternoon beats one squeezed into the morning rush, and the customer is spared the wait
 * and the crowd while the busy hours stay for those who need them. Lowest share first, then the
 * earliest; at most one suggestion per resource and hour, so the list offers a real choice.
 */
export function createBestTimes(
  catalog: Catalog,
  availability: Availability,
  settings: AppointmentsSettings,
) {
  return async function bestTimes(query: BestTimesQuery, nowMs = Date.now()): Promise<BestTime[]> {
    const days = Math.min(DEFAULT_DAYS, settings.maxRangeDays);
    const to = query.to ?? shift(query.from, days - 1);
    const slots = await availability.slots(
      {
        service: query.service,
        from: query.from,
        to,
        ...(query.resource && { resource: query.resource }),
      },
      nowMs,
    );
    if (slots.length === 0) return [];
    const service = await catalog.requireService(query.service);
    const resources = query.resource
      ? [await catalog.requireResource(query.resource)]
      : await catalog.offering(service.id);
    const occupancy = await occupancyOf(
      availability,
      resources,
      // a day either side: "around" a slot near midnight reaches into it
      datesBetween(shift(query.from, -1), shift(to, 1)),
    );
    const scored = slots.map((slot) => {
      const from = blockOf(Date.parse(slot.start) - AROUND_MS);
      const until = Math.ceil((Date.parse(slot.end) + AROUND_MS) / BLOCK_MS);
      let open = 0;
      let taken = 0;
      for (const { open: o, taken: t } of occupancy.values())
        for (let block = from; block < until; block++)
          if (o.has(block)) {
            open++;
            taken += t.get(block) ?? 0;
          }
      const busy = open === 0 ? 0 : taken / open;
      return { ...slot, busy: Math.round(busy * 100) / 100 };
    });
    scored.sort((a, b) => a.busy - b.busy || Date.parse(a.start) - Date.parse(b.start));
    const hours = new Set<string>();
    const best: BestTime[] = [];
    for (const s of scored) {
      const hour = `${s.resourceId}|${s.start.slice(0, 13)}`;
      if (hours.has(hour)) continue;
      hours.add(hour);
      best.push(s);
      if (best.length >= query.limit) break;
    }
    return best;
  };
}

/** A calendar date `days` later (or earlier). */
function shift(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new SwitchboardError("bad_request", `bad date ${date}`);
  return new Date(d.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
