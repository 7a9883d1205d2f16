import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import type { Database } from "../../store/schema.js";
import { listActivity } from "./activity.js";
import { listRules, updateRule } from "./alerts.js";
import type { MetricsSettings } from "./config.js";
import {
  activityPageSchema,
  alertRuleSchema,
  overviewSchema,
  peaksSchema,
  seriesSchema,
} from "./contract.js";
import { computeOverview } from "./overview.js";
import {
  activityQuery,
  alertRuleBody,
  alertRuleParams,
  overviewQuery,
  peaksQuery,
  seriesQuery,
} from "./schema.js";
import { computePeaks, computeSeries } from "./series.js";

/**
 * Thin REST adapters over the metrics functions. The owner's figures: admins or the API key
 * (`auth.server`), as the dashboard:* channels are admins' only.
 */
export function registerMetricsRoutes(
  app: FastifyInstance,
  db: Kysely<Database>,
  settings: MetricsSettings,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["metrics"];
  const base = "/api/metrics";
  const zone = settings.timeZone;

  r.get(
    `${base}/overview`,
    {
      onRequest: auth.server,
      schema: {
        summary: "KPIs of a period with their trend",
        description:
          "Admin or API key. `today` (local midnight → now), `7d` or `30d` (the last 7 or 30 local days, today included), each against the same length just before it, in the business's time zone (SWITCHBOARD_METRICS_TIME_ZONE). Computed from the rollups of durable domain events.",
        tags,
        security,
        querystring: overviewQuery,
        response: { 200: overviewSchema, ...errorResponses },
      },
    },
    async (request) => computeOverview(db, { period: request.query.period, timeZone: zone }),
  );

  r.get(
    `${base}/series`,
    {
      onRequest: auth.server,
      schema: {
        summary: "One KPI per minute, hour or day",
        description:
          "Admin or API key. Every bucket of `step` starting in [from, to) (hours and days cut in the business's time zone), at most 1500 points. Sums per bucket; `satisfaction`, `wait`, `first_response` and `resolution` are averages (null where nothing happened). `revenue` is per `currency` (default the configured one); chat KPIs per `agentId` when given.",
        tags,
        security,
        querystring: seriesQuery,
        response: { 200: seriesSchema, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const dim =
        q.kpi === "revenue"
          ? (q.currency ?? settings.currency)
          : q.agentId
            ? `agent:${q.agentId}`
            : "";
      return computeSeries(db, {
        kpi: q.kpi,
        from: Date.parse(q.from),
        to: Date.parse(q.to),
        step: q.step,
        dim,
        timeZone: zone,
      });
    },
  );

  r.get(
    `${base}/peaks`,
    {
      onRequest: auth.server,
      schema: {
        summary: "Peak hours by weekday and hour",
        description:
          "Admin or API key. The average per week of a KPI for each local weekday × hour over the last `weeks` whole weeks (today excluded), and the peak cells (above mean + one standard deviation). Revenue in the configured currency.",
        tags,
        security,
        querystring: peaksQuery,
        response: { 200: peaksSchema, ...errorResponses },
      },
    },
    async (request) =>
      computePeaks(db, {
        ...request.query,
        timeZone: zone,
        ...(request.query.kpi === "revenue" && { dim: settings.currency }),
      }),
  );

  r.get(
    `${base}/activity`,
    {
      onRequest: auth.server,
      schema: {
        summary: "The activity feed, newest first",
        description:
          "Admin or API key. What happened (orders, bookings, sales, ratings, stock-outs, alerts), kept for SWITCHBOARD_METRICS_RETENTION_ACTIVITY_DAYS; live on dashboard:activity.",
        tags,
        security,
        querystring: activityQuery,
        response: { 200: activityPageSchema, ...errorResponses },
      },
    },
    async (request) => listActivity(db, request.query),
  );

  r.get(
    `${base}/alerts`,
    {
      onRequest: auth.server,
      schema: {
        summary: "The alert rules",
        description:
          "Admin or API key. Each alert the owner can turn on or off, with its threshold.",
        tags,
        security,
        response: { 200: z.object({ rules: z.array(alertRuleSchema) }), ...errorResponses },
      },
    },
    async () => ({ rules: await listRules(db, settings) }),
  );

  r.put(
    `${base}/alerts/:name`,
    {
      onRequest: auth.server,
      schema: {
        summary: "Turn an alert rule on or off, or change its threshold",
        description:
          "Admin or API key. `threshold` only for rules that have one (revenue-goal: minor units; wait-above: ms).",
        tags,
        security,
        params: alertRuleParams,
        body: alertRuleBody,
        response: { 200: alertRuleSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => updateRule(db, settings, request.params.name, request.body),
  );
}
