import type { Subscription } from "@switchboard/client";
import { useCallback, useEffect, useMemo, useRef } from "react";

/**
 * Keeps a view built from a REST snapshot plus a channel's events whole. The snapshot is fetched
 * again when the subscription becomes active without recovering (the first subscribe: a change
 * made between the page's first fetch and the subscription would otherwise never show; or a
 * resubscribe that could not recover) and on a `gap`. After a reconnect that recovered, the
 * missed events simply arrive. Calls close together run `load` once.
 */
export function useResync(subscription: Subscription | undefined, load: () => unknown): void {
  const latest = useRef(load);
  useEffect(() => {
    latest.current = load;
  });
  useEffect(() => {
    if (!subscription) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const resync = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void latest.current(), 20);
    };
    if (subscription.status === "subscribed") resync();
    const offs = [
      subscription.on("subscribed", (s) => {
        if (!s.recovered) resync();
      }),
      subscription.on("gap", resync),
    ];
    return () => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
  }, [subscription]);
}

/**
 * A stable function that runs `fn` once for calls arriving within `ms` of each other: a list
 * whose rows each ask for a reload (one subscription per row) reloads once.
 */
export function useCoalesced(fn: () => unknown, ms = 50): () => void {
  const latest = useRef(fn);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    latest.current = fn;
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void latest.current(), ms);
  }, [ms]);
}

/**
 * A freshly fetched list, except where the list on screen already holds a newer version of a
 * row (an event that arrived while the fetch was in flight): views never step back. Rows the
 * fetch does not have are kept when `arrivedDuringFetch` says an event brought them after the
 * fetch started (a new order announced while an older snapshot was on its way).
 */
export function newestRows<T extends { version: number }>(
  shown: readonly T[] | undefined,
  fetched: T[],
  key: (row: T) => string,
  arrivedDuringFetch: (key: string) => boolean = () => false,
): T[] {
  if (!shown?.length) return fetched;
  const byKey = new Map(shown.map((row) => [key(row), row]));
  const merged = fetched.map((row) => {
    const current = byKey.get(key(row));
    return current && current.version > row.version ? current : row;
  });
  const fetchedKeys = new Set(fetched.map(key));
  const arrived = shown.filter((row) => !fetchedKeys.has(key(row)) && arrivedDuringFetch(key(row)));
  return arrived.length ? [...arrived, ...merged] : merged;
}

/**
 * The list with one row an event brought: it replaces the row with the same key when it is
 * newer (a late event never steps a row back), or joins the list where `add` puts it (on top
 * unless said otherwise).
 */
export function withNewerRow<T extends { version: number }>(
  rows: T[] | undefined,
  row: T,
  key: (row: T) => string,
  add: (rows: T[], row: T) => T[] = (list, r) => [r, ...list],
): T[] {
  const list = rows ?? [];
  const at = list.findIndex((r) => key(r) === key(row));
  if (at === -1) return add(list, row);
  if ((list[at] as T).version >= row.version) return list;
  const next = list.slice();
  next[at] = row;
  return next;
}

/**
 * When each row last came by event (this page's clock), so that a snapshot fetched before it
 * does not drop it: `mark` on every event, `since(startedAt)` for `newestRows`.
 */
export function useArrivals(): {
  mark: (key: string) => void;
  since: (startedAt: number) => (key: string) => boolean;
} {
  const seen = useRef(new Map<string, number>());
  return useMemo(
    () => ({
      mark: (key: string) => void seen.current.set(key, performance.now()),
      since: (startedAt: number) => (key: string) =>
        (seen.current.get(key) ?? Number.NEGATIVE_INFINITY) >= startedAt,
    }),
    [],
  );
}
