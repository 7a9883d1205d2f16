import type { HistoryEntry } from "@switchboard/server/contracts/pricing";
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatPrice } from "./money.js";

/**
 * An item's price over time, as steps (a price holds until the next change), drawn by uPlot.
 * Amounts stay integer minor units; only the axis labels turn them into money text.
 */
export function PriceChart({
  history,
  currency,
  current,
}: {
  history: HistoryEntry[];
  currency: string;
  current: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const points = [...history].filter((h) => h.currency === currency).reverse();
    const xs = points.map((p) => Date.parse(p.at) / 1000);
    const ys = points.map((p) => p.amount);
    // the current price holds until now
    xs.push(Date.now() / 1000);
    ys.push(current);
    const chart = new uPlot(
      {
        width: Math.max(260, Math.min(560, el.clientWidth || 480)),
        height: 180,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          {},
          {
            size: 80,
            values: (_u, ticks) => ticks.map((t) => formatPrice(Math.round(t), currency)),
          },
        ],
        series: [
          {},
          {
            label: "Price",
            stroke: "#2563eb",
            width: 2,
            fill: "rgba(37, 99, 235, 0.08)",
            paths: uPlot.paths.stepped?.({ align: 1 }),
            points: { show: points.length < 40 },
          },
        ],
      },
      [xs, ys],
      el,
    );
    return () => chart.destroy();
  }, [history, currency, current]);
  return (
    <figure className="price-chart">
      <div ref={box} data-testid="price-chart" role="img" aria-label="Price history chart" />
      <figcaption className="muted small">Price history</figcaption>
    </figure>
  );
}
