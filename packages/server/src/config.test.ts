import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";
import { builtInModules } from "./modules/index.js";

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
    [{ SWITCHBOARD_CRASH_POINTS: "chat.resolve.after-status" }, "SWITCHBOARD_CRASH_POINTS"],
    [
      { SWITCHBOARD_HTTP_FALLBACK_IP_RATE_PER_SECOND: "-1" },
      "SWITCHBOARD_HTTP_FALLBACK_IP_RATE_PER_SECOND",
    ],
    [{ SWITCHBOARD_HTTP_FALLBACK_IP_RATE_BURST: "0" }, "SWITCHBOARD_HTTP_FALLBACK_IP_RATE_BURST"],
    [
      { SWITCHBOARD_HTTP_FALLBACK_POLL_TIMEOUT_MS: "soon" },
      "SWITCHBOARD_HTTP_FALLBACK_POLL_TIMEOUT_MS",
    ],
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
    expect(c.modules).toEqual(builtInModules().map((m) => m.name)); // all, by default
    expect(c.moduleSettings.chat).toMatchObject({
      maxMessageLength: 200,
      bot: { provider: "off" },
    });
    expect(c.moduleSettings.orders).toEqual({
      lifecycles: ["store-order", "test-drive"],
      stalledAfterMs: 86_400_000,
    });
  });

  it("refuses a variable that was renamed, pointing at its new name", () => {
    expect(problems({ SWITCHBOARD_BOT: "off" })).toEqual([
      'SWITCHBOARD_BOT: was renamed SWITCHBOARD_CHAT_BOT (got "off")',
    ]);
  });

  it("takes test-only crash points under NODE_ENV=test, and nowhere else", () => {
    const c = loadConfig({ NODE_ENV: "test", SWITCHBOARD_CRASH_POINTS: "a.b, c-d" });
    expect(c.crashPoints).toEqual(["a.b", "c-d"]);
    expect(
      problems({
        NODE_ENV: "production",
        SWITCHBOARD_JWT_SECRET: "s".repeat(32),
        SWITCHBOARD_CRASH_POINTS: "a",
      }),
    ).toEqual(['SWITCHBOARD_CRASH_POINTS: is for tests only (NODE_ENV=test) (got "a")']);
  });

  it("turns modules off with SWITCHBOARD_MODULES (none: just the real-time core)", () => {
    expect(loadConfig({ SWITCHBOARD_MODULES: "chat" }).modules).toEqual(["chat"]);
    expect(loadConfig({ SWITCHBOARD_MODULES: "none" })).toMatchObject({
      modules: [],
      moduleSettings: {},
    });
  });

  it("refuses JWKS in production without an audience and an issuer", () => {
    const prod = {
      NODE_ENV: "production",
      HOST: "0.0.0.0",
      SWITCHBOARD_JWKS_URL: "https://idp.example.com/.well-known/jwks.json",
    };
    const found = problems(prod).join("\n");
    expect(found).toContain("SWITCHBOARD_JWT_AUDIENCE");
    expect(found).toContain("SWITCHBOARD_JWT_ISSUER");
    const ok = loadConfig({
      ...prod,
      SWITCHBOARD_JWT_AUDIENCE: "switchboard, mobile",
      SWITCHBOARD_JWT_ISSUER: "https://idp.example.com/",
      SWITCHBOARD_JWT_ROLE_MAP: "authenticated=customer, support=agent",
      SWITCHBOARD_JWT_ROLE_CLAIM: "app_metadata.role",
    });
    expect(ok.jwt).toEqual({
      audience: ["switchboard", "mobile"],
      issuer: ["https://idp.example.com/"],
      roleClaim: "app_metadata.role",
      roleMap: { authenticated: "customer", support: "agent" },
      nameClaim: "name",
    });
  });

  it.each([
    [{ SWITCHBOARD_JWT_ROLE_MAP: "authenticated=superuser" }, "SWITCHBOARD_JWT_ROLE_MAP"],
    [{ SWITCHBOARD_JWT_ROLE_MAP: "authenticated" }, "SWITCHBOARD_JWT_ROLE_MAP"],
    [{ SWITCHBOARD_JWT_ROLE_CLAIM: "a[0]" }, "SWITCHBOARD_JWT_ROLE_CLAIM"],
    [{ SWITCHBOARD_CORS_ORIGINS: "*" }, "SWITCHBOARD_CORS_ORIGINS"],
    [{ SWITCHBOARD_CORS_ORIGINS: "https://a.example.com/path" }, "SWITCHBOARD_CORS_ORIGINS"],
    [{ SWITCHBOARD_CORS_ORIGINS: "https://*.example.com" }, "SWITCHBOARD_CORS_ORIGINS"],
    [{ SWITCHBOARD_METRICS: "maybe" }, "SWITCHBOARD_METRICS"],
    [{ SWITCHBOARD_TRUST_PROXY: "everyone" }, "SWITCHBOARD_TRUST_PROXY"],
    [{ SWITCHBOARD_ALLOW_DEV_ON_NETWORK: "sure" }, "SWITCHBOARD_ALLOW_DEV_ON_NETWORK"],
  ])("refuses a bad security setting: %j", (env, name) => {
    expect(problems(env as Record<string, string>).join("\n")).toContain(name);
  });

  it("refuses a development server on a non-loopback HOST unless allowed on purpose", () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.20", "example.com"]) {
      const found = problems({ HOST: host }).join("\n");
      expect(found).toContain("HOST");
      expect(found).toContain("SWITCHBOARD_ALLOW_DEV_ON_NETWORK");
    }
    expect(problems({ HOST: "0.0.0.0", NODE_ENV: "test" }).join("\n")).toContain("HOST");
    for (const host of ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"]) {
      expect(problems({ HOST: host })).toEqual([]);
    }
    expect(loadConfig({ HOST: "0.0.0.0", SWITCHBOARD_ALLOW_DEV_ON_NETWORK: "true" }).host).toBe(
      "0.0.0.0",
    );
  });

  it("parses the HTTP edge settings", () => {
    const c = loadConfig({
      SWITCHBOARD_CORS_ORIGINS: "https://shop.example.com, http://localhost:5173",
      SWITCHBOARD_TRUST_PROXY: "10.0.0.0/8,127.0.0.1",
      SWITCHBOARD_METRICS_TOKEN: "m".repeat(16),
      SWITCHBOARD_DOCS: "off",
      SWITCHBOARD_HTTP_RATE_LIMIT: "0",
    });
    expect(c.http).toMatchObject({
      corsOrigins: ["https://shop.example.com", "http://localhost:5173"],
      trustProxy: ["10.0.0.0/8", "127.0.0.1"],
      metrics: true,
      metricsToken: "m".repeat(16),
      docs: false,
      rateLimit: 0,
    });
    expect(loadConfig({ SWITCHBOARD_TRUST_PROXY: "true" }).http.trustProxy).toBe(true);
    expect(problems({ SWITCHBOARD_METRICS_TOKEN: "short-token" }).join("\n")).not.toContain(
      "short-token",
    );
  });
});
