import { z } from "zod";
import {
  type HttpEdgeConfig,
  type JwtConfig,
  refineSecurity,
  securityConfig,
  securityEnvShape,
} from "./config-security.js";
import {
  type CompressionConfig,
  type TransportsConfig,
  transportsConfig,
  transportsEnvShape,
} from "./config-transports.js";
import { builtInModules } from "./modules/index.js";
import { emptyAsUndefined, httpUrl, int, list, optional, withDefault } from "./platform/kit/env.js";
import { type ConfiguredModule, parseModuleConfig } from "./platform/module-config.js";

/**
 * Every setting of the server, read from the environment in one place and validated once: the
 * core's variables here, each module's from its own config section (same environment, same
 * pass). Nothing else in the server reads process.env. docs/configuration.md mirrors both (a
 * test checks that it names every variable).
 */

export const DEFAULT_JWKS_COOLDOWN_MS = 5_000;
export const DEFAULT_JWKS_MAX_AGE_MS = 5 * 60_000;

export const envSchema = z
  .object({
    NODE_ENV: z.preprocess(
      emptyAsUndefined,
      z.enum(["development", "production", "test"]).default("development"),
    ),
    PORT: z.preprocess(emptyAsUndefined, int(0, 65535).default(8080)),
    HOST: z.preprocess(emptyAsUndefined, z.string().min(1).default("127.0.0.1")),
    LOG_LEVEL: z.preprocess(
      emptyAsUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    SWITCHBOARD_JWT_SECRET: optional(
      z.string().min(32, "must be at least 32 characters (HS256 needs a 256-bit secret)"),
    ),
    SWITCHBOARD_JWKS_URL: optional(httpUrl()),
    SWITCHBOARD_JWKS_COOLDOWN_MS: withDefault(int(0, 3_600_000), DEFAULT_JWKS_COOLDOWN_MS),
    SWITCHBOARD_JWKS_MAX_AGE_MS: withDefault(int(1000, 86_400_000), DEFAULT_JWKS_MAX_AGE_MS),
    SWITCHBOARD_API_KEY: optional(z.string().min(24, "must be at least 24 characters")),
    SWITCHBOARD_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().min(1).default("./data")),
    SWITCHBOARD_WEB_DIR: optional(z.string().min(1)),
    DATABASE_URL: optional(
      z
        .string()
        .regex(
          /^(postgres(ql)?:\/\/|sqlite:|file:)/,
          "must start with postgres://, sqlite: or file:",
        ),
    ),
    // One URL, or several comma-separated: channels are then sharded over them (broker/sharded.ts).
    REDIS_URL: optional(
      z
        .string()
        .regex(
          /^rediss?:\/\/[^,\s]+(,rediss?:\/\/[^,\s]+)*$/,
          "must be redis:// or rediss:// URLs, comma-separated when there are several",
        ),
    ),
    SWITCHBOARD_REDIS_PREFIX: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9_:.-]{1,64}$/, "must be 1-64 chars of [A-Za-z0-9_:.-]")
        .default("sb:"),
    ),
    SWITCHBOARD_NODE_TTL_MS: z.preprocess(emptyAsUndefined, int(1000, 600_000).default(10_000)),
    SWITCHBOARD_PING_INTERVAL: z.preprocess(emptyAsUndefined, int(1, 300).default(25)),
    SWITCHBOARD_PING_GRACE_MS: z.preprocess(emptyAsUndefined, int(100, 300_000).default(10_000)),
    SWITCHBOARD_CONNECT_TIMEOUT_MS: z.preprocess(
      emptyAsUndefined,
      int(100, 120_000).default(10_000),
    ),
    SWITCHBOARD_WRITE_DELAY_MS: z.preprocess(emptyAsUndefined, int(0, 2).default(0)),
    SWITCHBOARD_MAX_FRAME_BYTES: z.preprocess(
      emptyAsUndefined,
      int(1024, 16 * 1024 * 1024).default(65_536),
    ),
    SWITCHBOARD_MAX_SUBSCRIPTIONS: z.preprocess(emptyAsUndefined, int(1, 100_000).default(512)),
    SWITCHBOARD_RATE_PER_SECOND: z.preprocess(emptyAsUndefined, int(1, 1_000_000).default(50)),
    SWITCHBOARD_RATE_BURST: z.preprocess(emptyAsUndefined, int(1, 1_000_000).default(100)),
    SWITCHBOARD_RATE_LIMIT_CLOSE_MS: z.preprocess(
      emptyAsUndefined,
      int(100, 600_000).default(10_000),
    ),
    SWITCHBOARD_SLOW_CONSUMER_BYTES: z.preprocess(
      emptyAsUndefined,
      int(64 * 1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
    ),
    SWITCHBOARD_MAX_HISTORY_REPLY_BYTES: withDefault(int(16 * 1024, 64 * 1024 * 1024), 256 * 1024),
    SWITCHBOARD_MAX_NEW_CHANNELS_PER_MINUTE: withDefault(int(1, 1_000_000), 300),
    SWITCHBOARD_MAX_CONNECTIONS: z.preprocess(
      emptyAsUndefined,
      int(1, 10_000_000).default(100_000),
    ),
    SWITCHBOARD_DRAIN_TIMEOUT_MS: z.preprocess(emptyAsUndefined, int(0, 600_000).default(10_000)),
    SWITCHBOARD_IDEMPOTENCY_LEASE_MS: withDefault(int(1000, 600_000), 10_000),
    SWITCHBOARD_EVENTS_POLL_MS: withDefault(int(10, 60_000), 250),
    SWITCHBOARD_EVENTS_LEASE_MS: withDefault(int(1000, 3_600_000), 30_000),
    SWITCHBOARD_EVENTS_MAX_ATTEMPTS: withDefault(int(1, 1000), 10),
    SWITCHBOARD_MODULES: optional(
      z.union([z.literal("none"), list(/^[a-z][a-z0-9-]*$/, "a module name")]),
    ),
    SWITCHBOARD_CRASH_POINTS: optional(list(/^[a-z0-9.-]{1,100}$/, "a crash point name")),
    ...securityEnvShape,
    ...transportsEnvShape,
  })
  .superRefine((env, ctx) => {
    refineSecurity(env, ctx);
    if (env.NODE_ENV === "production" && !env.SWITCHBOARD_JWT_SECRET && !env.SWITCHBOARD_JWKS_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHBOARD_JWT_SECRET"],
        message: "is required in production (or set SWITCHBOARD_JWKS_URL)",
      });
    }
    if (env.SWITCHBOARD_CRASH_POINTS && env.NODE_ENV !== "test") {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHBOARD_CRASH_POINTS"],
        message: "is for tests only (NODE_ENV=test)",
      });
    }
    if (env.SWITCHBOARD_JWKS_COOLDOWN_MS >= env.SWITCHBOARD_JWKS_MAX_AGE_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHBOARD_JWKS_COOLDOWN_MS"],
        message: "must be below SWITCHBOARD_JWKS_MAX_AGE_MS",
      });
    }
    if (env.SWITCHBOARD_RATE_BURST < env.SWITCHBOARD_RATE_PER_SECOND / 10) {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHBOARD_RATE_BURST"],
        message: "must be at least a tenth of SWITCHBOARD_RATE_PER_SECOND",
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  logLevel: Env["LOG_LEVEL"];
  /** HS256 secret; in development one is generated and kept in the data dir when unset. */
  jwtSecret?: string;
  jwksUrl?: string;
  /** After a JWKS fetch, how long an unknown key id waits for the next fetch (answered as retryable). */
  jwksCooldownMs: number;
  /** How long a fetched key set is used before it is fetched again. */
  jwksMaxAgeMs: number;
  /** How tokens are checked beyond their signature (audience, issuer) and mapped to our identity. */
  jwt: JwtConfig;
  apiKey?: string;
  dataDir: string;
  /** The built web app served at `/`; default packages/web/dist. */
  webDir?: string;
  databaseUrl?: string;
  /** The first Redis (REST rate-limit counters); the broker uses `redisUrls`. */
  redisUrl?: string;
  /** Every Redis of REDIS_URL: more than one shards the channels over them. */
  redisUrls?: string[];
  /** Prefix of every Redis key and pub/sub channel. */
  redisPrefix: string;
  /** A node silent this long is dead: others remove its presence. */
  nodeTtlMs: number;
  pingIntervalSeconds: number;
  /** How long past a ping interval a silent client is kept before close 4408. */
  pingGraceMs: number;
  connectTimeoutMs: number;
  /**
   * Write coalescing under load (0–2 ms, 0 = off): when writes were flushed less than this long
   * ago, the next flush waits until this long after it, so a socket getting many messages gets
   * them in fewer, larger writes. Added latency is at most this; an idle server never waits.
   */
  writeDelayMs: number;
  /** Development on a non-loopback HOST, allowed on purpose (SWITCHBOARD_ALLOW_DEV_ON_NETWORK). */
  allowDevOnNetwork: boolean;
  /** REST edge: rate limits, timeouts, proxies, CORS, /metrics and /docs. */
  http: HttpEdgeConfig;
  limits: {
    maxFrameBytes: number;
    maxSubscriptions: number;
    ratePerSecond: number;
    rateBurst: number;
    rateLimitCloseMs: number;
    slowConsumerBytes: number;
    /** A history reply (socket or REST, and a recovery) stops at about this many bytes. */
    maxHistoryReplyBytes: number;
    /** Channels a connection may name that it does not hold (subscribe, history, presence) per minute. */
    maxNewChannelsPerMinute: number;
    maxConnections: number;
    /** Sockets one user may hold open on a node. */
    maxConnectionsPerUser: number;
  };
  /** WebSocket and the HTTP fallback: which are on, the fallback's limits. */
  transports: TransportsConfig;
  /** permessage-deflate for WebSocket clients. */
  compression: CompressionConfig;
  drainTimeoutMs: number;
  /** A claimed Idempotency-Key not renewed this long (its node died) may be taken over by a retry. */
  idempotencyLeaseMs: number;
  /** Durable events and the scheduler (platform/durable): poll, claim lease, attempts before parking. */
  durable: { pollMs: number; leaseMs: number; maxAttempts: number };
  /** The modules this server runs, in registration order (SWITCHBOARD_MODULES; default all). */
  modules: string[];
  /** Each running module's settings, parsed from its config section (what ctx.settings holds). */
  moduleSettings: Readonly<Record<string, unknown>>;
  /** Test-only crash points (SWITCHBOARD_CRASH_POINTS, NODE_ENV=test): the process kills itself there. */
  crashPoints: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const SECRET_LIKE = /SECRET|KEY|URL|TOKEN/;

function describe(name: string, message: string, source: Record<string, string | undefined>) {
  const value = source[name];
  const shown = value === undefined || SECRET_LIKE.test(name) ? "" : ` (got "${value}")`;
  return `${name}: ${message}${shown}`;
}

/** The modules SWITCHBOARD_MODULES turns on, in the order they are known; or what is wrong. */
function enabledModules(
  asked: "none" | string[] | undefined,
  known: ConfiguredModule[],
): { names: string[]; problems: string[] } {
  const names = known.map((m) => m.name);
  if (asked === undefined) return { names, problems: [] };
  if (asked === "none") return { names: [], problems: [] };
  const problems = asked
    .filter((name) => !names.includes(name))
    .map((name) => `unknown module "${name}" (this server has: ${names.join(", ") || "none"})`);
  return { names: names.filter((n) => asked.includes(n)), problems };
}

/**
 * Reads the core config and the config section of every module it turns on, from one
 * environment. `modules`: the modules this server knows (default: the built-in ones).
 */
export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  modules: ConfiguredModule[] = builtInModules(),
): Config {
  const parsed = envSchema.safeParse(source);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) =>
        describe(String(i.path[0] ?? "environment"), i.message, source),
      );
  const enabled = enabledModules(parsed.data?.SWITCHBOARD_MODULES, modules);
  problems.push(...enabled.problems.map((p) => describe("SWITCHBOARD_MODULES", p, source)));
  const moduleSettings: Record<string, unknown> = {};
  for (const module of modules) {
    if (!enabled.names.includes(module.name)) continue;
    const { settings, issues } = parseModuleConfig(module, source);
    problems.push(...issues.map((i) => describe(i.variable, i.message, source)));
    moduleSettings[module.name] = settings;
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const security = securityConfig(e);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    ...(e.SWITCHBOARD_JWT_SECRET && { jwtSecret: e.SWITCHBOARD_JWT_SECRET }),
    ...(e.SWITCHBOARD_JWKS_URL && { jwksUrl: e.SWITCHBOARD_JWKS_URL }),
    jwksCooldownMs: e.SWITCHBOARD_JWKS_COOLDOWN_MS,
    jwksMaxAgeMs: e.SWITCHBOARD_JWKS_MAX_AGE_MS,
    jwt: security.jwt,
    ...(e.SWITCHBOARD_API_KEY && { apiKey: e.SWITCHBOARD_API_KEY }),
    dataDir: e.SWITCHBOARD_DATA_DIR,
    ...(e.SWITCHBOARD_WEB_DIR && { webDir: e.SWITCHBOARD_WEB_DIR }),
    ...(e.DATABASE_URL && { databaseUrl: e.DATABASE_URL }),
    ...(e.REDIS_URL && {
      redisUrl: e.REDIS_URL.split(",")[0] as string,
      redisUrls: e.REDIS_URL.split(","),
    }),
    redisPrefix: e.SWITCHBOARD_REDIS_PREFIX,
    nodeTtlMs: e.SWITCHBOARD_NODE_TTL_MS,
    pingIntervalSeconds: e.SWITCHBOARD_PING_INTERVAL,
    pingGraceMs: e.SWITCHBOARD_PING_GRACE_MS,
    connectTimeoutMs: e.SWITCHBOARD_CONNECT_TIMEOUT_MS,
    writeDelayMs: e.SWITCHBOARD_WRITE_DELAY_MS,
    allowDevOnNetwork: security.allowDevOnNetwork,
    http: security.http,
    limits: {
      maxFrameBytes: e.SWITCHBOARD_MAX_FRAME_BYTES,
      maxSubscriptions: e.SWITCHBOARD_MAX_SUBSCRIPTIONS,
      ratePerSecond: e.SWITCHBOARD_RATE_PER_SECOND,
      rateBurst: e.SWITCHBOARD_RATE_BURST,
      rateLimitCloseMs: e.SWITCHBOARD_RATE_LIMIT_CLOSE_MS,
      slowConsumerBytes: e.SWITCHBOARD_SLOW_CONSUMER_BYTES,
      maxHistoryReplyBytes: e.SWITCHBOARD_MAX_HISTORY_REPLY_BYTES,
      maxNewChannelsPerMinute: e.SWITCHBOARD_MAX_NEW_CHANNELS_PER_MINUTE,
      maxConnections: e.SWITCHBOARD_MAX_CONNECTIONS,
      maxConnectionsPerUser: security.maxConnectionsPerUser,
    },
    ...transportsConfig(e),
    drainTimeoutMs: e.SWITCHBOARD_DRAIN_TIMEOUT_MS,
    idempotencyLeaseMs: e.SWITCHBOARD_IDEMPOTENCY_LEASE_MS,
    durable: {
      pollMs: e.SWITCHBOARD_EVENTS_POLL_MS,
      leaseMs: e.SWITCHBOARD_EVENTS_LEASE_MS,
      maxAttempts: e.SWITCHBOARD_EVENTS_MAX_ATTEMPTS,
    },
    modules: enabled.names,
    moduleSettings,
    crashPoints: e.SWITCHBOARD_CRASH_POINTS ?? [],
  };
}

export type ConfigOverrides = Partial<
  Omit<Config, "limits" | "http" | "jwt" | "durable" | "transports" | "compression">
> & {
  http?: Partial<Config["http"]>;
  durable?: Partial<Config["durable"]>;
  transports?: Partial<Config["transports"]>;
  compression?: Partial<Config["compression"]>;
  jwt?: Partial<Config["jwt"]>;
  limits?: Partial<Config["limits"]>;
};

/**
 * A config for tests and embedding: defaults, overridden field by field. Module settings come
 * from `env` (the variables a test sets), parsed as at start-up, for `modules`.
 */
export function defaultConfig(
  overrides: ConfigOverrides = {},
  options: { env?: Record<string, string>; modules?: ConfiguredModule[] } = {},
): Config {
  const base = loadConfig({ NODE_ENV: "test", ...options.env }, options.modules);
  return {
    ...base,
    ...overrides,
    http: { ...base.http, ...overrides.http },
    transports: { ...base.transports, ...overrides.transports },
    compression: { ...base.compression, ...overrides.compression },
    jwt: { ...base.jwt, ...overrides.jwt },
    limits: { ...base.limits, ...overrides.limits },
    durable: { ...base.durable, ...overrides.durable },
  };
}
