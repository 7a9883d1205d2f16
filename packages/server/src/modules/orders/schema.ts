import { z } from "zod";
import { pageQuery, pageSchema } from "../../platform/kit/pagination.js";
import { LIFECYCLES } from "./lifecycles.js";

const lifecycleName = z.string().refine((v) => v in LIFECYCLES, {
  message: `must be one of: ${Object.keys(LIFECYCLES).join(", ")}`,
});
const isoDate = z.iso.datetime({ offset: true }).describe("ISO-8601 date-time");

export const createOrderBody = z.object({
  lifecycle: lifecycleName,
  customerId: z.string().min(1).max(255),
  title: z.string().min(1).max(200).optional(),
  details: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("Any JSON object (device, items, vehicle…)"),
  eta: isoDate.optional(),
});
export type CreateOrderInput = z.infer<typeof createOrderBody>;

export const transitionBody = z.object({
  to: z.string().min(1).max(64),
  note: z.string().max(2000).optional(),
  eta: isoDate.nullable().optional().describe("New ETA; null clears it"),
  location: z.string().max(200).optional(),
  expectedVersion: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Refuse (409 conflict) unless the order is still at this version"),
});
export type TransitionInput = z.infer<typeof transitionBody>;

export const orderIdParams = z.object({ id: z.string().min(1).max(64) });

export const listOrdersQuery = z.object({
  status: z.string().max(64).optional(),
  customerId: z.string().max(255).optional(),
  lifecycle: lifecycleName.optional(),
  ...pageQuery(),
});
export type ListOrdersQuery = z.infer<typeof listOrdersQuery>;

export const historyEntry = z.object({
  from: z.string().nullable(),
  to: z.string(),
  at: z.string(),
  by: z.string(),
  note: z.string().optional(),
  eta: z.string().optional(),
  location: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

export const orderSchema = z
  .object({
    id: z.string(),
    lifecycle: z.string(),
    customerId: z.string(),
    title: z.string().optional(),
    details: z.record(z.string(), z.unknown()),
    status: z.string(),
    statusLabel: z.string(),
    progress: z.number(),
    eta: z.string().optional(),
    location: z.string().optional(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** What the caller may do next. */
    allowed: z.array(z.object({ to: z.string(), action: z.string().optional() })),
    history: z.array(historyEntry),
  })
  .describe("Order");
export type Order = z.infer<typeof orderSchema>;

export const orderPageSchema = pageSchema(orderSchema.omit({ history: true }));
export type OrderPage = z.infer<typeof orderPageSchema>;

/** The realtime payload on order:{id} (event "status"). */
export interface StatusChange {
  id: string;
  from: string | null;
  to: string;
  progress: number;
  eta?: string;
  note?: string;
  location?: string;
  at: string;
  by: string;
  version: number;
}
