import { useConnectionState } from "@switchboard/react";
import { useEffect, useRef, useState } from "react";
import { friendlyError } from "./errors.js";

/** The sentences of a call that failed because the shop could not be reached at the time. */
const WHILE_AWAY = new Set([friendlyError("network"), friendlyError("unavailable")]);

/**
 * A screen's error message that does not outlive the outage that caused it: "We cannot reach the
 * shop right now…" goes once the live connection is back (the screen's data resyncs then), while
 * any other error stays until the next attempt replaces it.
 */
export function useErrorState<T extends string>(): [T | undefined, (error: T | undefined) => void] {
  const [error, setError] = useState<T>();
  const state = useConnectionState();
  const away = useRef(false);
  useEffect(() => {
    if (state !== "connected") {
      away.current = true;
      return;
    }
    if (!away.current) return;
    away.current = false;
    setError((shown) => (shown !== undefined && WHILE_AWAY.has(shown) ? undefined : shown));
  }, [state]);
  return [error, setError];
}
