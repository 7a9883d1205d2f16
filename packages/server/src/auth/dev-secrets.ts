import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.js";

export interface Secrets {
  jwtSecret?: string;
  apiKey?: string;
  /** Which values were generated here (so start-up can print them once). */
  generated: { jwtSecret: boolean; apiKey: boolean };
}

function readOrCreate(path: string, make: () => string): { value: string; created: boolean } {
  try {
    const value = readFileSync(path, "utf8").trim();
    if (value.length >= 32) return { value, created: false };
  } catch {
    // not there yet
  }
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

/**
 * In development, a missing JWT secret or API key is generated once and kept in the data dir,
 * so the server and `switchboard token` (another process) agree without any set-up.
 * In production nothing is generated: config validation already demanded a secret.
 */
export function resolveSecrets(config: Config): Secrets {
  const generated = { jwtSecret: false, apiKey: false };
  if (config.env === "production") {
    return {
      ...(config.jwtSecret && { jwtSecret: config.jwtSecret }),
      ...(config.apiKey && { apiKey: config.apiKey }),
      generated,
    };
  }
  let { jwtSecret, apiKey } = config;
  if (!jwtSecret || !apiKey) mkdirSync(config.dataDir, { recursive: true });
  if (!jwtSecret) {
    const r = readOrCreate(join(config.dataDir, "dev-jwt-secret"), () =>
      randomBytes(32).toString("base64url"),
    );
    jwtSecret = r.value;
    generated.jwtSecret = true;
  }
  if (!apiKey) {
    const r = readOrCreate(
      join(config.dataDir, "dev-api-key"),
      () => `sb_dev_${randomBytes(24).toString("base64url")}`,
    );
    apiKey = r.value;
    generated.apiKey = true;
  }
  return { jwtSecret, apiKey, generated };
}
