import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";
import { isCalendarDate, isValidZone } from "./calendar.js";
import {
  APPOINTMENT_STATUSES,
  dayHoursSchema,
  SERVICE_PURPOSES,
  weeklyHoursSchema,
} from "./contract.js";

/** Ids of services and resources are chosen by staff: short slugs (they name channels). */
export const slugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a lower-case slug (a-z, 0-9, _ -), up to 64");
const minutes = (max: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(max)
    .refine((n) => n % 5 === 0, "must be a multiple of 5");
const dateSchema = z
  .string()
  .refine(isCalendarDate, "must be a calendar date YYYY-MM-DD")
  .describe("YYYY-MM-DD");
const instantSchema = z.iso.datetime({ offset: true }).describe("ISO-8601 date-time");

export const idParams = z.object({ id: slugSchema });
export const appointmentIdParams = z.object({ id: z.string().min(1).max(64) });
export const exceptionParams = z.object({ id: slugSchema, date: dateSchema });

export const putServiceBody = z.object({
  name: z.string().min(1).max(200),
  durationMinutes: minutes(24 * 60).refine((n) => n > 0, "must be positive"),
  bufferBeforeMinutes: minutes(240).optional(),
  bufferAfterMinutes: minutes(240).optional().describe("Cleanup time after each booking"),
  /** Alias of bufferAfterMinutes. */
  bufferMinutes: minutes(240).optional().describe("Same as bufferAfterMinutes"),
  capacity: z.number().int().min(1).max(1000).optional().describe("Customers per slot (default 1)"),
  purpose: z
    .enum(SERVICE_PURPOSES)
    .optional()
    .describe(
      "drop-off: a confirmed booking creates its repair-booking order; test-drive: its test-drive order; pickup: offered when a repair is ready",
    ),
});
export type PutServiceInput = z.infer<typeof putServiceBody>;

export const putResourceBody = z.object({
  name: z.string().min(1).max(200),
  timeZone: z.string().max(64).refine(isValidZone, "must be an IANA time zone (Europe/Berlin)"),
  services: z.array(slugSchema).max(200),
  hours: weeklyHoursSchema.describe(
    '{mon: [["09:00","12:00"], ["13:00","18:00"]], …}; a missing day is off',
  ),
});
export type PutResourceInput = z.infer<typeof putResourceBody>;

export const putExceptionBody = z.object({
  hours: dayHoursSchema.describe("The day's hours instead of the weekly ones; [] closes the day"),
  note: z.string().max(500).optional(),
});
export type PutExceptionInput = z.infer<typeof putExceptionBody>;

export const slotsQuery = z.object({
  service: slugSchema,
  resource: slugSchema.optional().describe("Omit for any resource that offers the service"),
  from: dateSchema.describe("First day (in the resource's time zone)"),
  to: dateSchema.optional().describe("Last day, inclusive (default: from)"),
});
export type SlotsQuery = z.infer<typeof slotsQuery>;

export const bestTimesQuery = z.object({
  service: slugSchema,
  resource: slugSchema.optional().describe("Omit for every resource that offers the service"),
  from: dateSchema.describe("First day (in the resource's time zone)"),
  to: dateSchema.optional().describe("Last day, inclusive (default: a week from `from`)"),
  limit: z.coerce.number().int().min(1).max(20).default(5).describe("How many (1–20, default 5)"),
});
export type BestTimesQuery = z.infer<typeof bestTimesQuery>;

export const holdBody = z.object({
  service: slugSchema,
  start: instantSchema,
  resourceId: slugSchema
    .optional()
    .describe("Omit for any available: the least booked resource that day"),
  customerId: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("Staff booking for a customer; a customer always books for themself"),
  orderId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      "The customer's order this booking serves (a pickup service's booking of a repair): the order then shows it, live",
    ),
});
export type HoldInput = z.infer<typeof holdBody>;

export const rescheduleBody = z.object({
  start: instantSchema,
  resourceId: slugSchema.optional().describe("Default: the same resource"),
});
export type RescheduleInput = z.infer<typeof rescheduleBody>;

export const listAppointmentsQuery = z.object({
  resource: slugSchema.optional(),
  customerId: z.string().max(255).optional().describe("Staff only"),
  status: z.enum(APPOINTMENT_STATUSES).optional(),
  from: instantSchema.optional().describe("Starting at or after"),
  to: instantSchema.optional().describe("Starting before"),
  ...pageQuery({ defaultLimit: 50, maxLimit: 500 }),
});
export type ListAppointmentsQuery = z.infer<typeof listAppointmentsQuery>;
