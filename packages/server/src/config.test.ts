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
    [{ SWITCHBOARD_MODULES: "Orders" }, "SWITCHBOARD_MODULES"],
    [{ SWITCHBOARD_CHAT_MAX_PARTICIPANTS: "1" }, "SWITCHBOARD_CHAT_MAX_PARTICIPANTS"],
    [{ SWITCHBOARD_CHAT_BOT: "openai" }, "SWITCHBOARD_CHAT_OPENAI_BASE_URL"],
    [{ SWITCHBOARD_ORDERS_LIFECYCLES: "store-order,spaceship" }, "SWITCHBOARD_ORDERS_LIFECYCLES"],
    [{ SWITCHBOARD_FAULTS: "chat.resolve.after-status" }, "SWITCHBOARD_FAULTS"],
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

  it("gives each module its own section, parsed from the same environment", () => {
    const c = loadConfig({
      SWITCHBOARD_CHAT_MAX_MESSAGE_LENGTH: "200",
      SWITCHBOARD_CHAT_BOT: "off",
      SWITCHBOARD_ORDERS_LIFECYCLES: "store-order, test-drive",
    });
    expect(c.modules).toEqual(["orders", "chat", "inventory"]);
    expect(c.moduleSettings.chat).toMatchObject({
      maxMessageLength: 200,
      bot: { provider: "off" },
    });
    expect(c.moduleSettings.orders).toEqual({ lifecycles: ["store-order", "test-drive"] });
  });

  it("refuses a variable that was renamed, pointing at its new name", () => {
    expect(problems({ SWITCHBOARD_BOT: "off" })).toEqual([
      'SWITCHBOARD_BOT: was renamed SWITCHBOARD_CHAT_BOT (got "off")',
    ]);
  });

  it("takes test-only crash points under NODE_ENV=test, and nowhere else", () => {
    const c = loadConfig({ NODE_ENV: "test", SWITCHBOARD_FAULTS: "a.b, c-d" });
    expect(c.faults).toEqual(["a.b", "c-d"]);
    expect(
      problems({
        NODE_ENV: "production",
        SWITCHBOARD_JWT_SECRET: "s".repeat(32),
        SWITCHBOARD_FAULTS: "a",
      }),
    ).toEqual(['SWITCHBOARD_FAULTS: is for tests only (NODE_ENV=test) (got "a")']);
  });

  it("turns modules off with SWITCHBOARD_MODULES (none: just the real-time core)", () => {
    expect(loadConfig({ SWITCHBOARD_MODULES: "chat" }).modules).toEqual(["chat"]);
    expect(loadConfig({ SWITCHBOARD_MODULES: "none" })).toMatchObject({
      modules: [],
      moduleSettings: {},
    });
  });
});
