import { DateTime, IANAZone } from "luxon";

export interface QuietHours {
  /** "HH:MM" local time the quiet window starts. */
  start: string;
  /** "HH:MM" local time it ends (before `start`: it spans midnight). */
  end: string;
}

export const isTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/**
 * When a delivery due at `at` may go out for a user with these quiet hours in `zone`: `at`
 * itself outside the window, else the window's end on the local calendar. Luxon does the
 * calendar arithmetic in the zone, so a window across a DST change ends at the wall-clock time
 * the user set (07:00 stays 07:00 local, whatever the UTC offset did overnight); an end that
 * falls into a spring-forward gap moves to the first valid instant after it.
 */
export function quietUntil(at: Date, quiet: QuietHours, zone = "UTC"): Date | undefined {
  const local = DateTime.fromJSDate(at, { zone: isTimeZone(zone) ? zone : "UTC" });
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return undefined; // an empty window
  const nowMin = local.hour * 60 + local.minute;
  const inside = start < end ? nowMin >= start && nowMin < end : nowMin >= start || nowMin < end;
  if (!inside) return undefined;
  const [eh, em] = quiet.end.split(":").map(Number);
  let endAt = local.set({ hour: eh ?? 0, minute: em ?? 0, second: 0, millisecond: 0 });
  if (endAt <= local) endAt = endAt.plus({ days: 1 }).set({ hour: eh ?? 0, minute: em ?? 0 });
  return endAt.toJSDate();
}
