/** Times on screen are the resource's wall clock (its time zone), as the shop keeps them. */
export function clock(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(new Date(iso));
}

export function dayLabel(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    timeZone,
  }).format(new Date(iso));
}

/** Today as YYYY-MM-DD in the browser's zone (the default day to look at). */
export function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The UTC bounds that surely contain a local day anywhere (±14 h around its UTC date). */
export function dayBounds(day: string): { from: string; to: string } {
  const start = Date.parse(`${day}T00:00:00Z`);
  return {
    from: new Date(start - 14 * 3600_000).toISOString(),
    to: new Date(start + 38 * 3600_000).toISOString(),
  };
}
