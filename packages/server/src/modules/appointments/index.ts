import type { SwitchboardModule } from "../types.js";
import { type AppointmentsSettings, appointmentsConfig } from "./config.js";
import { type AppointmentErrorCodes, appointmentErrors } from "./contract.js";
import { durableHooks, registerTasks } from "./durable.js";
import { appointmentsMigrations } from "./migrations.js";
import { offerPickups } from "./pickup.js";
import { registerAppointmentRoutes } from "./routes.js";
import { registerAppointmentRpc } from "./rpc.js";
import { createAppointmentsService } from "./service.js";

export type {
  Appointment,
  AppointmentChanged,
  AppointmentCheckedIn,
  PickupOffer,
  ReminderPayload,
  ScheduleChange,
} from "./contract.js";
export {
  resourceScheduleChannel,
  STAFF_APPOINTMENTS_CHANNEL,
  serviceScheduleChannel,
} from "./contract.js";
export { HOLD_EXPIRY_TASK } from "./durable.js";
export { type AppointmentSummary, findAppointment } from "./lookup.js";
export { openMinutesBetween } from "./open-time.js";

declare module "../../errors.js" {
  interface ModuleErrorCodes extends AppointmentErrorCodes {}
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Appointments: resources with working hours in their time zone, services, live availability,
 * holds that expire, bookings the database never lets overlap, reschedule/cancel/no-show. Live on
 * schedule:{resourceId}, schedule:service:{serviceId}, staff:appointments and user:{customerId}.
 */
export const appointmentsModule: SwitchboardModule<AppointmentsSettings> = {
  name: "appointments",
  migrations: appointmentsMigrations,
  errors: appointmentErrors,
  config: appointmentsConfig,
  namespaces: [
    {
      // schedule:{resourceId} and schedule:service:{serviceId}: any signed-in user watches a
      // calendar (the events carry no customer data); only the server writes.
      name: "schedule",
      history: { size: 200, ttlMs: DAY },
      presence: false,
      joinLeave: false,
      clientPublish: false,
      recoverable: true,
      signals: [],
      policy: ({ action }) => action === "subscribe" || action === "history",
    },
  ],
  register(ctx) {
    const durable = { events: ctx.events, scheduler: ctx.scheduler, settings: ctx.settings };
    const service = createAppointmentsService({
      db: ctx.db,
      outbox: ctx.outbox,
      settings: ctx.settings,
      dialect: ctx.dialect,
      hooks: durableHooks(durable),
    });
    registerAppointmentRoutes(ctx.http, service, ctx.auth);
    registerAppointmentRpc(ctx.rpc, service);
    registerTasks(durable, service, ctx.outbox, ctx.logger);
    offerPickups(ctx.events, ctx.outbox, ctx.settings, ctx.logger);
  },
};
