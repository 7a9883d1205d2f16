import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Metrics } from "../../metrics.js";

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { metrics: Metrics; checks: ReadinessCheck[]; isDraining: () => boolean },
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
  app.get(
    "/metrics",
    { schema: { summary: "Prometheus metrics", tags: ["operations"] } },
    async (_request, reply) => {
      reply.header("content-type", deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
