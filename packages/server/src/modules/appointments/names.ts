/**
 * What a client of the appointments module needs at run time without zod: error codes and
 * channel names (`@switchboard/server/names/appointments`). contract.ts re-exports all of this.
 */

/** Codes the appointments module answers with, beyond the transport's. */
export const appointmentErrors = {
  slot_taken: {
    status: 409,
    description:
      "Someone else holds or booked that time (or the resource's capacity is full); pick another slot.",
  },
  outside_hours: {
    status: 422,
    description:
      "The start is not one of the resource's slots: outside its working hours, not on the slot grid, or in the past.",
  },
  unknown_service: { status: 422, description: "No service has that id." },
  unknown_resource: { status: 422, description: "No resource has that id." },
  service_not_offered: {
    status: 422,
    description: "The resource does not offer that service (or no resource does).",
  },
  hold_expired: {
    status: 409,
    description: "The hold ran out (or was released) before it was confirmed; hold a slot again.",
  },
  invalid_state: {
    status: 409,
    description:
      "The appointment's status does not allow this (confirming a cancelled one, marking a future one as a no-show…); `details.status` is its status.",
  },
  too_late_to_change: {
    status: 409,
    description:
      "Customers may cancel or reschedule only until the policy window before the start (SWITCHBOARD_APPOINTMENTS_CHANGE_WINDOW_MINUTES); staff may any time.",
  },
  unknown_order: {
    status: 422,
    description:
      "`orderId` names no order of this customer, or the service is not one an order is served by (purpose `pickup`).",
  },
  invalid_range: {
    status: 400,
    description: "The date range is empty (to before from) or longer than allowed.",
  },
} as const;
export type AppointmentErrorCodes = typeof appointmentErrors;

/** One resource's calendar: every take and free of its time, for anyone watching it. */
export const resourceScheduleChannel = (resourceId: string) => `schedule:${resourceId}`;
/** A service's calendar: changes on every resource that offers it. */
export const serviceScheduleChannel = (serviceId: string) => `schedule:service:${serviceId}`;
/** The staff day view: every appointment's changes, with the appointment. */
export const STAFF_APPOINTMENTS_CHANNEL = "staff:appointments";
/** A customer's own channel (core `user:`), where "my appointments" hears of theirs. */
export const customerChannel = (customerId: string) => `user:${customerId}`;

/** The scheduler task that sends a reminder before an appointment. */
export const REMINDER_TASK = "appointments.reminder";
