import type { Kysely } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import { bucketsBetween, dayStartBefore, iso, weekdayHour } from "./buckets.js";
import type { Peaks, Series } from "./contract.js";
import type { PeakKpi, SeriesKpi, Step } from "./names.js";

/** Most points one series answers (a year of days, two days of minutes, …). */
export const MAX_POINTS = 1500;

/** KPIs whose bucket value is an average (sum ÷ count), not a sum. */
const AVERAGED = new Set<SeriesKpi>([
  "satisfaction",
  "wait",
  "first_response",
  "resolution",
  "lateness",
]);

export interface SeriesInput {
  kpi: SeriesKpi;
  from: number;
  to: number;
  step: Step;
  /** A currency for revenue, `agent:{id}` for chat KPIs, "" for the total. */
  dim: string;
  timeZone: string;
}

/**
 * One KPI per bucket over [from, to), every bucket present (0 — or null for an average with
 * nothing to average — where nothing happened), read from the rollups of that step.
 */
export async function computeSeries(db: Kysely<Database>, input: SeriesInput): Promise<Series> {
  const { kpi, from, to, step, dim, timeZone } = input;
  if (to <= from) throw new SwitchboardError("invalid_series_range", "`to` must be after `from`");
  // refuse before listing the buckets: a wide range of minutes must cost nothing
  const roughly = (to - from) / { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[step];
  if (roughly > MAX_POINTS + 2)
    throw new SwitchboardError(
      "invalid_series_range",
      `about ${Math.round(roughly)} points of one ${step} is more than ${MAX_POINTS}: use a longer step or a shorter range`,
      { details: { points: Math.round(roughly), max: MAX_POINTS } },
    );
  const starts = bucketsBetween(from, to, step, timeZone);
  if (starts.length > MAX_POINTS)
    throw new SwitchboardError(
      "invalid_series_range",
      `${starts.length} points of one ${step} is more than ${MAX_POINTS}: use a longer step or a shorter range`,
      { details: { points: starts.length, max: MAX_POINTS } },
    );
  const rows =
    starts.length === 0
      ? []
      : await db
          .selectFrom("metrics_rollups")
          .select(["bucket", "sum_value", "count"])
          .where("grain", "=", step)
          .where("kpi", "=", kpi)
          .where("dim", "=", dim)
          .where("bucket", ">=", iso(starts[0] as number))
          .where("bucket", "<", iso(to))
          .execute();
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return {
    kpi,
    step,
    timeZone,
    dim,
    points: starts.map((at) => {
      const r = byBucket.get(iso(at));
      const sum = Number(r?.sum_value ?? 0);
      const count = Number(r?.count ?? 0);
      return { at: iso(at), value: AVERAGED.has(kpi) ? (count ? sum / count : null) : sum };
    }),
  };
}

/**
 * Peak hours from the business's own history: the hour rollups of the last `weeks` whole weeks
 * (today excluded: it is not over), summed per local weekday × hour and divided by the weeks.
 * Peaks are the cells above the mean + one standard deviation of the non-empty cells.
 */
export async function computePeaks(
  db: Kysely<Database>,
  {
    kpi,
    weeks,
    timeZone,
    dim = "",
    now = Date.now(),
  }: { kpi: PeakKpi; weeks: number; timeZone: string; dim?: string; now?: number },
): Promise<Peaks> {
  const to = dayStartBefore(now, 0, timeZone);
  const from = dayStartBefore(now, weeks * 7, timeZone);
  const rows = await db
    .selectFrom("metrics_rollups")
    .select(["bucket", "sum_value"])
    .where("grain", "=", "hour")
    .where("kpi", "=", kpi)
    .where("dim", "=", dim)
    .where("bucket", ">=", iso(from))
    .where("bucket", "<", iso(to))
    .execute();
  const grid = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const r of rows) {
    const { weekday, hour } = weekdayHour(Date.parse(r.bucket), timeZone);
    (grid[weekday - 1] as number[])[hour] =
      ((grid[weekday - 1] as number[])[hour] ?? 0) + Number(r.sum_value) / weeks;
  }
  const cells = grid.flatMap((row, d) =>
    row.map((value, hour) => ({ weekday: d + 1, hour, value })),
  );
  const busy = cells.filter((c) => c.value > 0);
  const mean = busy.reduce((s, c) => s + c.value, 0) / Math.max(1, busy.length);
  const sd = Math.sqrt(
    busy.reduce((s, c) => s + (c.value - mean) ** 2, 0) / Math.max(1, busy.length),
  );
  const peaks = busy
    .filter((c) => c.value > mean + sd)
    .sort((a, b) => b.value - a.value || a.weekday - b.weekday || a.hour - b.hour)
    .slice(0, 10);
  return { kpi, timeZone, weeks, grid, peaks };
}
