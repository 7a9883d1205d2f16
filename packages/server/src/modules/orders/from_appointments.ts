import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { z } from "zod";
import type { ModuleEvents } from "../../platform/durable/types.js";
import type { Database } from "../../store/schema.js";
import type { OrdersService } from "./service.js";

/**
 * The part of the appointments module's domain events orders reads (`appointment.confirmed`,
 * `appointment.cancelled`; docs/appointments.md). Parsed, not trusted: an event of another shape
 * is skipped, not retried.
 */
export const appointmentEventSchema = z.object({
  appointmentId: z.string().min(1).max(64),
  status: z.string().max(32).optional(),
  version: z.number().int().optional(),
  orderId: z.string().min(1).max(64).optional(),
  customerId: z.string().min(1).max(255),
  purpose: z.enum(["drop-off", "test-drive", "pickup"]).optional(),
  serviceId: z.string(),
  serviceName: z.string().optional(),
  resourceId: z.string(),
  resourceName: z.string().optional(),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  timeZone: z.string().optional(),
});
export type AppointmentBooked = z.infer<typeof appointmentEventSchema>;

/** Which lifecycle a booking of each purpose starts. */
export const LIFECYCLE_OF_PURPOSE: Record<string, string> = {
  "drop-off": "repair-booking",
  "test-drive": "test-drive",
};

/**
 * Rows written inside a durable handler's transaction commit after the handler returns: publish
 * them once the order reads as committed (bounded polls); if it never does, the outbox sweep
 * publishes whatever did commit.
 */
async function flushOnceVisible(
  db: Kysely<Database>,
  service: OrdersService,
  id: string,
  status: string,
  ids: string[],
): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 25 * Math.min(i + 1, 8)));
    const row = await db
      .selectFrom("orders")
      .select("status")
      .where("id", "=", id)
      .executeTakeFirst()
      .catch(() => undefined);
    if (row?.status === status) return service.flush(ids);
  }
}

/**
 * Appointments → orders, over durable events (at least once, in order per appointment):
 * a confirmed drop-off creates its repair-booking order, a confirmed test drive its test-drive
 * order, both in the lifecycle's `confirmed` state and with the appointment's id as the order's
 * id (so a repeated event finds it made); cancelling the appointment cancels an order still
 * `pending`/`requested`/`confirmed`. The order shows its appointment (`details.appointment`) and a
 * repair's pickup booking (`details.pickup`, a booking made with the order's id), kept in step
 * on reschedule, cancel and no-show, each change announced as `appointment` on order:{id}.
 */
export function listenToAppointments(
  events: ModuleEvents,
  service: OrdersService,
  db: Kysely<Database>,
  logger: Logger,
): void {
  const parse = (payload: unknown, type: string): AppointmentBooked | undefined => {
    const parsed = appointmentEventSchema.safeParse(payload);
    if (!parsed.success) logger.warn({ type, issues: parsed.error.issues }, "event skipped");
    return parsed.success ? parsed.data : undefined;
  };

  events.on("appointment.confirmed", "orders.from_appointment", async (event, d) => {
    const booked = parse(event.payload, event.type);
    const lifecycle = booked?.purpose && LIFECYCLE_OF_PURPOSE[booked.purpose];
    if (!booked || !lifecycle) return;
    const made = await service.createFromAppointment(d.transaction, booked, lifecycle);
    if (made) void flushOnceVisible(db, service, made.id, made.status, made.ids);
    else await link(d.transaction, booked);
  });
  // a pickup booked for a repair order: that order shows it
  events.on("appointment.confirmed", "orders.pickup_booked", async (event, d) => {
    const booked = parse(event.payload, event.type);
    if (booked?.purpose === "pickup") await link(d.transaction, booked);
  });

  events.on("appointment.rescheduled", "orders.appointment_rescheduled", async (event, d) => {
    const booked = parse(event.payload, event.type);
    if (booked) await link(d.transaction, booked);
  });

  events.on("appointment.no_show", "orders.appointment_no_show", async (event, d) => {
    const booked = parse(event.payload, event.type);
    if (booked) await link(d.transaction, booked);
  });

  events.on("appointment.cancelled", "orders.appointment_cancelled", async (event, d) => {
    const booked = parse(event.payload, event.type);
    if (!booked) return;
    if (booked.purpose && LIFECYCLE_OF_PURPOSE[booked.purpose]) {
      const moved = await service.cancelFromAppointment(
        d.transaction as Transaction<Database>,
        booked,
      );
      if (moved) void flushOnceVisible(db, service, moved.id, moved.status, moved.ids);
    }
    await link(d.transaction, booked);
  });

  /** The order a booking belongs to shows it as it is now (published after the commit). */
  async function link(trx: Transaction<Database>, booked: AppointmentBooked): Promise<void> {
    const target =
      booked.purpose === "pickup"
        ? booked.orderId && { orderId: booked.orderId, role: "pickup" as const }
        : booked.purpose && LIFECYCLE_OF_PURPOSE[booked.purpose]
          ? { orderId: booked.appointmentId, role: "booking" as const }
          : undefined;
    if (!target) return;
    const linked = await service.linkAppointment(trx, target.orderId, target.role, booked);
    if (linked) void flushWhenLinked(db, service, target.orderId, linked);
  }
}

/** Like flushOnceVisible, for a details change: publish once the new details read back. */
async function flushWhenLinked(
  db: Kysely<Database>,
  service: OrdersService,
  id: string,
  linked: { details: string; ids: string[] },
): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 25 * Math.min(i + 1, 8)));
    const row = await db
      .selectFrom("orders")
      .select("details")
      .where("id", "=", id)
      .executeTakeFirst()
      .catch(() => undefined);
    if (row?.details === linked.details) return service.flush(linked.ids);
  }
}
