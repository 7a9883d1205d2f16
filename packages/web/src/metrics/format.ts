import type { Trend } from "@switchboard/server/contracts/metrics";
import { formatWait } from "../components/time.js";

/** Minor units as money in the browser's locale ("€60.00"). */
export function money(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

export const percent = (v: number | null) => (v === null ? "—" : `${Math.round(v * 100)}%`);
export const duration = (ms: number | null) => (ms === null ? "—" : formatWait(ms));
export const stars = (v: number | null) => (v === null ? "—" : `${v.toFixed(1)}★`);

/** "▲ 25%" / "▼ 10%" / "" against the period before; "new" when there was nothing before. */
export function trendText(t: Trend): string {
  if (t.direction === "flat") return "=";
  const arrow = t.direction === "up" ? "▲" : "▼";
  return t.change === null ? `${arrow} new` : `${arrow} ${Math.abs(Math.round(t.change * 100))}%`;
}
