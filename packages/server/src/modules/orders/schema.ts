import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";
import { LIFECYCLES } from "./lifecycles.js";

const lifecycleName = z.string().refine((v) => v in LIFECYCLES, {
  message: `must be one of: ${Object.keys(LIFECYCLES).join(", ")}`,
});
const isoDate = z.iso.datetime({ offset: true }).describe("ISO-8601 date-time");

export const createOrderBody = z
  .object({
    lifecycle: lifecycleName,
    customerId: z.string().min(1).max(255),
    customerName: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .describe("The customer's name, shown on the staff board"),
    title: z.string().min(1).max(200).optional(),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Any JSON object (device, items, vehicle…)"),
    eta: isoDate.optional(),
    amountMinor: z
      .number()
      .int()
      .nonnegative()
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe("What the customer pays, in minor units of `currency` (given together)"),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
      .optional(),
  })
  .refine((b) => (b.amountMinor === undefined) === (b.currency === undefined), {
    message: "amountMinor and currency go together",
    path: ["currency"],
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
