import type { IncomingMessage, ServerResponse } from "node:http";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import helmet, { contentSecurityPolicy } from "helmet";
import type { Redis } from "ioredis";
import type { HttpEdgeConfig } from "../config-security.js";
import { SwitchboardError } from "../errors.js";
import { presentsApiKey } from "./auth.js";

export interface EdgeOptions {
  /** The API key: its calls are not rate limited. */
  apiKey?: string;
  /** Where REST rate-limit counters live, so limits hold across nodes (REDIS_URL). */
  rateLimitRedis?: Redis;
  redisPrefix?: string;
}

/**
 * What every request meets before a route: security headers (a Content-Security-Policy for the
 * web app), CORS for the origins the operator lists, and per-caller REST rate limits. Registered
 * before any route, since the rate limiter attaches itself to routes as they are added.
 */
export async function registerEdge(
  app: FastifyInstance,
  edge: HttpEdgeConfig,
  options: EdgeOptions = {},
): Promise<void> {
  const { apiKey, rateLimitRedis, redisPrefix = "sb:" } = options;
  const securityHeaders = securityHeadersHook();
  app.addHook("onRequest", (request, reply, done) => {
    securityHeaders(request.raw, reply.raw);
    done();
  });

  if (edge.corsOrigins.length > 0) {
    await app.register(cors, {
      // Exact origins only (config refuses "*" and patterns). No cookies are used: credentials
      // travel in the Authorization header, so Access-Control-Allow-Credentials stays off.
      origin: edge.corsOrigins,
      credentials: false,
      methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
      allowedHeaders: ["authorization", "content-type", "idempotency-key"],
      exposedHeaders: [
        "retry-after",
        "idempotent-replayed",
        "content-disposition",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
      ],
      maxAge: 600,
    });
  }

  if (edge.rateLimit > 0) {
    await app.register(rateLimit, {
      global: true,
      max: edge.rateLimit,
      timeWindow: edge.rateWindowMs,
      // After the route's auth hook (onRequest), so a user is counted as themself wherever they
      // connect from; before preHandler, so a refused request never claims an Idempotency-Key.
      hook: "preValidation",
      keyGenerator: rateLimitKey,
      // The API key is the operator's own backend; health checks, metrics and static files are
      // not the API.
      allowList: (request: FastifyRequest) =>
        !request.url.startsWith("/api/") ||
        request.identity?.apiKey === true ||
        presentsApiKey(request, apiKey),
      // A Redis outage must not take the API down with it: requests pass uncounted meanwhile.
      skipOnError: true,
      ...(rateLimitRedis && { redis: rateLimitRedis, nameSpace: `${redisPrefix}rl:` }),
      errorResponseBuilder: (_request, context) =>
        new SwitchboardError(
          "rate_limited",
          `too many requests: at most ${context.max} per ${Math.round(edge.rateWindowMs / 1000)} s; retry in ${context.after}`,
          { retryAfterMs: context.ttl },
        ),
    });
  }
}

/** The Content-Security-Policy's directives; `connect-src` adds the page's own host's sockets. */
const CSP_DIRECTIVES = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "script-src-attr": ["'none'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
} as const;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
const next = () => {};
/** Hosts whose policy is kept ready; past it the cache starts over (Host is the client's). */
const CSP_CACHE = 256;

/**
 * helmet's headers (its defaults, our policy), with its middleware built once. @fastify/helmet
 * builds helmet's middleware anew for every request, which was about a tenth of a plain
 * publish's server CPU. The policy depends only on the Host header's value, so each value's
 * (static, one header) middleware is built once and kept.
 */
function securityHeadersHook(): (req: IncomingMessage, res: ServerResponse) => void {
  const others: Middleware = helmet({ contentSecurityPolicy: false });
  const policies = new Map<string, Middleware>();
  return (req, res) => {
    const sockets = sameHostSockets(req.headers.host);
    let policy = policies.get(sockets);
    if (!policy) {
      if (policies.size >= CSP_CACHE) policies.clear();
      policy = contentSecurityPolicy({
        useDefaults: false,
        directives: { ...CSP_DIRECTIVES, "connect-src": ["'self'", sockets] },
      });
      policies.set(sockets, policy);
    }
    policy(req, res, next);
    others(req, res, next);
  };
}

/** Who a request counts against: the signed-in user, else the client address. */
function rateLimitKey(request: FastifyRequest): string {
  return request.identity ? `u:${request.identity.user}` : `ip:${request.ip}`;
}

function sameHostSockets(host: string | undefined): string {
  if (!host || !/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host)) return "'self'";
  return `ws://${host} wss://${host}`;
}
