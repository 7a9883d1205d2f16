import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";
import type { Metrics } from "../../metrics.js";

export interface MetricsAccess {
  /** false: no /metrics route at all. */
  enabled: boolean;
  /** When set, scrapers send `Authorization: Bearer <token>`. */
  token?: string;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

function checkMetricsToken(request: FastifyRequest, token: string): void {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  if (!match?.[1] || !timingSafeEqual(digest(match[1]), digest(token))) {
    throw new SwitchboardError("unauthorized", "GET /metrics needs the metrics token");
  }
}

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: {
    metrics: Metrics;
    checks: ReadinessCheck[];
    isDraining: () => boolean;
    metricsAccess?: MetricsAccess;
  },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/health",
    {
      schema: {
        summary: "Liveness: the process is up",
        tags: ["operations"],
        response: { 200: z.object({ status: z.literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );
  r.get(
    "/ready",
    {
      schema: {
        summary: "Readiness: dependencies reachable and not draining",
        tags: ["operations"],
        response: {
          200: z.object({
            status: z.enum(["ready", "not_ready"]),
            checks: z.record(z.string(), z.boolean()),
          }),
          503: z.object({
            status: z.enum(["ready", "not_ready"]),
            checks: z.record(z.string(), z.boolean()),
          }),
        },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, boolean> = { accepting: !deps.isDraining() };
      await Promise.all(
        deps.checks.map(async (c) => {
          checks[c.name] = await c.check().catch(() => false);
        }),
      );
      const ok = Object.values(checks).every(Boolean);
      return reply.status(ok ? 200 : 503).send({ status: ok ? "ready" : "not_ready", checks });
    },
  );
  const access = deps.metricsAccess ?? { enabled: true };
  if (!access.enabled) return;
  const token = access.token;
  app.get(
    "/metrics",
    {
      ...(token && {
        onRequest: async (request: FastifyRequest) => checkMetricsToken(request, token),
      }),
      schema: {
        summary: "Prometheus metrics",
        description: token
          ? "Needs `Authorization: Bearer <SWITCHBOARD_METRICS_TOKEN>`."
          : "Public on this server (set SWITCHBOARD_METRICS_TOKEN to protect it, or SWITCHBOARD_METRICS=off).",
        tags: ["operations"],
      },
    },
    async (_request, reply) => {
      reply.header("content-type", deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
