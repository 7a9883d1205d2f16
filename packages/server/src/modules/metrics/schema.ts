import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";
import { PEAK_KPIS, PERIODS, SERIES_KPIS, STEPS } from "./names.js";

/** REST inputs of the metrics module (outputs are in contract.ts). */

export const overviewQuery = z.object({
  period: z.enum(PERIODS).default("today"),
});

const instant = z.iso.datetime({ offset: true }).describe("ISO 8601 instant");

export const seriesQuery = z.object({
  kpi: z.enum(SERIES_KPIS),
  from: instant,
  to: instant,
  step: z.enum(STEPS).default("hour"),
  /** Revenue: the currency (default the configured one). Chat KPIs: an agent's id. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  agentId: z.string().min(1).max(255).optional(),
});
export type SeriesQuery = z.infer<typeof seriesQuery>;

export const peaksQuery = z.object({
  kpi: z.enum(PEAK_KPIS).default("orders"),
  weeks: z.coerce.number().int().min(1).max(52).default(4),
});

export const activityQuery = z.object(pageQuery({ defaultLimit: 30, maxLimit: 200 }));

export const alertRuleParams = z.object({ name: z.string().min(1).max(64) });
export const alertRuleBody = z
  .object({
    enabled: z.boolean().optional(),
    threshold: z.number().int().min(1).max(1_000_000_000_000).optional(),
  })
  .strict();
