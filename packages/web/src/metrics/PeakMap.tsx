import type { Peaks } from "@switchboard/server/contracts/metrics";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Weekday × hour heat map of the business's own history; peak cells are outlined. */
export function PeakMap({ peaks }: { peaks: Peaks }) {
  const max = Math.max(0, ...peaks.grid.flat());
  const isPeak = new Set(peaks.peaks.map((p) => `${p.weekday}:${p.hour}`));
  return (
    <div className="heatmap-wrap">
      <table className="heatmap" data-testid="peak-map">
        <caption className="muted small">
          average {peaks.kpi} per week, last {peaks.weeks} weeks ({peaks.timeZone})
        </caption>
        <thead>
          <tr>
            <th />
            {Array.from({ length: 24 }, (_, h) => (
              <th key={h} scope="col">
                {h % 3 === 0 ? h : ""}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {peaks.grid.map((row, d) => (
            <tr key={DAYS[d]}>
              <th scope="row">{DAYS[d]}</th>
              {row.map((v, h) => (
                <td
                  key={h}
                  className={isPeak.has(`${d + 1}:${h}`) ? "peak" : undefined}
                  style={{ opacity: max ? 0.08 + (0.92 * v) / max : 0.08 }}
                  title={`${DAYS[d]} ${h}:00 — ${v.toFixed(2)}`}
                />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small" data-testid="peak-list">
        {peaks.peaks.length === 0
          ? "No peak hours yet: they show once there is some history."
          : `Peak hours: ${peaks.peaks
              .slice(0, 3)
              .map((p) => `${DAYS[p.weekday - 1]} ${p.hour}:00`)
              .join(", ")}`}
      </p>
    </div>
  );
}
