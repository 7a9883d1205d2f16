import { isIP } from "node:net";
import { ROLES, type Role } from "@switchboard/protocol";
import { z } from "zod";

/**
 * The security settings of config.ts (token checks, the HTTP edge, quotas): the schema part,
 * the cross-field rules and the mapping into Config. Only config.ts imports this file, and
 * only config.ts reads the environment.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const emptyAsUndefined = (v: unknown) => (v === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(emptyAsUndefined, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema);
const bool = (fallback: boolean) =>
  withDefault(
    z
      .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], {
        error: "must be true or false",
      })
      .default(fallback ? "true" : "false")
      .transform((v) => ["true", "1", "yes", "on"].includes(v)),
  );
const list = (item: z.ZodString, what: string) =>
  z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, `must list at least one ${what}`));

/** `scheme://host[:port]` and nothing else: what a browser sends in `Origin`. */
const ORIGIN = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
/** A claim path: `role` or `app_metadata.role`. */
const CLAIM_PATH = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*){0,4}$/;

const roleMap = z
  .string()
  .transform((v, ctx) => {
    const map: Record<string, Role> = {};
    for (const pair of v.split(",").map((s) => s.trim())) {
      const [from, to, extra] = pair.split("=").map((s) => s.trim());
      if (!from || !to || extra !== undefined || !(ROLES as readonly string[]).includes(to)) {
        ctx.addIssue({
          code: "custom",
          message: `must be provider=role pairs (role: ${ROLES.join(", ")}), e.g. authenticated=customer; got "${pair}"`,
        });
        return z.NEVER;
      }
      map[from] = to as Role;
    }
    return map;
  })
  .refine((m) => Object.keys(m).length > 0, "must map at least one role");

export const securityEnvShape = {
  SWITCHBOARD_JWT_AUDIENCE: optional(list(z.string().min(1).max(512), "audience")),
  SWITCHBOARD_JWT_ISSUER: optional(list(z.string().min(1).max(512), "issuer")),
  SWITCHBOARD_JWT_ROLE_CLAIM: withDefault(
    z.string().regex(CLAIM_PATH, "must be a claim name or dotted path").default("role"),
  ),
  SWITCHBOARD_JWT_ROLE_MAP: optional(roleMap),
  SWITCHBOARD_JWT_NAME_CLAIM: withDefault(
    z.string().regex(CLAIM_PATH, "must be a claim name or dotted path").default("name"),
  ),
  SWITCHBOARD_ALLOW_DEV_ON_NETWORK: bool(false),
  SWITCHBOARD_HTTP_RATE_LIMIT: withDefault(int(0, 10_000_000).default(1200)),
  SWITCHBOARD_HTTP_RATE_WINDOW_MS: withDefault(int(1000, 3_600_000).default(60_000)),
  SWITCHBOARD_HTTP_REQUEST_TIMEOUT_MS: withDefault(int(1000, 3_600_000).default(60_000)),
  SWITCHBOARD_TRUST_PROXY: optional(
    z
      .string()
      .regex(
        /^(true|false|[0-9a-fA-F:./]+(,\s*[0-9a-fA-F:./]+)*)$/,
        "must be true, false, or comma-separated proxy addresses/CIDRs",
      ),
  ),
  SWITCHBOARD_CORS_ORIGINS: optional(
    list(
      z
        .string()
        .regex(
          ORIGIN,
          "must be exact origins like https://shop.example.com (no path, no wildcard)",
        ),
      "origin",
    ),
  ),
  SWITCHBOARD_METRICS: withDefault(z.enum(["on", "off"]).default("on")),
  SWITCHBOARD_METRICS_TOKEN: optional(z.string().min(16, "must be at least 16 characters")),
  SWITCHBOARD_DOCS: withDefault(z.enum(["on", "off"]).default("on")),
  SWITCHBOARD_MAX_CONNECTIONS_PER_USER: withDefault(int(1, 1_000_000).default(20)),
  SWITCHBOARD_CHAT_MAX_OPEN_CONVERSATIONS: withDefault(int(1, 10_000).default(5)),
  SWITCHBOARD_CHAT_ATTACHMENTS_PER_DAY: withDefault(int(1, 1_000_000).default(100)),
  SWITCHBOARD_CHAT_ATTACHMENT_BYTES_PER_DAY: withDefault(
    int(1024, 1024 ** 4).default(100 * 1024 * 1024),
  ),
};

const securityEnvObject = z.object(securityEnvShape);
type SecurityEnv = z.infer<typeof securityEnvObject>;

/** Loopback only: a development server on another interface hands out admin tokens. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h === "::1") return true;
  return /^::ffff:127\./.test(h);
}

export function refineSecurity(
  env: SecurityEnv & { NODE_ENV: string; HOST: string; SWITCHBOARD_JWKS_URL?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (env.NODE_ENV === "production" && env.SWITCHBOARD_JWKS_URL) {
    for (const name of ["SWITCHBOARD_JWT_AUDIENCE", "SWITCHBOARD_JWT_ISSUER"] as const) {
      if (!env[name]) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message:
            "is required in production with SWITCHBOARD_JWKS_URL (otherwise any token your identity provider signs, for any app, is accepted)",
        });
      }
    }
  }
  if (
    env.NODE_ENV !== "production" &&
    !isLoopbackHost(env.HOST) &&
    !env.SWITCHBOARD_ALLOW_DEV_ON_NETWORK
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["HOST"],
      message: `is not a loopback address, and NODE_ENV=${env.NODE_ENV} hands out admin tokens at /api/dev/token and prints the API key. Set NODE_ENV=production (with real secrets), bind HOST=127.0.0.1, or, for a trusted network only, SWITCHBOARD_ALLOW_DEV_ON_NETWORK=true`,
    });
  }
}

function trustProxy(v: string | undefined): boolean | string[] {
  if (v === undefined || v === "false") return false;
  if (v === "true") return true;
  return v.split(",").map((s) => s.trim());
}

export interface JwtConfig {
  /** Accepted `aud` values; when set, every token must carry one of them. */
  audience?: string[];
  /** Accepted `iss` values; when set, every token must carry one of them. */
  issuer?: string[];
  /** Where the role is in the token (dotted path). */
  roleClaim: string;
  /** Provider role → our role; when set, a role not listed is refused. */
  roleMap?: Record<string, Role>;
  /** Where the display name is in the token (dotted path). */
  nameClaim: string;
}

export interface HttpEdgeConfig {
  /** REST requests per window per user (or per address when anonymous); 0 turns the limit off. */
  rateLimit: number;
  rateWindowMs: number;
  /** A request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** Fastify's trustProxy: whose X-Forwarded-For to believe. */
  trustProxy: boolean | string[];
  /** Origins allowed to call the REST API from a browser (CORS); empty: same origin only. */
  corsOrigins: string[];
  metrics: boolean;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  docs: boolean;
}

export function securityConfig(e: SecurityEnv) {
  const jwt: JwtConfig = {
    ...(e.SWITCHBOARD_JWT_AUDIENCE && { audience: e.SWITCHBOARD_JWT_AUDIENCE }),
    ...(e.SWITCHBOARD_JWT_ISSUER && { issuer: e.SWITCHBOARD_JWT_ISSUER }),
    roleClaim: e.SWITCHBOARD_JWT_ROLE_CLAIM,
    ...(e.SWITCHBOARD_JWT_ROLE_MAP && { roleMap: e.SWITCHBOARD_JWT_ROLE_MAP }),
    nameClaim: e.SWITCHBOARD_JWT_NAME_CLAIM,
  };
  const http: HttpEdgeConfig = {
    rateLimit: e.SWITCHBOARD_HTTP_RATE_LIMIT,
    rateWindowMs: e.SWITCHBOARD_HTTP_RATE_WINDOW_MS,
    requestTimeoutMs: e.SWITCHBOARD_HTTP_REQUEST_TIMEOUT_MS,
    trustProxy: trustProxy(e.SWITCHBOARD_TRUST_PROXY),
    corsOrigins: e.SWITCHBOARD_CORS_ORIGINS ?? [],
    metrics: e.SWITCHBOARD_METRICS === "on",
    ...(e.SWITCHBOARD_METRICS_TOKEN && { metricsToken: e.SWITCHBOARD_METRICS_TOKEN }),
    docs: e.SWITCHBOARD_DOCS === "on",
  };
  return {
    jwt,
    http,
    allowDevOnNetwork: e.SWITCHBOARD_ALLOW_DEV_ON_NETWORK,
    maxConnectionsPerUser: e.SWITCHBOARD_MAX_CONNECTIONS_PER_USER,
    chatQuotas: {
      maxOpenConversations: e.SWITCHBOARD_CHAT_MAX_OPEN_CONVERSATIONS,
      attachmentsPerDay: e.SWITCHBOARD_CHAT_ATTACHMENTS_PER_DAY,
      attachmentBytesPerDay: e.SWITCHBOARD_CHAT_ATTACHMENT_BYTES_PER_DAY,
    },
  };
}
