import { useChannel } from "@switchboard/react";
import type { ActivityItem, ActivityPage } from "@switchboard/server/contracts/metrics";
import { DASHBOARD_ACTIVITY_CHANNEL } from "@switchboard/server/names/metrics";
import { useCallback, useEffect, useState } from "react";
import { api } from "../app/api.js";
import { useResync } from "../app/live.js";
import { formatTime } from "../components/time.js";

/** Newest first, one line per id (a line may come both from REST and live). */
function merge(a: ActivityItem[], b: ActivityItem[]): ActivityItem[] {
  const byId = new Map<string, ActivityItem>();
  for (const i of [...a, ...b]) byId.set(i.id, i);
  return [...byId.values()].sort((x, y) => (x.id < y.id ? 1 : -1));
}

/**
 * The persisted business feed: the server keeps it (a reload or another device shows the same),
 * new lines arrive on dashboard:activity, older ones page in with "Show more".
 */
export function BusinessFeed({ token }: { token: string | null }) {
  const [items, setItems] = useState<ActivityItem[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const load = useCallback(async () => {
    const page = await api<ActivityPage>(token, "GET", "/api/metrics/activity?limit=20");
    setItems((shown) => merge(shown, page.items));
    setCursor((c) => c ?? page.nextCursor);
  }, [token]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
  const sub = useChannel(DASHBOARD_ACTIVITY_CHANNEL, (m) => {
    setItems((shown) => merge(shown, [m.data as ActivityItem]));
  }).subscription;
  useResync(sub, () => load().catch(() => undefined));
  const more = async () => {
    if (!cursor) return;
    const page = await api<ActivityPage>(
      token,
      "GET",
      `/api/metrics/activity?limit=20&cursor=${encodeURIComponent(cursor)}`,
    );
    setItems((shown) => merge(shown, page.items));
    setCursor(page.nextCursor);
  };
  return (
    <div className="card">
      <h2>Business feed</h2>
      <ul className="feed" aria-live="polite" data-testid="business-feed">
        {items.length === 0 && (
          <li className="muted">Sales, bookings, ratings and alerts appear here.</li>
        )}
        {items.map((i) => (
          <li key={i.id} className={i.kind.startsWith("alert.") ? "feed-alert" : undefined}>
            <span className="muted small">{formatTime(i.at)}</span> {i.title}
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" className="secondary" onClick={() => void more()}>
          Show more
        </button>
      )}
    </div>
  );
}
