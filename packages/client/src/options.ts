import { consoleLogger, type Logger } from "./debug_log.js";
import type { TokenProvider } from "./token.js";
import type { WebSocketConstructor } from "./transport.js";
import { TRANSPORTS, type TransportName } from "./transport_choice.js";

export interface ReconnectOptions {
  /** Ceiling of the first reconnect wait, in ms. Default 250. */
  baseMs?: number;
  /** Largest ceiling of a reconnect wait, in ms. Default 30,000. */
  capMs?: number;
  /** Give up after this many consecutive failed attempts. Default unlimited. */
  maxAttempts?: number;
}

export interface SwitchboardOptions {
  /** WebSocket endpoint, e.g. `wss://example.com/ws`. Never put the token here. */
  url: string;
  /** The connection token, or a callback the SDK calls for a new one (on expiry, refresh, 4403). */
  token: TokenProvider;
  /** Sent in `connect` so operators can tell client versions apart. */
  client?: { name: string; version: string };
  reconnect?: ReconnectOptions;
  /** Most application commands held while offline; when full the oldest is rejected. Default 1,000. */
  queueLimit?: number;
  /** How long a sent command waits for its reply, in ms. Default 10,000. */
  commandTimeoutMs?: number;
  /**
   * Silence tolerated on top of the server's ping interval before the connection is declared
   * dead and replaced, in ms. Default 10,000.
   */
  livenessGraceMs?: number;
  /** Refresh the token this long before it expires, in ms. Default 30,000. */
  refreshBeforeMs?: number;
  /**
   * How long `close()` waits for commands in flight and queued ones to be answered before it
   * closes anyway (and rejects what is left), in ms. Default 5,000; 0 closes at once.
   */
  closeTimeoutMs?: number;
  /** A WebSocket implementation to use instead of the global one (or `ws` in Node). */
  WebSocket?: WebSocketConstructor;
  /**
   * Transports to use. Default `["websocket", "http", "longpoll"]`: WebSocket; the HTTP fallback
   * (an event stream plus POSTs) when a WebSocket cannot get through; long polling plus POSTs
   * when the event stream is held back by a buffering proxy. `["http"]` uses the event stream
   * only, `["longpoll"]` long polling only; `["websocket"]` never falls back.
   */
  transports?: TransportName[];
  /** While on the HTTP fallback, how long before trying WebSocket again, in ms. Default 60,000. */
  upgradeAfterMs?: number;
  /**
   * Print what the connection does to the console: state changes, frames in and out (tokens
   * redacted) and reconnect decisions. Default false.
   */
  debug?: boolean;
  /** Receives the same entries as `debug: true` instead of the console. */
  logger?: Logger;
}

export interface ResolvedOptions {
  url: string;
  token: TokenProvider;
  client: { name: string; version: string };
  reconnect: Required<ReconnectOptions>;
  queueLimit: number;
  commandTimeoutMs: number;
  livenessGraceMs: number;
  refreshBeforeMs: number;
  closeTimeoutMs: number;
  WebSocket: WebSocketConstructor | undefined;
  transports: TransportName[];
  upgradeAfterMs: number;
  logger: Logger | undefined;
}

export const SDK_NAME = "@switchboard/client";
export const SDK_VERSION = "0.1.0";

export function resolveOptions(options: SwitchboardOptions): ResolvedOptions {
  if (typeof options.url !== "string" || options.url.length === 0) {
    throw new TypeError("Switchboard: `url` is required");
  }
  return {
    url: options.url,
    token: options.token,
    client: options.client ?? { name: SDK_NAME, version: SDK_VERSION },
    reconnect: {
      baseMs: options.reconnect?.baseMs ?? 250,
      capMs: options.reconnect?.capMs ?? 30_000,
      maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
    },
    queueLimit: options.queueLimit ?? 1000,
    commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
    livenessGraceMs: options.livenessGraceMs ?? 10_000,
    refreshBeforeMs: options.refreshBeforeMs ?? 30_000,
    closeTimeoutMs: options.closeTimeoutMs ?? 5000,
    WebSocket: options.WebSocket,
    transports: resolveTransports(options.transports),
    upgradeAfterMs: options.upgradeAfterMs ?? 60_000,
    logger: options.logger ?? (options.debug === true ? consoleLogger : undefined),
  };
}

function resolveTransports(asked: TransportName[] | undefined): TransportName[] {
  if (asked === undefined) return [...TRANSPORTS];
  const known = asked.filter((t) => TRANSPORTS.includes(t));
  if (known.length === 0) {
    throw new TypeError(
      'Switchboard: `transports` must name one or more of "websocket", "http", "longpoll"',
    );
  }
  return [...new Set(known)];
}
