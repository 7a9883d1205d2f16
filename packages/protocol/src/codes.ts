/**
 * The transport's error codes and every close code of protocol v1.
 * Modules answer with codes of their own (`invalid_transition`, `insufficient_stock`…), declared
 * in their contracts: a client must accept any string as a code and act on the ones it knows.
 */

export const TRANSPORT_ERROR_CODES = [
  /** The frame or body does not match its schema. */
  "bad_request",
  /** No valid credentials: missing, malformed, bad signature, expired. */
  "unauthorized",
  /** Valid credentials, but the policy of the channel or route refuses this user. */
  "forbidden",
  /** The thing named does not exist (rpc method, resource). */
  "not_found",
  /** The request conflicts with current state (duplicate, wrong state, already subscribed). */
  "conflict",
  /** Frame or body over the size limit, or a count limit (subscriptions) reached. */
  "too_large",
  /** The per-connection token bucket is empty; `retryAfterMs` says when to retry. */
  "rate_limited",
  /** A dependency (broker, database) is unreachable; retry later. */
  "unavailable",
  /** Anything else. Never carries a stack trace. */
  "internal",
] as const;

export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];

/** Any code an error may carry: a transport code, or one a module declares (any other string). */
export type ErrorCode = TransportErrorCode | (string & {});

/** Module error codes look like transport ones: lower snake case. */
export const ERROR_CODE_PATTERN = /^[a-z][a-z0-9_]{1,63}$/;

export const CloseCode = {
  /** Normal closure requested by either side. */
  Normal: 1000,
  /** The endpoint is going away (browser tab closed). */
  GoingAway: 1001,
  /** Transport-level: a frame above the hard cap, cut by the WebSocket layer. */
  MessageTooBig: 1009,
  /** Server restarting or draining: reconnect (to any node) with backoff. */
  ServerRestart: 1012,
  /** Protocol violation: a frame that cannot be answered, or commands before `connect`. */
  ProtocolViolation: 4400,
  /** No `connect` in time, or the token was invalid. */
  Unauthorized: 4401,
  /** The token expired and no refresh came in time: reconnect with a new token. */
  TokenExpired: 4403,
  /** No `pong` within ping interval + grace. */
  PingTimeout: 4408,
  /** Another connection resumed this session. */
  SessionReplaced: 4409,
  /** A frame over the size limit that could not be answered. */
  FrameTooLarge: 4413,
  /** Rate limited continuously for too long. */
  RateLimited: 4429,
  /** Server-side failure or slow consumer dropped: reconnect with backoff and recover. */
  Internal: 4500,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether a client should reconnect after a close with this code.
 * 4000–4499 mean "not without a change" (4403: with a new token);
 * 4500–4999, 1012 and transport-level closes mean "reconnect with backoff".
 */
export function shouldReconnect(code: number): boolean {
  if (code === CloseCode.TokenExpired) return true;
  if (code >= 4000 && code <= 4499) return false;
  return true;
}

/** Reasons the server gives in an `unsubscribed` frame. */
export const UnsubscribeReason = {
  /** The user lost permission (token refreshed with fewer rights). Do not resubscribe. */
  Revoked: "revoked",
  /** The channel's stream was lost on the server; resubscribe with your position to learn what happened. */
  Resubscribe: "resubscribe",
} as const;

export type UnsubscribeReason = (typeof UnsubscribeReason)[keyof typeof UnsubscribeReason];

/** WebSocket subprotocol of this version. */
export const PROTOCOL_NAME = "switchboard.v1";

/** Default limits; a server announces its own in `connected.limits`. */
export const DEFAULT_LIMITS = {
  maxFrameBytes: 64 * 1024,
  maxSubscriptions: 512,
  ratePerSecond: 50,
  rateBurst: 100,
  maxHistoryLimit: 1000,
  /** A history reply stops at about this many bytes of publications (`more: true`). */
  maxHistoryReplyBytes: 256 * 1024,
} as const;
