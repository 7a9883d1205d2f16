import type { Transaction } from "kysely";
import type { Logger } from "pino";
import type { ModuleEvents, ModuleScheduler } from "../../platform/durable/types.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import {
  appointmentView,
  type BookingNames,
  changedPayload,
  checkedInPayload,
} from "./announce.js";
import type { BookingHooks } from "./booking.js";
import type { AppointmentsSettings } from "./config.js";
import {
  type AppointmentEvent,
  customerChannel,
  REMINDER_TASK,
  type ReminderEvent,
  type ReminderPayload,
} from "./contract.js";
import type { AppointmentRow } from "./migrations.js";
import type { AppointmentsService } from "./service.js";

/**
 * The expiry commits with the task, after this handler returns: the calendars hear of it as soon
 * as the row reads expired (a few polls, bounded); if that never shows — the task rolled back —
 * nothing is published, and what did commit the outbox sweep publishes anyway.
 */
async function flushOnceCommitted(
  booking: AppointmentsService["booking"],
  id: string,
  ids: string[],
  logger: Logger,
): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 25 * Math.min(i + 1, 8)));
    try {
      const row = await booking.load(id);
      if (row.status === "expired") {
        booking.freed(row.resource_id);
        return await booking.flush(ids);
      }
    } catch (err) {
      logger.debug({ err, id }, "expiry flush check failed; the outbox sweep will publish");
      return;
    }
  }
}

/** The names a domain event carries, read through the change's own transaction. */
async function namesIn(trx: Transaction<Database>, row: AppointmentRow): Promise<BookingNames> {
  const service = await trx
    .selectFrom("appointment_services")
    .select(["name", "purpose"])
    .where("id", "=", row.service_id)
    .executeTakeFirst();
  const resource = await trx
    .selectFrom("appointment_resources")
    .select("name")
    .where("id", "=", row.resource_id)
    .executeTakeFirst();
  return {
    serviceName: service?.name ?? row.service_id,
    resourceName: resource?.name ?? row.resource_id,
    purpose: (service?.purpose ?? undefined) as BookingNames["purpose"],
  };
}

export const HOLD_EXPIRY_TASK = "appointments.hold_expiry";
const holdKey = (id: string) => `appointments:hold:${id}`;
const reminderKey = (id: string, minutes: number) => `appointments:reminder:${id}:${minutes}`;

/** The durable domain events of a change (the types notifications and others listen to). */
const EVENT_OF: Partial<Record<AppointmentEvent["type"], string>> = {
  confirmed: "appointment.confirmed",
  rescheduled: "appointment.rescheduled",
  cancelled: "appointment.cancelled",
  no_show: "appointment.no_show",
  checked_in: "appointment.checked_in",
};

interface DurableDeps {
  events: ModuleEvents;
  scheduler: ModuleScheduler;
  settings: AppointmentsSettings;
}

/**
 * What each change does in its own transaction, so it commits with the change or not at all:
 * the domain event; the hold's expiry task (scheduled with the hold, cancelled when it is
 * confirmed or given back); the reminders (scheduled with the booking, moved with it, cancelled
 * with it).
 */
export function durableHooks({ events, scheduler, settings }: DurableDeps): BookingHooks {
  async function remind(trx: Transaction<Database>, row: AppointmentRow): Promise<void> {
    const start = Date.parse(row.starts_at);
    for (const minutes of settings.reminderMinutes) {
      const runAt = new Date(start - minutes * 60_000);
      const key = reminderKey(row.id, minutes);
      if (runAt.getTime() <= Date.now()) await scheduler.cancel(trx, key);
      else {
        const payload: ReminderPayload = {
          appointmentId: row.id,
          minutesBefore: minutes,
          startsAt: row.starts_at,
        };
        await scheduler.schedule(trx, { task: REMINDER_TASK, runAt, key, payload });
      }
    }
  }
  async function forget(trx: Transaction<Database>, row: AppointmentRow): Promise<void> {
    await scheduler.cancel(trx, holdKey(row.id));
    for (const minutes of settings.reminderMinutes)
      await scheduler.cancel(trx, reminderKey(row.id, minutes));
  }

  const expiryOf = (row: AppointmentRow) => ({
    task: HOLD_EXPIRY_TASK,
    runAt: new Date(row.expires_at as string),
    key: holdKey(row.id),
    payload: { appointmentId: row.id },
  });

  return {
    async heldAll(trx, rows) {
      await scheduler.scheduleMany(trx, rows.map(expiryOf));
    },
    async changed(trx, type, row, previous) {
      if (type === "held") await scheduler.schedule(trx, expiryOf(row));
      else if (type === "confirmed") {
        await scheduler.cancel(trx, holdKey(row.id));
        await remind(trx, row);
      } else if (type === "rescheduled") {
        if (row.status === "confirmed") await remind(trx, row);
      } else if (type !== "expired") await forget(trx, row); // released, cancelled, no_show, checked_in
      const eventType = EVENT_OF[type];
      if (!eventType) return;
      const names = await namesIn(trx, row);
      await events.emit(trx, {
        type: eventType,
        aggregate: `appointment:${row.id}`,
        payload:
          type === "checked_in"
            ? checkedInPayload(row, names)
            : changedPayload(row, names, type === "rescheduled" ? previous : undefined),
      });
    },
  };
}

/**
 * The tasks: a hold's expiry (frees the slot; runs on one node, after restarts, again if the
 * node dies mid-way — the expiry is conditional, so twice is once) and a reminder (announced to
 * the customer and as the durable event `appointment.reminder`, in the task's transaction).
 */
export function registerTasks(
  { scheduler, events }: DurableDeps,
  { booking }: AppointmentsService,
  outbox: Outbox,
  logger: Logger,
): void {
  scheduler.register<{ appointmentId: string }>(HOLD_EXPIRY_TASK, async (payload, d) => {
    const { outcome, ids, expiresAt } = await booking.expireIn(
      d.transaction,
      payload.appointmentId,
    );
    if (outcome === "early")
      // a clock ahead of this one ran it: again when the hold is due
      await scheduler.schedule(d.transaction, {
        task: HOLD_EXPIRY_TASK,
        runAt: new Date(expiresAt as string),
        key: d.key,
        payload,
      });
    if (ids.length) void flushOnceCommitted(booking, payload.appointmentId, ids, logger);
  });

  scheduler.register<ReminderPayload>(REMINDER_TASK, async (payload, d) => {
    const row = await d.transaction
      .selectFrom("appointments")
      .selectAll()
      .where("id", "=", payload.appointmentId)
      .executeTakeFirst();
    // cancelled or moved since (a moved booking has its own reminders)
    if (row?.status !== "confirmed" || row.starts_at !== payload.startsAt) {
      logger.debug({ payload }, "reminder for a changed appointment skipped");
      return;
    }
    const data: ReminderEvent = {
      appointment: appointmentView(row),
      minutesBefore: payload.minutesBefore,
    };
    await outbox.enqueue(d.transaction, [
      {
        channel: customerChannel(row.customer_id),
        event: "reminder",
        data,
        key: `appt:${row.id}:reminder:${payload.minutesBefore}:${row.starts_at}`,
      },
    ]);
    await events.emit(d.transaction, {
      type: "appointment.reminder",
      aggregate: `appointment:${row.id}`,
      payload: {
        ...changedPayload(row, await namesIn(d.transaction, row)),
        minutesBefore: payload.minutesBefore,
      },
    });
  });
}
