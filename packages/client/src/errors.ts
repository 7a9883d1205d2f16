import type { ErrorCode, ErrorFrame } from "@switchboard/protocol";

/**
 * Every failure the SDK reports: error replies from the server keep the server's code,
 * client-side failures (queue full, timeout, connection lost, client closed) use `unavailable`
 * so callers handle one union of codes, the same one the REST API answers with.
 */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly retryAfterMs?: number;

  constructor(
    code: ErrorCode,
    message: string,
    extra: { details?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = "SwitchboardError";
    this.code = code;
    if (extra.details !== undefined) this.details = extra.details;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }

  static fromFrame(frame: ErrorFrame): SwitchboardError {
    return new SwitchboardError(frame.code, frame.message, {
      ...(frame.details !== undefined && { details: frame.details }),
      ...(frame.retryAfterMs !== undefined && { retryAfterMs: frame.retryAfterMs }),
    });
  }
}

/** Why a command failed without a server reply; kept in `details.reason` for callers that care. */
export type LocalFailure =
  | "queue_full"
  | "timeout"
  | "connection_lost"
  | "closed"
  | "not_connected";

export function localError(reason: LocalFailure, message: string): SwitchboardError {
  return new SwitchboardError("unavailable", message, { details: { reason } });
}

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
