import { DateTime } from "luxon";
import type { Step } from "./names.js";

/**
 * Calendar arithmetic of the rollups, all in the business's zone through Luxon (DST included):
 * a bucket is named by the UTC instant it starts, so stored keys compare as text and a series
 * reads the same whatever zone the reader is in.
 */

const GRAINS: readonly Step[] = ["day", "hour", "minute"];

/** Since 1980 every zone's offset is whole minutes: one minute's instants share their buckets. */
const WHOLE_MINUTE_OFFSETS_FROM = Date.UTC(1980, 0, 1);
const MEMO_SIZE = 4096;
const memo = new Map<string, number>();

/**
 * The start of the minute, hour or (local) day `ms` falls in. Hours and days are remembered per
 * minute: every event's three rollup grains ask for the same few minutes, and Luxon is among the
 * handler's costliest steps.
 */
export function bucketStart(ms: number, grain: Step, zone: string): number {
  const minute = Math.floor(ms / 60_000) * 60_000;
  if (grain === "minute") return minute;
  if (ms < WHOLE_MINUTE_OFFSETS_FROM)
    return DateTime.fromMillis(ms, { zone }).startOf(grain).toMillis();
  const key = `${zone}\u0000${grain}\u0000${minute}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const start = DateTime.fromMillis(minute, { zone }).startOf(grain).toMillis();
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(key, start);
  return start;
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucket(start: number, grain: Step, zone: string): number {
  if (grain === "minute") return start + 60_000;
  return DateTime.fromMillis(start, { zone })
    .plus({ [`${grain}s`]: 1 })
    .startOf(grain)
    .toMillis();
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A part of a range read from one grain: its buckets starting in [from, to). */
export interface Segment {
  grain: Step;
  from: number;
  to: number;
}

/**
 * Covers [from, to) with the fewest buckets: whole local days from the day rollups, the hours
 * left at the edges from the hour rollups, the minutes left from the minute rollups. So a sum
 * over 30 days reads about 30 + 48 + 120 rows, not 43,200.
 */
export function segments(from: number, to: number, zone: string, level = 0): Segment[] {
  if (to <= from) return [];
  const grain = GRAINS[level] as Step;
  if (grain === "minute") return [{ grain, from, to }];
  let first = bucketStart(from, grain, zone);
  if (first < from) first = nextBucket(first, grain, zone);
  const last = bucketStart(to, grain, zone);
  if (first >= last) return segments(from, to, zone, level + 1);
  return [
    ...segments(from, first, zone, level + 1),
    { grain, from: first, to: last },
    ...segments(last, to, zone, level + 1),
  ];
}

/** Every bucket start of `step` in [from, to) (a series' x axis). */
export function bucketsBetween(from: number, to: number, step: Step, zone: string): number[] {
  const out: number[] = [];
  let at = bucketStart(from, step, zone);
  if (at < from) at = nextBucket(at, step, zone);
  for (; at < to; at = nextBucket(at, step, zone)) out.push(at);
  return out;
}

/** The local start of the day `days` before the day of `ms` (0: today's midnight). */
export function dayStartBefore(ms: number, days: number, zone: string): number {
  return DateTime.fromMillis(ms, { zone }).startOf("day").minus({ days }).toMillis();
}

/** The same wall-clock moment `days` local days earlier (DST-safe). */
export function daysEarlier(ms: number, days: number, zone: string): number {
  return DateTime.fromMillis(ms, { zone }).minus({ days }).toMillis();
}

/** Local weekday (1 Monday … 7 Sunday) and hour of an instant. */
export function weekdayHour(ms: number, zone: string): { weekday: number; hour: number } {
  const d = DateTime.fromMillis(ms, { zone });
  return { weekday: d.weekday, hour: d.hour };
}
