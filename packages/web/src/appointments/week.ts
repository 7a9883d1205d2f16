import type { Appointment, Resource } from "@switchboard/server/contracts/appointments";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** The Monday-to-Sunday dates (YYYY-MM-DD) of the week holding `day`. */
export function weekOf(day: string): string[] {
  const d = new Date(`${day}T12:00:00Z`);
  const monday = d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000;
  return Array.from({ length: 7 }, (_, i) =>
    new Date(monday + i * 86_400_000).toISOString().slice(0, 10),
  );
}

/** The same date a week earlier or later. */
export function shiftWeek(day: string, weeks: number): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + weeks * 7 * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

const minutesOf = (clock: string) => {
  const [h, m] = clock.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/**
 * Minutes a resource is open on a date: its exception that day, else its weekday's hours
 * (wall-clock minutes: a DST day's 09:00–18:00 is still nine hours of work).
 */
export function openMinutes(resource: Resource, date: string): number {
  const exception = resource.exceptions.find((e) => e.date === date);
  const weekday = WEEKDAYS[(new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7];
  const spans = exception ? exception.hours : weekday ? (resource.hours[weekday] ?? []) : [];
  return spans.reduce((sum, [from, to]) => sum + minutesOf(to) - minutesOf(from), 0);
}

const TAKEN = new Set(["held", "confirmed", "checked_in", "no_show"]);

/** Booked minutes ÷ open minutes of a day, 0–100 (null when closed). */
export function utilization(
  resource: Resource,
  date: string,
  appointments: readonly Appointment[],
): number | null {
  const open = openMinutes(resource, date);
  if (open === 0) return null;
  const booked = appointments
    .filter((a) => a.resourceId === resource.id && a.day === date && TAKEN.has(a.status))
    .reduce((sum, a) => sum + (Date.parse(a.end) - Date.parse(a.start)) / 60_000, 0);
  return Math.min(100, Math.round((booked / open) * 100));
}
