import { z } from "zod";

/**
 * The fields metrics reads of other modules' durable events, checked at the door: an event that
 * does not match (an older emitter, a bug) is skipped and logged, never retried forever. Loose on
 * purpose — the emitters' contract.ts files have the full shapes.
 */
const at = z.string().optional();
const id = z.string().min(1);

export const orderCreated = z.object({
  orderId: id,
  customerId: z.string(),
  title: z.string().optional(),
  lifecycle: z.string(),
  at,
});
export const orderStatusChanged = z.object({
  orderId: id,
  customerId: z.string(),
  title: z.string().optional(),
  from: z.string().optional(),
  to: z.string(),
  amountMinor: z.number().int().nonnegative().optional(),
  currency: z.string().optional(),
  toLabel: z.string().optional(),
  at,
});
export const appointmentChanged = z.object({
  appointmentId: id,
  customerId: z.string(),
  resourceId: z.string(),
  serviceId: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  previousStartsAt: z.string().optional(),
});
/** `appointment.checked_in` (appointments' contract): the booking's payload plus the arrival. */
export const appointmentCheckedIn = appointmentChanged.extend({
  checkedInAt: z.string().refine((v) => Number.isFinite(Date.parse(v)), "an ISO instant"),
  lateMinutes: z.number().int().nonnegative(),
});
export const conversationAssigned = z.object({
  conversationId: id,
  customerId: z.string(),
  agentId: z.string(),
  waitedMs: z.number().nonnegative(),
  at,
});
export const conversationResolved = z.object({
  conversationId: id,
  customerId: z.string(),
  agentId: z.string().nullable(),
  firstResponseMs: z.number().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
  at,
});
export const conversationRated = z.object({
  conversationId: id,
  customerId: z.string(),
  agentId: z.string().nullable(),
  rating: z.number().int().min(1).max(5),
  at,
});
export const messageCreated = z.object({ customerId: z.string(), authorRole: z.string(), at });
export const reservation = z.object({
  reservationId: id,
  itemId: z.string(),
  quantity: z.number().int().positive(),
  userId: z.string().optional(),
  amountMinor: z.number().int().nonnegative().optional(),
  currency: z.string().optional(),
  at,
});
export const levelChanged = z.object({
  sku: z.string(),
  name: z.string().optional(),
  available: z.number(),
  previous: z.number().optional(),
});
export const backInStock = z.object({
  sku: z.string(),
  name: z.string().optional(),
  available: z.number(),
});
export const priceChanged = z.object({
  sku: z.string(),
  newAmount: z.number().int(),
  currency: z.string(),
});
export const quoteApproved = z.object({
  orderId: z.string(),
  quoteId: z.string().optional(),
  amountMinor: z.number().int().nonnegative(),
  currency: z.string(),
  userId: z.string().optional(),
  at,
});
