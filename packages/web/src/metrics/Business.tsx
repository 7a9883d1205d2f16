import { useChannel } from "@switchboard/react";
import type { Overview, Peaks, Series } from "@switchboard/server/contracts/metrics";
import {
  DASHBOARD_OVERVIEW_CHANNEL,
  type PeakKpi,
  type Period,
} from "@switchboard/server/names/metrics";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../app/api.js";
import { useResync } from "../app/live.js";
import { AgentTable } from "./AgentTable.js";
import { AlertSettings } from "./AlertSettings.js";
import { BusinessFeed } from "./BusinessFeed.js";
import { HourChart } from "./HourChart.js";
import { PeakMap } from "./PeakMap.js";
import { Tiles } from "./Tiles.js";
import "./metrics.css";

const PERIOD_LABEL: Record<Period, [string, string]> = {
  today: ["Today", "yesterday"],
  "7d": ["7 days", "the 7 before"],
  "30d": ["30 days", "the 30 before"],
};

/** Today's hourly series of revenue (main currency) and bookings, for the charts. */
async function loadHours(token: string | null, o: Overview, currency: string | undefined) {
  const to = new Date(Date.parse(o.from) + 86_400_000).toISOString();
  const q = (kpi: string) =>
    `/api/metrics/series?kpi=${kpi}&step=hour&from=${encodeURIComponent(o.from)}&to=${encodeURIComponent(to)}${kpi === "revenue" && currency ? `&currency=${currency}` : ""}`;
  const [revenue, bookings] = await Promise.all([
    api<Series>(token, "GET", q("revenue")),
    api<Series>(token, "GET", q("bookings")),
  ]);
  return { revenue, bookings };
}

/**
 * The owner's screen: KPI tiles with trends (today live from dashboard:overview, 7 and 30 days
 * over REST, reloaded as changes arrive), revenue and bookings by hour, the peak-hours heat map,
 * the agent table and the persisted feed. Every number comes from the server's rollups of real
 * events; a gap in the live channel reloads over REST.
 */
export function Business({ token }: { token: string | null }) {
  const [period, setPeriod] = useState<Period>("today");
  const [overview, setOverview] = useState<Overview | null>(null);
  const [hours, setHours] = useState<{ revenue: Series; bookings: Series } | null>(null);
  const [peakKpi, setPeakKpi] = useState<PeakKpi>("orders");
  const [peaks, setPeaks] = useState<Peaks | null>(null);
  const [failed, setFailed] = useState(false);
  const periodRef = useRef(period);
  periodRef.current = period;

  const load = useCallback(async () => {
    try {
      const o = await api<Overview>(
        token,
        "GET",
        `/api/metrics/overview?period=${periodRef.current}`,
      );
      if (o.period === periodRef.current) setOverview(o);
      setFailed(false);
    } catch {
      setFailed(true);
    }
  }, [token]);
  useEffect(() => {
    void load();
  }, [load, period]);
  useEffect(() => {
    void api<Peaks>(token, "GET", `/api/metrics/peaks?kpi=${peakKpi}&weeks=4`)
      .then(setPeaks)
      .catch(() => undefined);
  }, [token, peakKpi]);

  // today's overview arrives live; another period reloads (at most once a second)
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const sub = useChannel(DASHBOARD_OVERVIEW_CHANNEL, (m) => {
    const o = m.data as Overview;
    if (periodRef.current === "today") {
      setOverview((shown) =>
        shown && shown.period === "today" && shown.computedAt > o.computedAt ? shown : o,
      );
    } else if (!pending.current)
      pending.current = setTimeout(() => {
        pending.current = undefined;
        void load();
      }, 1000);
  }).subscription;
  useResync(sub, load);
  useEffect(() => () => clearTimeout(pending.current), []);

  // the charts follow today's figures (at most every 2 s)
  const currency = overview?.revenue[0]?.currency;
  const chartKey = overview?.period === "today" ? `${overview.from}|${currency}` : null;
  const lastChart = useRef(0);
  useEffect(() => {
    if (overview?.period !== "today") return;
    const wait = Math.max(0, lastChart.current + 2000 - Date.now());
    const t = setTimeout(() => {
      lastChart.current = Date.now();
      void loadHours(token, overview, currency)
        .then(setHours)
        .catch(() => undefined);
    }, wait);
    return () => clearTimeout(t);
  }, [chartKey, overview?.computedAt, token]);

  const chart = useMemo(() => {
    if (!hours) return null;
    return {
      x: hours.revenue.points.map((p) => Date.parse(p.at) / 1000),
      revenue: [
        {
          name: `revenue (${hours.revenue.dim})`,
          values: hours.revenue.points.map((p) => (p.value ?? 0) / 100),
          color: "#2f6fed",
        },
      ],
      bookings: [
        { name: "bookings", values: hours.bookings.points.map((p) => p.value), color: "#137a4b" },
      ],
    };
  }, [hours]);

  return (
    <section className="business" aria-labelledby="business-heading">
      <div className="business-head">
        <h2 id="business-heading">Business</h2>
        <fieldset className="segmented">
          <legend className="sr-only">Period</legend>
          {(Object.keys(PERIOD_LABEL) as Period[]).map((p) => (
            <label key={p}>
              <input
                type="radio"
                name="period"
                value={p}
                checked={period === p}
                onChange={() => setPeriod(p)}
              />
              {PERIOD_LABEL[p][0]}
            </label>
          ))}
        </fieldset>
        {overview && <span className="muted small">{overview.timeZone}</span>}
      </div>
      {failed && !overview && (
        <p className="error" role="alert">
          The figures could not be loaded.
        </p>
      )}
      {overview && overview.period === period && (
        <Tiles overview={overview} previousLabel={PERIOD_LABEL[period][1]} />
      )}
      <div className="grid-2">
        <div className="card">
          <h2>Today by hour</h2>
          {chart ? (
            <>
              <HourChart label="Revenue by hour today" x={chart.x} series={chart.revenue} />
              <HourChart label="Bookings by hour today" x={chart.x} series={chart.bookings} />
            </>
          ) : (
            <p className="muted">Loading…</p>
          )}
        </div>
        <div className="card">
          <h2>Peak hours</h2>
          <label className="small">
            Show{" "}
            <select value={peakKpi} onChange={(e) => setPeakKpi(e.target.value as PeakKpi)}>
              <option value="orders">orders</option>
              <option value="bookings">bookings</option>
              <option value="sales">sales</option>
              <option value="revenue">revenue</option>
              <option value="chats">chats</option>
            </select>
          </label>
          {peaks && <PeakMap peaks={peaks} />}
        </div>
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Agents</h2>
          {overview && <AgentTable agents={overview.agents} />}
        </div>
        <BusinessFeed token={token} />
      </div>
      <AlertSettings
        token={token}
        currency={overview?.revenue[0]?.currency ?? "the goal's currency"}
      />
    </section>
  );
}
