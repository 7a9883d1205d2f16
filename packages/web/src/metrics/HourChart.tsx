import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/**
 * Bars per hour (uPlot): `x` bucket starts in seconds, one series per line. Redrawn in place when
 * the data changes; sized to its box.
 */
export function HourChart({
  label,
  x,
  series,
}: {
  label: string;
  x: number[];
  series: { name: string; values: (number | null)[]; color: string }[];
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.name).join("|");

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    plot.current = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: 180,
        legend: { show: true },
        scales: { x: { time: true } },
        axes: [{}, { size: 60 }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.name,
            stroke: s.color,
            fill: `${s.color}55`,
            ...(bars && { paths: bars }),
          })),
        ],
      },
      [[], ...series.map(() => [])],
      el,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // the chart is rebuilt only when its series change, not for new data
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);

  return (
    <figure className="chart" aria-label={label}>
      <div ref={box} />
    </figure>
  );
}
