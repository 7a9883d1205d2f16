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
    },
    compression: {
      enabled: e.SWITCHBOARD_COMPRESSION === "on",
      thresholdBytes: e.SWITCHBOARD_COMPRESSION_THRESHOLD_BYTES,
      level: e.SWITCHBOARD_COMPRESSION_LEVEL,
      clientMaxWindowBits: e.SWITCHBOARD_COMPRESSION_CLIENT_WINDOW_BITS,
    },
  };
}
