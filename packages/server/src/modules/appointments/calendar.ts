import { DateTime, IANAZone } from "luxon";
import { type DayHours, WEEKDAYS, type WeeklyHours } from "./contract.js";

/**
 * Calendar arithmetic of the module, all of it through Luxon (IANA zones, DST): working hours are
 * wall-clock times in the resource's zone, everything stored is UTC. Nothing here touches the
 * database.
 */

/** Claims are made in 5-minute blocks of absolute time (hours and durations are on that grid). */
export const BLOCK_MS = 5 * 60_000;
export const blockOf = (ms: number): number => Math.floor(ms / BLOCK_MS);

export const isValidZone = (zone: string): boolean => IANAZone.isValidZone(zone);

export const isoUtc = (ms: number): string => new Date(ms).toISOString();

/** A YYYY-MM-DD that is a real calendar date. */
export function isCalendarDate(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && DateTime.fromISO(date, { zone: "utc" }).isValid;
}

const days = new Map<string, string>();

/**
 * The day (YYYY-MM-DD) an instant falls on in a zone. Remembered (bounded): every hold asks it
 * for the same few starts, and Luxon's zone arithmetic was a visible share of a hold's CPU.
 */
export function dayIn(ms: number, zone: string): string {
  const key = `${zone}|${ms}`;
  let day = days.get(key);
  if (day === undefined) {
    day = DateTime.fromMillis(ms, { zone }).toISODate() as string;
    if (days.size >= 20_000) days.clear();
    days.set(key, day);
  }
  return day;
}

/** Dates from `from` to `to` inclusive (calendar dates, zone-free). */
export function datesBetween(from: string, to: string): string[] {
  const first = DateTime.fromISO(from, { zone: "utc" });
  const days = Math.round(DateTime.fromISO(to, { zone: "utc" }).diff(first, "days").days);
  return Array.from({ length: days + 1 }, (_, i) => first.plus({ days: i }).toISODate() as string);
}

export function daysBetween(from: string, to: string): number {
  return Math.round(
    DateTime.fromISO(to, { zone: "utc" }).diff(DateTime.fromISO(from, { zone: "utc" }), "days")
      .days,
  );
}

/**
 * A wall-clock time of a date in a zone, as an instant. "24:00" is the next day's midnight. A
 * time that does not exist (inside a spring-forward gap) moves forward by the gap, as Luxon does.
 */
function instant(date: string, clock: string, zone: string): number {
  if (clock === "24:00")
    return DateTime.fromISO(date, { zone }).plus({ days: 1 }).startOf("day").toMillis();
  return DateTime.fromISO(`${date}T${clock}`, { zone }).toMillis();
}

/** The hours that apply on a date: its exception if it has one, else its weekday's. */
export function hoursOn(
  date: string,
  zone: string,
  weekly: WeeklyHours,
  exceptions: ReadonlyMap<string, DayHours>,
): DayHours {
  const exception = exceptions.get(date);
  if (exception) return exception;
  const weekday = WEEKDAYS[
    DateTime.fromISO(date, { zone }).weekday - 1
  ] as (typeof WEEKDAYS)[number];
  return weekly[weekday] ?? [];
}

/** Working windows of a date as absolute [start, end) milliseconds. */
export function windowsOn(
  date: string,
  zone: string,
  weekly: WeeklyHours,
  exceptions: ReadonlyMap<string, DayHours>,
): [number, number][] {
  return hoursOn(date, zone, weekly, exceptions)
    .map(([from, to]): [number, number] => [instant(date, from, zone), instant(date, to, zone)])
    .filter(([a, b]) => b > a);
}

export interface SlotShape {
  durationMs: number;
  bufferBeforeMs: number;
  bufferAfterMs: number;
  stepMs: number;
}

/** Slot starts inside the windows: every step from each window's start while the service fits. */
export function slotStarts(windows: [number, number][], shape: SlotShape): number[] {
  const starts: number[] = [];
  for (const [a, b] of windows)
    for (let t = a; t + shape.durationMs <= b; t += shape.stepMs) starts.push(t);
  return starts;
}

/** The blocks a booking at `start` claims: its time and its buffers. */
export function claimRange(start: number, shape: Omit<SlotShape, "stepMs">): [number, number] {
  return [
    blockOf(start - shape.bufferBeforeMs),
    Math.ceil((start + shape.durationMs + shape.bufferAfterMs) / BLOCK_MS),
  ];
}

/** What a claimed block holds (see AppointmentClaimRow). */
export interface BlockClaim {
  session: string;
  seats: number;
  capacity: number;
}

/** Whether a sitting could claim every block of [from, to): free, or its own with a seat left. */
export function claimable(
  claims: ReadonlyMap<number, BlockClaim>,
  [from, to]: [number, number],
  session: string,
): boolean {
  for (let b = from; b < to; b++) {
    const c = claims.get(b);
    if (c && (c.session !== session || c.seats >= c.capacity)) return false;
  }
  return true;
}

/** Bookings of one service at one start share a sitting (the seats of a group class). */
export const sessionOf = (serviceId: string, start: number): string =>
  `${serviceId}@${isoUtc(start)}`;
