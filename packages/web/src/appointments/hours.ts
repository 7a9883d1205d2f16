import type { DayHours, WeeklyHours } from "@switchboard/server/contracts/appointments";

export const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const WEEKDAY_NAMES: Record<(typeof WEEK)[number], string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

/** One day's hours as staff type them: "09:00-12:00, 13:00-18:00"; empty is closed. */
export function formatHours(spans: DayHours | undefined): string {
  return (spans ?? []).map(([a, b]) => `${a}-${b}`).join(", ");
}

/**
 * Parses what staff typed into day hours, or says what is wrong. The server checks the rest
 * (5-minute grid, overlaps) and answers with a code the form shows.
 */
export function parseHours(text: string): { hours: DayHours } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { hours: [] };
  const hours: DayHours = [];
  for (const part of trimmed.split(",")) {
    const m = /^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$/.exec(part);
    if (!m) return { error: `"${part.trim()}" is not like 09:00-12:00` };
    const pad = (h: string) => h.padStart(2, "0");
    hours.push([`${pad(m[1] as string)}:${m[2]}`, `${pad(m[3] as string)}:${m[4]}`]);
  }
  return { hours };
}

/** The weekly hours of a form (one text per weekday), or the first mistake. */
export function parseWeek(
  texts: Record<(typeof WEEK)[number], string>,
): { hours: WeeklyHours } | { error: string } {
  const hours: WeeklyHours = {};
  for (const day of WEEK) {
    const parsed = parseHours(texts[day]);
    if ("error" in parsed) return { error: `${WEEKDAY_NAMES[day]}: ${parsed.error}` };
    if (parsed.hours.length) hours[day] = parsed.hours;
  }
  return { hours };
}
