import { z } from "zod";
import {
  type HttpEdgeConfig,
  type JwtConfig,
  refineSecurity,
  securityConfig,
  securityEnvShape,
} from "./config-security.js";

/**
 * Every setting of the server, read from the environment in one place and validated once.
 * Nothing else in the server reads process.env. docs/configuration.md mirrors this file.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const emptyAsUndefined = (v: unknown) => (v === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(emptyAsUndefined, schema.optional());

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
    SWITCHBOARD_JWKS_URL: optional(
      z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    ),
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
    REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://")),
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
    SWITCHBOARD_MAX_CONNECTIONS: z.preprocess(
      emptyAsUndefined,
      int(1, 10_000_000).default(100_000),
    ),
    SWITCHBOARD_DRAIN_TIMEOUT_MS: z.preprocess(emptyAsUndefined, int(0, 600_000).default(10_000)),
    SWITCHBOARD_CHAT_MAX_MESSAGE_LENGTH: z.preprocess(
      emptyAsUndefined,
      int(1, 100_000).default(1000),
    ),
    SWITCHBOARD_CHAT_MAX_PARTICIPANTS: z.preprocess(emptyAsUndefined, int(2, 1000).default(10)),
    SWITCHBOARD_CHAT_ATTACHMENT_MAX_BYTES: z.preprocess(
      emptyAsUndefined,
      int(1024, 1024 * 1024 * 1024).default(5 * 1024 * 1024),
    ),
    SWITCHBOARD_CHAT_ATTACHMENT_TYPES: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(
          /^[a-z]+\/[a-z0-9.+-]+(,[a-z]+\/[a-z0-9.+-]+)*$/,
          "must be a comma-separated list of MIME types",
        )
        .default("image/jpeg,image/png,image/gif,application/pdf,text/plain"),
    ),
    SWITCHBOARD_CHAT_ATTACHMENT_DIR: optional(z.string().min(1)),
    SWITCHBOARD_CHAT_AGENT_GRACE_MS: z.preprocess(
      emptyAsUndefined,
      int(1000, 3_600_000).default(30_000),
    ),
    SWITCHBOARD_CHAT_ARCHIVE_AFTER_DAYS: z.preprocess(emptyAsUndefined, int(1, 3650).default(7)),
    SWITCHBOARD_CHAT_RETENTION_DAYS: z.preprocess(emptyAsUndefined, int(1, 36500).default(365)),
    SWITCHBOARD_BOT: z.preprocess(
      emptyAsUndefined,
      z.enum(["faq", "openai", "off"]).default("faq"),
    ),
    SWITCHBOARD_BOT_KNOWLEDGE_DIR: optional(z.string().min(1)),
    SWITCHBOARD_BOT_MIN_CONFIDENCE: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().min(0).max(1).default(0.35),
    ),
    SWITCHBOARD_OPENAI_BASE_URL: optional(
      z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    ),
    SWITCHBOARD_OPENAI_API_KEY: optional(z.string().min(1)),
    SWITCHBOARD_OPENAI_MODEL: z.preprocess(
      emptyAsUndefined,
      z.string().min(1).default("gpt-4o-mini"),
    ),
    ...securityEnvShape,
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
    if (env.SWITCHBOARD_BOT === "openai" && !env.SWITCHBOARD_OPENAI_BASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHBOARD_OPENAI_BASE_URL"],
        message: "is required when SWITCHBOARD_BOT=openai",
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
  /** How tokens are checked beyond their signature (audience, issuer) and mapped to our identity. */
  jwt: JwtConfig;
  apiKey?: string;
  dataDir: string;
  /** The built web app served at `/`; default packages/web/dist. */
  webDir?: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Prefix of every Redis key and pub/sub channel. */
  redisPrefix: string;
  /** A node silent this long is dead: others remove its presence. */
  nodeTtlMs: number;
  pingIntervalSeconds: number;
  /** How long past a ping interval a silent client is kept before close 4408. */
  pingGraceMs: number;
  connectTimeoutMs: number;
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
    maxConnections: number;
    /** Sockets one user may hold open on a node. */
    maxConnectionsPerUser: number;
  };
  drainTimeoutMs: number;
  chat: {
    maxMessageLength: number;
    maxParticipants: number;
    attachmentMaxBytes: number;
    attachmentTypes: string[];
    /** Where uploads go; default <dataDir>/attachments. */
    attachmentDir?: string;
    /** An agent whose sockets are all gone this long is set offline and their conversations requeued. */
    agentGraceMs: number;
    archiveAfterDays: number;
    retentionDays: number;
    /** Waiting or active conversations one customer may have at once. */
    maxOpenConversations: number;
    /** Uploads per user per 24 h (the API key is not counted). */
    attachmentsPerDay: number;
    attachmentBytesPerDay: number;
  };
  bot: {
    provider: "faq" | "openai" | "off";
    /** Markdown files the FAQ bot answers from; default: the demo knowledge shipped with the server. */
    knowledgeDir?: string;
    /** Below this the bot hands over to a human. */
    minConfidence: number;
    openai?: { baseUrl: string; apiKey?: string; model: string };
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? "environment");
        const value = source[name];
        const shown =
          value === undefined || /SECRET|KEY|URL|TOKEN/.test(name) ? "" : ` (got "${value}")`;
        return `${name}: ${i.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const security = securityConfig(e);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    ...(e.SWITCHBOARD_JWT_SECRET && { jwtSecret: e.SWITCHBOARD_JWT_SECRET }),
    ...(e.SWITCHBOARD_JWKS_URL && { jwksUrl: e.SWITCHBOARD_JWKS_URL }),
    jwt: security.jwt,
    ...(e.SWITCHBOARD_API_KEY && { apiKey: e.SWITCHBOARD_API_KEY }),
    dataDir: e.SWITCHBOARD_DATA_DIR,
    ...(e.SWITCHBOARD_WEB_DIR && { webDir: e.SWITCHBOARD_WEB_DIR }),
    ...(e.DATABASE_URL && { databaseUrl: e.DATABASE_URL }),
    ...(e.REDIS_URL && { redisUrl: e.REDIS_URL }),
    redisPrefix: e.SWITCHBOARD_REDIS_PREFIX,
    nodeTtlMs: e.SWITCHBOARD_NODE_TTL_MS,
    pingIntervalSeconds: e.SWITCHBOARD_PING_INTERVAL,
    pingGraceMs: e.SWITCHBOARD_PING_GRACE_MS,
    connectTimeoutMs: e.SWITCHBOARD_CONNECT_TIMEOUT_MS,
    allowDevOnNetwork: security.allowDevOnNetwork,
    http: security.http,
    limits: {
      maxFrameBytes: e.SWITCHBOARD_MAX_FRAME_BYTES,
      maxSubscriptions: e.SWITCHBOARD_MAX_SUBSCRIPTIONS,
      ratePerSecond: e.SWITCHBOARD_RATE_PER_SECOND,
      rateBurst: e.SWITCHBOARD_RATE_BURST,
      rateLimitCloseMs: e.SWITCHBOARD_RATE_LIMIT_CLOSE_MS,
      slowConsumerBytes: e.SWITCHBOARD_SLOW_CONSUMER_BYTES,
      maxConnections: e.SWITCHBOARD_MAX_CONNECTIONS,
      maxConnectionsPerUser: security.maxConnectionsPerUser,
    },
    drainTimeoutMs: e.SWITCHBOARD_DRAIN_TIMEOUT_MS,
    chat: {
      maxMessageLength: e.SWITCHBOARD_CHAT_MAX_MESSAGE_LENGTH,
      maxParticipants: e.SWITCHBOARD_CHAT_MAX_PARTICIPANTS,
      attachmentMaxBytes: e.SWITCHBOARD_CHAT_ATTACHMENT_MAX_BYTES,
      attachmentTypes: e.SWITCHBOARD_CHAT_ATTACHMENT_TYPES.split(","),
      ...(e.SWITCHBOARD_CHAT_ATTACHMENT_DIR && {
        attachmentDir: e.SWITCHBOARD_CHAT_ATTACHMENT_DIR,
      }),
      agentGraceMs: e.SWITCHBOARD_CHAT_AGENT_GRACE_MS,
      archiveAfterDays: e.SWITCHBOARD_CHAT_ARCHIVE_AFTER_DAYS,
      retentionDays: e.SWITCHBOARD_CHAT_RETENTION_DAYS,
      ...security.chatQuotas,
    },
    bot: {
      provider: e.SWITCHBOARD_BOT,
      ...(e.SWITCHBOARD_BOT_KNOWLEDGE_DIR && { knowledgeDir: e.SWITCHBOARD_BOT_KNOWLEDGE_DIR }),
      minConfidence: e.SWITCHBOARD_BOT_MIN_CONFIDENCE,
      ...(e.SWITCHBOARD_OPENAI_BASE_URL && {
        openai: {
          baseUrl: e.SWITCHBOARD_OPENAI_BASE_URL,
          ...(e.SWITCHBOARD_OPENAI_API_KEY && { apiKey: e.SWITCHBOARD_OPENAI_API_KEY }),
          model: e.SWITCHBOARD_OPENAI_MODEL,
        },
      }),
    },
  };
}

export type ConfigOverrides = Partial<Omit<Config, "limits" | "chat" | "bot" | "http" | "jwt">> & {
  http?: Partial<Config["http"]>;
  jwt?: Partial<Config["jwt"]>;
  limits?: Partial<Config["limits"]>;
  chat?: Partial<Config["chat"]>;
  bot?: Partial<Config["bot"]>;
};

/** A config for tests and embedding: defaults, overridden field by field. */
export function defaultConfig(overrides: ConfigOverrides = {}): Config {
  const base = loadConfig({ NODE_ENV: "test" });
  return {
    ...base,
    ...overrides,
    http: { ...base.http, ...overrides.http },
    jwt: { ...base.jwt, ...overrides.jwt },
    limits: { ...base.limits, ...overrides.limits },
    chat: { ...base.chat, ...overrides.chat },
    bot: { ...base.bot, ...overrides.bot },
  };
}
