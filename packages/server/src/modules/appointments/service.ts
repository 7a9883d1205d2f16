import type { Kysely } from "kysely";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { createAvailability } from "./availability.js";
import { createBestTimes } from "./best_times.js";
import { type BookingHooks, createBooking } from "./booking.js";
import { createCatalog } from "./catalog.js";
import type { AppointmentsSettings } from "./config.js";

export interface AppointmentsDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  settings: AppointmentsSettings;
  hooks?: BookingHooks;
  dialect?: "sqlite" | "postgres";
}

/** The module's one service: REST routes and rpc methods both call it. No HTTP, no sockets. */
export function createAppointmentsService(deps: AppointmentsDeps) {
  const catalog = createCatalog(deps.db, { cacheMs: deps.settings.catalogCacheMs });
  const availability = createAvailability(deps.db, catalog, deps.settings);
  const booking = createBooking({ ...deps, catalog, availability });
  const bestTimes = createBestTimes(catalog, availability, deps.settings);
  return { catalog, availability, booking, bestTimes };
}

export type AppointmentsService = ReturnType<typeof createAppointmentsService>;
