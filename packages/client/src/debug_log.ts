/** What a debug log entry is about. */
export type LogKind =
  /** The connection state changed. */
  | "state"
  /** A frame was received (`data.frame`). */
  | "in"
  /** A frame was sent (`data.frame`); tokens are redacted. */
  | "out"
  /** Why a socket ended, and whether, when and why the SDK tries again. */
  | "reconnect"
  /** `close()`: what it waits for, and how it ended. */
  | "close"
  /** Which transport a socket uses (WebSocket or the HTTP fallback), and why it changed. */
  | "transport";

export interface LogEntry {
  kind: LogKind;
  /** One readable line, e.g. `socket closed (1012 server restarting): reconnect in 180 ms`. */
  message: string;
  data?: Record<string, unknown>;
}

/** Receives every debug entry; pass one as the `logger` option to route them to your own logs. */
export type Logger = (entry: LogEntry) => void;

/** `debug: true` without a `logger`: the browser console at debug level (stdout in Node). */
export const consoleLogger: Logger = (entry) => {
  if (entry.data === undefined) console.debug(`[switchboard] ${entry.message}`);
  else console.debug(`[switchboard] ${entry.message}`, entry.data);
};

const REDACTED = "[redacted]";

/**
 * A copy of a frame that is safe to print: `connect` and `refresh` carry the user's token, which
 * must never reach a log (a log outlives the token's expiry in someone's bug report).
 */
export function redactFrame(frame: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...frame };
  if (typeof copy.token === "string") copy.token = REDACTED;
  return copy;
}

/**
 * The SDK's debug output. Off unless the application asked for it; every call site checks
 * `enabled` first, so a frame is only copied when someone will read it.
 */
export class DebugLog {
  readonly enabled: boolean;
  readonly #logger: Logger | undefined;

  constructor(logger: Logger | undefined) {
    this.#logger = logger;
    this.enabled = logger !== undefined;
  }

  log(kind: LogKind, message: string, data?: Record<string, unknown>): void {
    if (!this.#logger) return;
    try {
      this.#logger(data === undefined ? { kind, message } : { kind, message, data });
    } catch {
      // A broken logger must not break the connection it is watching.
    }
  }

  frame(direction: "in" | "out", frame: object): void {
    if (!this.enabled) return;
    const type = (frame as { type?: unknown }).type;
    this.log(direction, `${direction === "in" ? "←" : "→"} ${String(type)}`, {
      frame: redactFrame(frame),
    });
  }
}
