import { useEffect, useState } from "react";

/**
 * A feed (alerts, activity) that survives a reload of the tab: kept in sessionStorage under
 * `key`, at most `max` entries, newest first. Per tab, like the session.
 */
export function useKeptFeed<T>(key: string, max: number): [T[], (add: (feed: T[]) => T[]) => void] {
  const [feed, setFeed] = useState<T[]>(() => {
    try {
      const kept = JSON.parse(sessionStorage.getItem(key) ?? "[]") as unknown;
      return Array.isArray(kept) ? (kept.slice(0, max) as T[]) : [];
    } catch {
      return [];
    }
  });
  useEffect(() => {
    try {
      sessionStorage.setItem(key, JSON.stringify(feed.slice(0, max)));
    } catch {
      // storage full or off: the feed still works for this page
    }
  }, [key, feed, max]);
  return [feed, (add) => setFeed((f) => add(f).slice(0, max))];
}
