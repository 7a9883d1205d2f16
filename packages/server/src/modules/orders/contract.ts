/**
 * The orders module's wire contract: its error codes, channels and every payload it publishes or
 * answers, for clients to import (`@switchboard/server/contracts/orders`). Only zod and the
 * protocol here: it is bundled into browsers. Its zod-free part (error codes, channel names) is
 * names.ts, re-exported here, for code that needs those at run time without zod.
 */
import { pageSchema } from "@switchboard/protocol";
import { z } from "zod";

export * from "./names.js";

export const lifecycleSchema = z
  .object({
    name: z.string(),
    label: z.string(),
    initial: z.string(),
    states: z.array(
      z.object({
        name: z.string(),
        label: z.string(),
        /** 0–100: how far along an order in this state is. */
        progress: z.number(),
        terminal: z.boolean().optional(),
      }),
    ),
    transitions: z.array(
      z.object({
        from: z.array(z.string()),
        to: z.string(),
        /** `customer` is the order's own customer; `staff` an agent, an admin or the API key. */
        by: z.array(z.enum(["customer", "staff"])),
        action: z.string().optional(),
      }),
    ),
  })
  .describe("Lifecycle");
export type Lifecycle = z.infer<typeof lifecycleSchema>;

export const historyEntrySchema = z.object({
  from: z.string().nullable(),
  to: z.string(),
  at: z.string(),
  by: z.string(),
  note: z.string().optional(),
  eta: z.string().optional(),
  location: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** An order as events carry it: its state, without what a particular caller may do. */
export const orderSnapshotSchema = z.object({
  id: z.string(),
  lifecycle: z.string(),
  customerId: z.string(),
  customerName: z.string().optional(),
  title: z.string().optional(),
  /** The order's price in minor units of `currency`, when it was given at creation. */
  amountMinor: z.number().int().optional(),
  currency: z.string().optional(),
  details: z.record(z.string(), z.unknown()),
  status: z.string(),
  statusLabel: z.string(),
  progress: z.number(),
  eta: z.string().optional(),
  location: z.string().optional(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type OrderSnapshot = z.infer<typeof orderSnapshotSchema>;

/** An order in a list: its state and what the caller may do next. */
export const orderListItemSchema = orderSnapshotSchema.extend({
  allowed: z.array(z.object({ to: z.string(), action: z.string().optional() })),
});
export type OrderListItem = z.infer<typeof orderListItemSchema>;

/** One order with its history (the snapshot to reload after a recovery gap). */
export const orderSchema = orderListItemSchema
  .extend({ history: z.array(historyEntrySchema) })
  .describe("Order");
export type Order = z.infer<typeof orderSchema>;

export const orderPageSchema = pageSchema(orderListItemSchema);
export type OrderPage = z.infer<typeof orderPageSchema>;

/** Event `status` on order:{id}: one change, in order, once. */
export const statusChangeSchema = z.object({
  id: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  progress: z.number(),
  eta: z.string().optional(),
  note: z.string().optional(),
  location: z.string().optional(),
  at: z.string(),
  by: z.string(),
  version: z.number().int(),
});
export type StatusChange = z.infer<typeof statusChangeSchema>;

/** Event `order` on staff:orders: a new order or a change, with the order after it. */
export const boardEventSchema = z.object({
  type: z.enum(["created", "status"]),
  order: orderSnapshotSchema,
  change: statusChangeSchema,
});
export type BoardEvent = z.infer<typeof boardEventSchema>;

/** Event `order` on user:{customerId}: one of the customer's orders, new or changed. */
export const customerOrderEventSchema = z.object({
  type: z.enum(["created", "status"]),
  order: orderSnapshotSchema,
});
export type CustomerOrderEvent = z.infer<typeof customerOrderEventSchema>;

/** Durable event `order.created` (ORDER_EVENTS.created): a new order, in its first status. */
export const orderCreatedSchema = z.object({
  orderId: z.string(),
  customerId: z.string(),
  lifecycle: z.string(),
  status: z.string(),
  /** The order's price (minor units) and currency, when it has one. */
  amountMinor: z.number().int().optional(),
  currency: z.string().optional(),
  title: z.string().optional(),
  eta: z.string().optional(),
  version: z.number().int(),
  at: z.string(),
  by: z.string(),
});
export type OrderCreated = z.infer<typeof orderCreatedSchema>;

/** A quote an order's move is for, as `order.status_changed` carries it. */
export const orderQuoteRefSchema = z.object({
  id: z.string(),
  totalMinor: z.number().int(),
  currency: z.string(),
});
export type OrderQuoteRef = z.infer<typeof orderQuoteRefSchema>;

/** Durable event `order.status_changed` (ORDER_EVENTS.statusChanged): one transition, once. */
export const orderStatusChangedSchema = z.object({
  orderId: z.string(),
  customerId: z.string(),
  lifecycle: z.string(),
  from: z.string(),
  to: z.string(),
  /** The new status's label in its lifecycle ("Out for delivery"). */
  toLabel: z.string(),
  version: z.number().int(),
  eta: z.string().optional(),
  /** The order's price (minor units) and currency, when it has one. */
  amountMinor: z.number().int().optional(),
  currency: z.string().optional(),
  /**
   * The quote this move is for (pricing's proposal moving the order to quote-pending): its id,
   * total (minor units) and currency. What the customer is asked to approve, which may differ
   * from the order's own price above.
   */
  quote: orderQuoteRefSchema.optional(),
  title: z.string().optional(),
  note: z.string().optional(),
  at: z.string(),
  by: z.string(),
});
export type OrderStatusChangedEvent = z.infer<typeof orderStatusChangedSchema>;

/**
 * Durable event `order.stalled` (ORDER_EVENTS.stalled): the order has sat in `status` since `since`
 * for the configured time, unchanged (`version`). Once per status; a transition starts over.
 */
export const orderStalledSchema = z.object({
  orderId: z.string(),
  customerId: z.string(),
  lifecycle: z.string(),
  status: z.string(),
  version: z.number().int(),
  since: z.string(),
});
export type OrderStalled = z.infer<typeof orderStalledSchema>;

/**
 * An appointment of an order, in its details: `details.appointment` for the booking that made it
 * (a drop-off, a test drive), `details.pickup` for the pickup of a repair. Kept in step with the
 * appointment (rescheduled, cancelled, no-show) from the appointments module's durable events.
 */
export const orderAppointmentSchema = z.object({
  appointmentId: z.string(),
  status: z.string(),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  timeZone: z.string().optional(),
  serviceId: z.string(),
  serviceName: z.string().optional(),
  resourceId: z.string(),
  resourceName: z.string().optional(),
  /** The appointment's version this reflects (an older event never overwrites a newer one). */
  version: z.number().int().optional(),
});
export type OrderAppointment = z.infer<typeof orderAppointmentSchema>;

/** Event `appointment` on order:{id}: the order's booking or pickup appointment changed. */
export const orderAppointmentEventSchema = z.object({
  orderId: z.string(),
  /** booking: `details.appointment`; pickup: `details.pickup`. */
  role: z.enum(["booking", "pickup"]),
  appointment: orderAppointmentSchema,
  at: z.string(),
});
export type OrderAppointmentEvent = z.infer<typeof orderAppointmentEventSchema>;

/** Every event the module publishes, by channel. */
export const orderEvents = {
  order: { status: statusChangeSchema, appointment: orderAppointmentEventSchema },
  staffOrders: { order: boardEventSchema },
  customer: { order: customerOrderEventSchema },
} as const;
