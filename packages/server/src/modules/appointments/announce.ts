import { isValidChannel } from "@switchboard/protocol";
import type { OutboxMessage } from "../../store/outbox.js";
import { BLOCK_MS, isoUtc } from "./calendar.js";
import {
  type Appointment,
  type AppointmentChanged,
  type AppointmentCheckedIn,
  type AppointmentEvent,
  customerChannel,
  resourceScheduleChannel,
  type ScheduleChange,
  type ServicePurpose,
  STAFF_APPOINTMENTS_CHANNEL,
  serviceScheduleChannel,
} from "./contract.js";
import type { AppointmentRow } from "./migrations.js";

export function appointmentView(row: AppointmentRow): Appointment {
  return {
    id: row.id,
    serviceId: row.service_id,
    resourceId: row.resource_id,
    customerId: row.customer_id,
    status: row.status as Appointment["status"],
    start: row.starts_at,
    end: row.ends_at,
    timeZone: row.time_zone,
    day: row.day,
    ...(row.status === "held" && row.expires_at !== null && { expiresAt: row.expires_at }),
    ...(row.order_id && { orderId: row.order_id }),
    ...(row.checked_in_at && { checkedInAt: row.checked_in_at }),
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What a domain event says of a booking's service and resource (read in its transaction). */
export interface BookingNames {
  serviceName: string;
  resourceName: string;
  purpose?: ServicePurpose | undefined;
}

export function changedPayload(
  row: AppointmentRow,
  names: BookingNames,
  previous?: AppointmentRow,
): AppointmentChanged {
  return {
    appointmentId: row.id,
    status: row.status,
    version: Number(row.version),
    customerId: row.customer_id,
    userId: row.customer_id,
    resourceId: row.resource_id,
    resourceName: names.resourceName,
    serviceId: row.service_id,
    serviceName: names.serviceName,
    ...(names.purpose && { purpose: names.purpose }),
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    timeZone: row.time_zone,
    zone: row.time_zone,
    ...(previous && { previousStartsAt: previous.starts_at }),
    ...(row.order_id && { orderId: row.order_id }),
  };
}

/** Whole minutes from the start to the check-in; 0 when on time or early. */
export function lateMinutesOf(startsAt: string, checkedInAt: string): number {
  return Math.max(0, Math.floor((Date.parse(checkedInAt) - Date.parse(startsAt)) / 60_000));
}

/** The payload of `appointment.checked_in` (the contract h17-metrics reads). */
export function checkedInPayload(row: AppointmentRow, names: BookingNames): AppointmentCheckedIn {
  const checkedInAt = row.checked_in_at ?? row.updated_at;
  return {
    ...changedPayload(row, names),
    checkedInAt,
    lateMinutes: lateMinutesOf(row.starts_at, checkedInAt),
  };
}

export interface SlotMove {
  type: ScheduleChange["type"];
  reason: ScheduleChange["reason"];
  row: AppointmentRow;
  /** Services the row's resource offers: their calendars change too. */
  services: string[];
}

/** A span of a resource's time taken or freed, on its calendar and on each service's it offers. */
function slotMessages(
  { type, reason, row, services }: SlotMove,
  version: number,
  at: string,
): OutboxMessage[] {
  const data: ScheduleChange = {
    type,
    reason,
    resourceId: row.resource_id,
    serviceId: row.service_id,
    // the span the claims cover, buffers included: what other services lose
    start: isoUtc(Number(row.claim_from) * BLOCK_MS),
    end: isoUtc(Number(row.claim_to) * BLOCK_MS),
    day: row.day,
    at,
  };
  const channels = [
    resourceScheduleChannel(row.resource_id),
    ...[...new Set([row.service_id, ...services])].map(serviceScheduleChannel),
  ].filter(isValidChannel);
  return channels.map((channel) => ({
    channel,
    event: "slots",
    data,
    key: `appt:${row.id}:v${version}:${type}:${row.resource_id}`,
  }));
}

/** What one committed change announces: the calendars, the staff day view, the customer. */
export function messagesFor(
  type: AppointmentEvent["type"],
  row: AppointmentRow,
  moves: SlotMove[],
  at: string,
): OutboxMessage[] {
  const event: AppointmentEvent = { type, appointment: appointmentView(row) };
  const messages = moves.flatMap((m) => slotMessages(m, Number(row.version), at));
  messages.push({
    channel: STAFF_APPOINTMENTS_CHANNEL,
    event: "appointment",
    data: event,
    key: `appt:${row.id}:v${row.version}:staff`,
  });
  const mine = customerChannel(row.customer_id);
  if (isValidChannel(mine))
    messages.push({
      channel: mine,
      event: "appointment",
      data: event,
      key: `appt:${row.id}:v${row.version}:mine`,
    });
  return messages;
}
