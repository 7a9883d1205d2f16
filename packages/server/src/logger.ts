import pino, { type Logger } from "pino";
import type { Config } from "./config.js";

/** Structured JSON logs; credentials are redacted wherever they could appear. */
export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return pino({
    level: config.logLevel,
    base: { service: "switchboard" },
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "headers.authorization",
        "token",
        "*.token",
        "apiKey",
        "secret",
      ],
      censor: "[redacted]",
    },
  });
}
