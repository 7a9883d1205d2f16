import { DateTime } from "luxon";
import type { BusinessFacts, DayFigures } from "./facts.js";
import { namedDay } from "./words.js";

/** A number the coach quotes, and where it came from (shown as a source). */
export interface Figure {
  kind: "figure";
  title: string;
  /** The table or module it was read from. */
  file: string;
  value: number | string;
  score: number;
}

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const DAY_MS = 86_400_000;
export const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);
/** The business's date at an instant (its time zone's calendar day, DST included). */
export const localDay = (at: Date, timeZone: string) =>
  DateTime.fromJSDate(at, { zone: timeZone }).toISODate() ?? isoDay(at.getTime());
const weekdayName = (date: string) => {
  const name = WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? "";
  return name.charAt(0).toUpperCase() + name.slice(1);
};
export const dayLabel = (date: string) => `${weekdayName(date)} ${date}`;

/**
 * The day a question names (a weekday: its latest on or before today; today; yesterday), as a
 * date of the business's calendar: "today" at 01:00 in Berlin is already the next day there.
 */
export function dayOf(question: string, asOf: Date, timeZone = "UTC"): string | undefined {
  const named = namedDay(question);
  if (!named) return undefined;
  // the local date, as midnight UTC of that date: plain calendar arithmetic from here
  const today = Date.parse(`${localDay(asOf, timeZone)}T00:00:00Z`);
  if (named.kind === "yesterday") return isoDay(today - DAY_MS);
  if (named.kind === "today") return isoDay(today);
  const back = (new Date(today).getUTCDay() - named.day + 7) % 7;
  return isoDay(today - back * DAY_MS);
}

export const weekBefore = (date: string) => isoDay(Date.parse(`${date}T00:00:00Z`) - 7 * DAY_MS);
export const daysBack = (date: string, n: number) =>
  isoDay(Date.parse(`${date}T00:00:00Z`) - n * DAY_MS);

function change(now: number, before: number): string {
  if (now === before) return "the same";
  const diff = now - before;
  const pct = before > 0 ? ` (${diff > 0 ? "+" : ""}${Math.round((diff / before) * 100)}%)` : "";
  return `${diff > 0 ? "+" : ""}${diff}${pct}`;
}

const LINES: [keyof DayFigures, string, string][] = [
  ["bookings", "bookings", "appointments"],
  ["noShows", "no-shows", "appointments"],
  ["ordersCreated", "new orders", "orders"],
  ["unitsSold", "units sold", "inventory"],
];

/** A day against the same weekday a week before, each number a source. */
export async function compareDays(
  facts: BusinessFacts,
  date: string,
): Promise<{ text: string; figures: Figure[]; empty: boolean }> {
  const before = weekBefore(date);
  const [a, b] = await Promise.all([facts.day(date), facts.day(before)]);
  const figures: Figure[] = [];
  const lines: string[] = [];
  for (const [key, label, file] of LINES) {
    const now = Number(a[key]);
    const then = Number(b[key]);
    figures.push(
      { kind: "figure", title: `${label} on ${dayLabel(date)}`, file, value: now, score: 1 },
      { kind: "figure", title: `${label} on ${dayLabel(before)}`, file, value: then, score: 1 },
    );
    lines.push(`- ${label}: ${now} vs ${then} (${change(now, then)})`);
  }
  const empty = LINES.every(([k]) => Number(a[k]) === 0 && Number(b[k]) === 0);
  return {
    text: `${dayLabel(date)} compared with ${dayLabel(before)}:\n${lines.join("\n")}`,
    figures,
    empty,
  };
}

/** Quiet and busy hours over the four weeks up to a day. */
export async function hourProfile(
  facts: BusinessFacts,
  to: string,
): Promise<{ text: string; figures: Figure[]; empty: boolean }> {
  const from = daysBack(to, 27);
  const hours = await facts.bookingsByHour(from, to);
  const open = hours.map((n, h) => ({ h, n })).filter((x) => x.n > 0);
  if (open.length === 0)
    return {
      text: `There are no bookings between ${from} and ${to}, so I cannot tell quiet hours from busy ones.`,
      figures: [],
      empty: true,
    };
  const first = open[0]?.h ?? 0;
  const last = open[open.length - 1]?.h ?? 23;
  const span = hours.map((n, h) => ({ h, n })).filter((x) => x.h >= first && x.h <= last);
  const quiet = [...span].sort((x, y) => x.n - y.n || x.h - y.h).slice(0, 3);
  const busy = [...span].sort((x, y) => y.n - x.n || x.h - y.h).slice(0, 2);
  const at = (h: number) => `${String(h).padStart(2, "0")}:00`;
  const figures: Figure[] = span.map((x) => ({
    kind: "figure",
    title: `bookings starting ${at(x.h)}–${at(x.h + 1)}, ${from} to ${to}`,
    file: "appointments",
    value: x.n,
    score: 1,
  }));
  const list = (xs: { h: number; n: number }[]) =>
    xs.map((x) => `${at(x.h)} (${x.n} bookings)`).join(", ");
  return {
    text: `From ${from} to ${to} (bookings by starting hour, ${at(first)}–${at(last + 1)}): the quietest hours are ${list(quiet)}; the busiest are ${list(busy)}. Quiet hours are where a discount can fill chairs without turning away full-price customers.`,
    figures,
    empty: false,
  };
}
