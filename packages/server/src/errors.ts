import type { ErrorBody, TransportErrorCode } from "@switchboard/protocol";
import { CloseCode } from "@switchboard/protocol";

export type { ErrorBody };

/** HTTP status of each transport code. A module declares its own codes with their status. */
export const TRANSPORT_HTTP_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<TransportErrorCode, number>;

/**
 * The codes modules declare, so that `new SwitchboardError("invalid_transition", …)` type-checks.
 * A module merges its contract's codes in from its own index.ts:
 *
 *     declare module "../../errors.js" { interface ModuleErrorCodes extends OrderErrorCodes {} }
 *
 * The HTTP status lives in the module's `errors` declaration, not here.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging, one module at a time
export interface ModuleErrorCodes {}

export type ErrorCode = TransportErrorCode | (keyof ModuleErrorCodes & string);

/**
 * The one error class of the server. Anything else thrown is wrapped as `internal`
 * (logged with its stack, sent without it).
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

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.details !== undefined && { details: this.details }),
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
    };
  }
}

export function toSwitchboardError(error: unknown): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  return dependencyDown(error) ?? new SwitchboardError("internal", "internal error");
}

/** PostgreSQL's "the server is going away or not there": connection exceptions, shutdowns. */
const DB_DOWN_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const NETWORK_DOWN = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);
const DB_DOWN_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * A database (or other dependency) connection that failed under a request is `unavailable`
 * (503, retry), not a bug: a restart or failover of PostgreSQL must read as an outage to
 * clients and operators, not as `internal`.
 */
export function dependencyDown(error: unknown): SwitchboardError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const down =
    (typeof code === "string" && (DB_DOWN_SQLSTATE.test(code) || NETWORK_DOWN.has(code))) ||
    DB_DOWN_MESSAGE.test(error.message);
  if (!down) return undefined;
  return new SwitchboardError("unavailable", "database unavailable; retry", {
    retryAfterMs: 1000,
  });
}

/** Close code the gateway uses when a connection must end because of an error of this code. */
export function closeCodeFor(code: ErrorCode): number {
  switch (code) {
    case "unauthorized":
      return CloseCode.Unauthorized;
    case "too_large":
      return CloseCode.FrameTooLarge;
    case "rate_limited":
      return CloseCode.RateLimited;
    case "bad_request":
      return CloseCode.ProtocolViolation;
    default:
      return CloseCode.Internal;
  }
}
