import { useConnectionState } from "@switchboard/react";

/** Always visible: the socket's state in words a tester (and a user) can read. */
export function ConnectionBadge() {
  const state = useConnectionState();
  const shown = state === "closed" ? "disconnected" : state;
  return (
    <span
      className={`badge badge-${shown}`}
      role="status"
      aria-live="polite"
      title="Live connection"
    >
      <span className="dot" aria-hidden="true" />
      <span data-testid="connection-state">{shown}</span>
    </span>
  );
}
