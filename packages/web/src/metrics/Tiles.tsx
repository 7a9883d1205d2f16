import type { Overview, Trend } from "@switchboard/server/contracts/metrics";
import { Link } from "../app/router.js";
import { duration, money, percent, stars, trendText } from "./format.js";

interface Tile {
  id: string;
  label: string;
  value: string;
  trend: Trend;
  /** Up is good (revenue) or bad (waits): colours the arrow. */
  upIsGood: boolean;
  /** The figure itself calls for attention. */
  warn: boolean;
  /** The list behind the number. */
  href: string;
}

function tilesOf(o: Overview): Tile[] {
  const revenue = o.revenue[0];
  const noTrend: Trend = { value: 0, previous: 0, change: null, direction: "flat" };
  return [
    {
      id: "revenue",
      label:
        revenue && o.revenue.length > 1
          ? `revenue (+${o.revenue.length - 1} currencies)`
          : "revenue",
      value: revenue ? money(revenue.value ?? 0, revenue.currency) : "—",
      trend: revenue ?? noTrend,
      upIsGood: true,
      warn: false,
      href: "/console/inventory",
    },
    {
      id: "orders",
      label: "orders",
      value: String(o.orders.value ?? 0),
      trend: o.orders,
      upIsGood: true,
      warn: false,
      href: "/console/orders",
    },
    {
      id: "bookings",
      label: "bookings",
      value: String(o.bookings.value ?? 0),
      trend: o.bookings,
      upIsGood: true,
      warn: false,
      href: "/console/appointments",
    },
    {
      id: "satisfaction",
      label: `satisfaction (${o.satisfaction.count})`,
      value: stars(o.satisfaction.value),
      trend: o.satisfaction,
      upIsGood: true,
      warn: o.satisfaction.value !== null && o.satisfaction.value < 3.5,
      href: "/console/inbox",
    },
    {
      id: "utilization",
      label: "utilization",
      value: percent(o.utilization.value),
      trend: o.utilization,
      upIsGood: true,
      warn: false,
      href: "/console/appointments",
    },
    {
      id: "wait",
      label: "average chat wait",
      value: duration(o.avgWaitMs.value),
      trend: o.avgWaitMs,
      upIsGood: false,
      warn: (o.avgWaitMs.value ?? 0) > 120_000,
      href: "/console/inbox",
    },
    {
      id: "longest-wait",
      label: "longest chat wait",
      value: duration(o.longestWaitMs.value),
      trend: o.longestWaitMs,
      upIsGood: false,
      warn: (o.longestWaitMs.value ?? 0) > 600_000,
      href: "/console/inbox",
    },
    {
      id: "lateness",
      label: `appointment lateness (longest ${duration(o.longestLatenessMs.value)})`,
      value: duration(o.avgLatenessMs.value),
      trend: o.avgLatenessMs,
      upIsGood: false,
      warn: (o.avgLatenessMs.value ?? 0) > 600_000,
      href: "/console/appointments",
    },
    {
      id: "first-response",
      label: "first response",
      value: duration(o.firstResponseMs.value),
      trend: o.firstResponseMs,
      upIsGood: false,
      warn: (o.firstResponseMs.value ?? 0) > 300_000,
      href: "/console/inbox",
    },
    {
      id: "resolution",
      label: "resolution time",
      value: duration(o.resolutionMs.value),
      trend: o.resolutionMs,
      upIsGood: false,
      warn: false,
      href: "/console/inbox",
    },
    {
      id: "customers",
      label: "active customers",
      value: String(o.activeCustomers.value ?? 0),
      trend: o.activeCustomers,
      upIsGood: true,
      warn: false,
      href: "/console/orders",
    },
    {
      id: "viewers",
      label: `viewers → reservations (${o.reservations.value ?? 0}/${o.viewers.value ?? 0})`,
      value: String(o.viewers.value ?? 0),
      trend: o.viewers,
      upIsGood: true,
      warn: false,
      href: "/console/catalog",
    },
    {
      id: "conversion",
      label: `reservations → sales (${o.sales.value ?? 0}/${o.reservations.value ?? 0})`,
      value: percent(o.conversion.value),
      trend: o.conversion,
      upIsGood: true,
      warn: false,
      href: "/console/inventory",
    },
  ];
}

/** The owner's KPI tiles: value, trend arrow against the period before, link to the list behind. */
export function Tiles({ overview, previousLabel }: { overview: Overview; previousLabel: string }) {
  return (
    <div className="kpis">
      {tilesOf(overview).map((t) => {
        const good =
          t.trend.direction === "flat"
            ? "flat"
            : (t.trend.direction === "up") === t.upIsGood
              ? "good"
              : "bad";
        return (
          <Link key={t.id} href={t.href} className={`kpi kpi-link${t.warn ? " kpi-warn" : ""}`}>
            <span className="kpi-value" data-testid={`biz-${t.id}`}>
              {t.value}
            </span>
            <span className="kpi-label">{t.label}</span>
            <span
              className={`kpi-trend trend-${good}`}
              data-testid={`trend-${t.id}`}
              title={`${previousLabel}: ${t.trend.previous ?? "—"}`}
            >
              {trendText(t.trend)} <span className="muted small">vs {previousLabel}</span>
            </span>
          </Link>
        );
      })}
    </div>
  );
}
