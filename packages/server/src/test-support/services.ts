import { Socket } from "node:net";
import { Redis } from "ioredis";

/** Whether something listens on host:port (a quick TCP connect). */
function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/**
 * Tests of the Redis and PostgreSQL paths use the real services. Locally a missing service skips
 * those tests with a loud message; under CI=true a missing service fails the run.
 */
async function requireService(
  name: string,
  env: string,
  host: string,
  port: number,
): Promise<boolean> {
  if (await reachable(host, port)) return true;
  const message = `${name} is not reachable at ${host}:${port}: its tests ${process.env.CI ? "cannot run" : "are SKIPPED"}. Start it (see docs/operations.md) or set ${env}.`;
  if (process.env.CI) throw new Error(`CI=true: ${message}`);
  console.warn(`\n⚠️  ${message}\n`);
  return false;
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function redisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  return requireService("Redis", "TEST_REDIS_URL", url.hostname, Number(url.port || 6379));
}

/** Deletes every Redis key under a test prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
}

export const POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export function postgresAvailable(): Promise<boolean> {
  const url = new URL(POSTGRES_URL);
  return requireService("PostgreSQL", "TEST_DATABASE_URL", url.hostname, Number(url.port || 5432));
}
