import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("configuration", () => {
  it("has working defaults for development", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      env: "development",
      port: 8080,
      host: "127.0.0.1",
      dataDir: "./data",
    });
    expect(c.limits).toMatchObject({
      maxFrameBytes: 65536,
      maxSubscriptions: 512,
      ratePerSecond: 50,
      rateBurst: 100,
    });
  });

  it("reads every documented variable", () => {
    const c = loadConfig({
      NODE_ENV: "production",
      PORT: "9000",
      HOST: "0.0.0.0",
      LOG_LEVEL: "warn",
      SWITCHBOARD_JWT_SECRET: "s".repeat(32),
      SWITCHBOARD_API_KEY: "k".repeat(24),
      SWITCHBOARD_DATA_DIR: "/var/lib/sb",
      DATABASE_URL: "postgres://127.0.0.1/test",
      REDIS_URL: "redis://127.0.0.1:6379",
      SWITCHBOARD_MAX_SUBSCRIPTIONS: "10",
    });
    expect(c).toMatchObject({
      env: "production",
      port: 9000,
      host: "0.0.0.0",
      logLevel: "warn",
      dataDir: "/var/lib/sb",
    });
    expect(c.databaseUrl).toBe("postgres://127.0.0.1/test");
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(c.limits.maxSubscriptions).toBe(10);
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ SWITCHBOARD_JWT_SECRET: "short" }, "SWITCHBOARD_JWT_SECRET"],
    [{ NODE_ENV: "production" }, "SWITCHBOARD_JWT_SECRET"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ SWITCHBOARD_JWKS_URL: "not a url" }, "SWITCHBOARD_JWKS_URL"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
  ])("names the variable that is wrong: %j", (env, name) => {
    const found = problems(env as Record<string, string>);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join("\n")).toContain(name);
  });

  it("never echoes a secret back", () => {
    const found = problems({ SWITCHBOARD_JWT_SECRET: "tiny-secret" });
    expect(found.join("\n")).not.toContain("tiny-secret");
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ PORT: "", REDIS_URL: "" })).toMatchObject({ port: 8080 });
    expect(loadConfig({ REDIS_URL: "" }).redisUrl).toBeUndefined();
  });
});
