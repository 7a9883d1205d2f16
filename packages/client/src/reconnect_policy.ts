import { CloseCode, type DisconnectFrame, shouldReconnect } from "@switchboard/protocol";

/** Close code we report when the client itself gives up on a socket (never sent by a server). */
export const ABNORMAL = 1006;

export interface SocketEnd {
  /** Close code of the socket, or the SDK's own when it gave up on the socket. */
  code: number;
  reason: string;
  /** The server's `disconnect` frame, when it sent one just before closing. */
  server?: DisconnectFrame;
  /** The SDK ended the socket itself for a reason that always warrants a retry (liveness). */
  forced: boolean;
  /** This attempt reused a cached token instead of asking the token callback. */
  usedCachedToken: boolean;
  /** A 4401 retry with a fresh token was already spent since the last successful connect. */
  retriedAuth: boolean;
  /** Consecutive reconnect attempts so far. */
  attempt: number;
  maxAttempts: number;
}

export interface EndDecision {
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Ask the token callback for a new token before the next attempt. */
  freshToken: boolean;
  /** This decision spends the one 4401 retry. */
  spendsAuthRetry: boolean;
}

/**
 * What to do after a socket ends. The server's `disconnect` frame wins over the close code,
 * because proxies may replace close codes; otherwise the protocol's table decides: 4000–4499
 * means "not without a change", 4403 means "with a new token".
 */
export function decideAfterClose(end: SocketEnd): EndDecision {
  const code = end.server?.code ?? end.code;
  const reason = end.server?.reason ?? end.reason;
  let willReconnect = end.forced || (end.server ? end.server.reconnect : shouldReconnect(code));
  let freshToken = code === CloseCode.TokenExpired;
  let spendsAuthRetry = false;
  if (code === CloseCode.Unauthorized && end.usedCachedToken && !end.retriedAuth) {
    // The cached token may simply have expired while we were away: one retry with a new one.
    willReconnect = true;
    freshToken = true;
    spendsAuthRetry = true;
  }
  if (end.attempt >= end.maxAttempts) willReconnect = false;
  return { code, reason, willReconnect, freshToken, spendsAuthRetry };
}
