/**
 * The appointments module's wire contract: error codes, channels and every payload it publishes
 * or answers (`@switchboard/server/contracts/appointments`). Only zod and the protocol here: it is
 * bundled into browsers.
 */
import { pageSchema } from "@switchboard/protocol";
import { z } from "zod";

export * from "./names.js";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "HH:MM" on the 5-minute grid ("24:00" ends a day). */
export const clockTimeSchema = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5][05]|24:00)$/, "must be HH:MM on a 5-minute grid, 00:00–24:00");

/** Working intervals of one day, in the resource's time zone: `[["09:00","12:00"], …]`. */
export const dayHoursSchema = z
  .array(z.tuple([clockTimeSchema, clockTimeSchema]))
  .max(12)
  .refine((spans) => spans.every(([from, to]) => from < to), {
    message: "each interval must end after it starts",
  })
  .refine(
    (spans) => {
      const sorted = [...spans].sort((a, b) => a[0].localeCompare(b[0]));
      return sorted.every((s, i) => i === 0 || (sorted[i - 1] as [string, string])[1] <= s[0]);
    },
    { message: "intervals must not overlap" },
  );
export type DayHours = z.infer<typeof dayHoursSchema>;

/** Weekly hours: a missing day is a day off. Breaks are the gaps between intervals. */
export const weeklyHoursSchema = z.partialRecord(z.enum(WEEKDAYS), dayHoursSchema);
export type WeeklyHours = z.infer<typeof weeklyHoursSchema>;

/**
 * What confirming a booking of a service starts in the rest of the shop: a repair `drop-off`
 * creates its repair-booking order, a `test-drive` its test-drive order; `pickup` is the service
 * offered when a repair is ready for pickup.
 */
export const SERVICE_PURPOSES = ["drop-off", "test-drive", "pickup"] as const;
export type ServicePurpose = (typeof SERVICE_PURPOSES)[number];

export const serviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    durationMinutes: z.number().int(),
    bufferBeforeMinutes: z.number().int(),
    bufferAfterMinutes: z.number().int(),
    /** How many customers one slot takes (a group class > 1). */
    capacity: z.number().int(),
    purpose: z.enum(SERVICE_PURPOSES).optional(),
    updatedAt: z.string(),
  })
  .describe("AppointmentService");
export type Service = z.infer<typeof serviceSchema>;

export const exceptionSchema = z.object({
  /** A day in the resource's time zone, YYYY-MM-DD. */
  date: z.string(),
  /** The hours of that day instead of the weekly ones; `[]`: closed. */
  hours: dayHoursSchema,
  note: z.string().optional(),
});
export type ResourceException = z.infer<typeof exceptionSchema>;

export const resourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    /** IANA time zone its hours are in (Europe/Berlin). */
    timeZone: z.string(),
    services: z.array(z.string()),
    hours: weeklyHoursSchema,
    exceptions: z.array(exceptionSchema),
    updatedAt: z.string(),
  })
  .describe("AppointmentResource");
export type Resource = z.infer<typeof resourceSchema>;

export const slotSchema = z.object({
  start: z.string(),
  end: z.string(),
  resourceId: z.string(),
});
export type Slot = z.infer<typeof slotSchema>;

export const slotsSchema = z.object({ slots: z.array(slotSchema) }).describe("AppointmentSlots");
export type Slots = z.infer<typeof slotsSchema>;

/** A suggested time: a free slot and how busy the shop is around it. */
export const bestTimeSchema = slotSchema.extend({
  /** Share (0–1) of the open time an hour either side already held or booked: 0 is a quiet time. */
  busy: z.number().min(0).max(1),
});
export type BestTime = z.infer<typeof bestTimeSchema>;

export const bestTimesSchema = z
  .object({ times: z.array(bestTimeSchema) })
  .describe("AppointmentBestTimes");
export type BestTimes = z.infer<typeof bestTimesSchema>;

export const APPOINTMENT_STATUSES = [
  "held",
  "confirmed",
  /** Staff saw the customer arrive (after confirmed; the time stays taken). */
  "checked_in",
  "released",
  "expired",
  "cancelled",
  "no_show",
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export const appointmentSchema = z
  .object({
    id: z.string(),
    serviceId: z.string(),
    resourceId: z.string(),
    customerId: z.string(),
    status: z.enum(APPOINTMENT_STATUSES),
    start: z.string(),
    end: z.string(),
    timeZone: z.string(),
    /** The start's day in the resource's time zone. */
    day: z.string(),
    /** While held: when the hold runs out. */
    expiresAt: z.string().optional(),
    /** The order this booking serves (the pickup of a repair). */
    orderId: z.string().optional(),
    /** When staff checked the customer in (status checked_in). */
    checkedInAt: z.string().optional(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe("Appointment");
export type Appointment = z.infer<typeof appointmentSchema>;

export const appointmentPageSchema = pageSchema(appointmentSchema);
export type AppointmentPage = z.infer<typeof appointmentPageSchema>;

/**
 * Event `slots` on schedule:{resourceId} and schedule:service:{serviceId}: a span of a
 * resource's time was taken or freed. No customer data: anyone watching a calendar sees it.
 */
export const scheduleChangeSchema = z.object({
  type: z.enum(["taken", "freed"]),
  reason: z.enum(["held", "confirmed", "released", "expired", "cancelled", "rescheduled"]),
  resourceId: z.string(),
  serviceId: z.string(),
  start: z.string(),
  end: z.string(),
  day: z.string(),
  at: z.string(),
});
export type ScheduleChange = z.infer<typeof scheduleChangeSchema>;

/** Event `appointment` on staff:appointments and the customer's user:{id}. */
export const appointmentEventSchema = z.object({
  type: z.enum([
    "held",
    "confirmed",
    "checked_in",
    "released",
    "expired",
    "cancelled",
    "rescheduled",
    "no_show",
  ]),
  appointment: appointmentSchema,
});
export type AppointmentEvent = z.infer<typeof appointmentEventSchema>;

/** Event `reminder` on the customer's user:{id}: an appointment is coming up. */
export const reminderEventSchema = z.object({
  appointment: appointmentSchema,
  minutesBefore: z.number().int(),
});
export type ReminderEvent = z.infer<typeof reminderEventSchema>;

/**
 * Event `pickup_offer` on the customer's user:{id}, and payload of the durable event
 * `appointment.pickup_offered`: their repair is ready, these pickup times are free.
 */
export const pickupOfferSchema = z.object({
  orderId: z.string(),
  customerId: z.string(),
  userId: z.string(),
  serviceId: z.string(),
  serviceName: z.string(),
  orderTitle: z.string().optional(),
  slots: z.array(slotSchema),
  /** The first free time, when there is one. */
  startsAt: z.string().optional(),
  /** The pickup counter's IANA zone, to tell the times in (zone: the same). */
  timeZone: z.string().optional(),
  zone: z.string().optional(),
});
export type PickupOffer = z.infer<typeof pickupOfferSchema>;

/** Every event the module publishes, by channel. */
export const appointmentEvents = {
  schedule: { slots: scheduleChangeSchema },
  staffAppointments: { appointment: appointmentEventSchema },
  customer: {
    appointment: appointmentEventSchema,
    reminder: reminderEventSchema,
    pickup_offer: pickupOfferSchema,
  },
} as const;

/**
 * Payload of the domain events `appointment.confirmed`, `appointment.rescheduled`,
 * `appointment.cancelled`, `appointment.no_show` (docs/appointments.md, "Domain events");
 * `appointment.checked_in` adds to it (AppointmentCheckedIn).
 */
export interface AppointmentChanged {
  appointmentId: string;
  /** The appointment's status after the change (confirmed, checked_in, cancelled, no_show). */
  status: string;
  /** The appointment's version after the change: a later change has a higher one. */
  version: number;
  customerId: string;
  /** The same as customerId (the user the notification goes to). */
  userId: string;
  resourceId: string;
  resourceName: string;
  serviceId: string;
  serviceName: string;
  /** The service's purpose, when it has one (what orders listens for). */
  purpose?: ServicePurpose;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  /** The same as timeZone (the resource's IANA zone). */
  zone: string;
  /** rescheduled: where it was. */
  previousStartsAt?: string;
  /** The order the booking serves (a pickup of a repair), when it was made for one. */
  orderId?: string;
}

/**
 * Payload of the durable event `appointment.checked_in` (status `checked_in`): when the customer
 * arrived and how late, for lateness figures (metrics keys them by appointmentId).
 */
export interface AppointmentCheckedIn extends AppointmentChanged {
  /** ISO time staff checked the customer in. */
  checkedInAt: string;
  /** Whole minutes after startsAt; 0 when on time or early. */
  lateMinutes: number;
}

/** Payload of the durable event `appointment.reminder` (from the reminder task). */
export interface AppointmentReminder extends AppointmentChanged {
  minutesBefore: number;
}

/** Payload of the scheduler task `appointments.reminder`. */
export interface ReminderPayload {
  appointmentId: string;
  minutesBefore: number;
  /** The start the reminder was scheduled for: a moved appointment's old reminder does nothing. */
  startsAt: string;
}
