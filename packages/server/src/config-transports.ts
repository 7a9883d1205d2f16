import { z } from "zod";
import { int, withDefault } from "./platform/kit/env.js";

/**
 * The transports' settings: which transports are on (WebSocket, the HTTP fallback), the
 * fallback's limits, and compression. Kept apart from config.ts like the security section.
 */
const onOff = (value: "on" | "off") => withDefault(z.enum(["on", "off"]), value);

export const transportsEnvShape = {
  SWITCHBOARD_WEBSOCKET: onOff("on"),
  SWITCHBOARD_HTTP_FALLBACK: onOff("on"),
  SWITCHBOARD_HTTP_FALLBACK_MAX_POST_BYTES: withDefault(int(4096, 64 * 1024 * 1024), 1024 * 1024),
  SWITCHBOARD_HTTP_FALLBACK_MAX_FRAMES_PER_POST: withDefault(int(1, 10_000), 100),
  SWITCHBOARD_HTTP_FALLBACK_IP_RATE_PER_SECOND: withDefault(int(0, 1_000_000), 200),
  SWITCHBOARD_HTTP_FALLBACK_IP_RATE_BURST: withDefault(int(1, 10_000_000), 400),
  SWITCHBOARD_HTTP_FALLBACK_POLL_TIMEOUT_MS: withDefault(int(1000, 120_000), 25_000),
  SWITCHBOARD_COMPRESSION: onOff("on"),
  SWITCHBOARD_COMPRESSION_THRESHOLD_BYTES: withDefault(int(64, 16 * 1024 * 1024), 1024),
  SWITCHBOARD_COMPRESSION_LEVEL: withDefault(int(1, 9), 3),
  SWITCHBOARD_COMPRESSION_CLIENT_WINDOW_BITS: withDefault(int(9, 15), 15),
};

const transportsEnvObject = z.object(transportsEnvShape);
type TransportsEnv = z.infer<typeof transportsEnvObject>;

export interface TransportsConfig {
  /** Whether `GET /ws` upgrades (off: clients must use the HTTP fallback). */
  websocket: boolean;
  /** Whether `GET /ws/stream` and `POST /ws/send` serve the fallback. */
  httpFallback: boolean;
  /** Largest POST body on `/ws/send`. */
  maxPostBytes: number;
  /** Most frames in one POST. */
  maxFramesPerPost: number;
  /**
   * Requests to the fallback's endpoints (POST /ws/send, opening a stream, long polls) per client
   * address and node: a token bucket; perSecond 0 turns it off.
   */
  ipRate: { perSecond: number; burst: number };
  /** How long a long poll (POST /ws/poll) is held open when there is nothing to send. */
  pollTimeoutMs: number;
}

export interface CompressionConfig {
  /** Whether permessage-deflate is offered to WebSocket clients that ask for it. */
  enabled: boolean;
  /** Messages smaller than this are sent uncompressed. */
  thresholdBytes: number;
  /** zlib level, 1–9. */
  level: number;
  /** The window clients may use for what they send (memory the server holds to inflate it). */
  clientMaxWindowBits: number;
}

export function transportsConfig(e: TransportsEnv): {
  transports: TransportsConfig;
  compression: CompressionConfig;
} {
  return {
    transports: {
      websocket: e.SWITCHBOARD_WEBSOCKET === "on",
      httpFallback: e.SWITCHBOARD_HTTP_FALLBACK === "on",
      maxPostBytes: e.SWITCHBOARD_HTTP_FALLBACK_MAX_POST_BYTES,
      maxFramesPerPost: e.SWITCHBOARD_HTTP_FALLBACK_MAX_FRAMES_PER_POST,
      ipRate: {
        perSecond: e.SWITCHBOARD_HTTP_FALLBACK_IP_RATE_PER_SECOND,
        burst: e.SWITCHBOARD_HTTP_FALLBACK_IP_RATE_BURST,
      },
      pollTimeoutMs: e.SWITCHBOARD_HTTP_FALLBACK_POLL_TIMEOUT_MS,
    },
    compression: {
      enabled: e.SWITCHBOARD_COMPRESSION === "on",
      thresholdBytes: e.SWITCHBOARD_COMPRESSION_THRESHOLD_BYTES,
      level: e.SWITCHBOARD_COMPRESSION_LEVEL,
      clientMaxWindowBits: e.SWITCHBOARD_COMPRESSION_CLIENT_WINDOW_BITS,
    },
  };
}
