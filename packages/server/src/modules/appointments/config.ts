import { z } from "zod";
import { int, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

export interface AppointmentsSettings {
  /** How long a hold keeps its slot before it expires. */
  holdMs: number;
  /** Slot starts are this far apart within working hours. */
  slotStepMinutes: number;
  /** Customers may cancel or reschedule until this long before the start; staff any time. */
  changeWindowMs: number;
  /** Reminders go out this many minutes before the start (one per entry). */
  reminderMinutes: number[];
  /** Longest date range one slot search may cover. */
  maxRangeDays: number;
  /** How long a node may use services and resources it read (another node's edit shows after this). */
  catalogCacheMs: number;
  /** How long a node refuses a time it found taken without reading again (taken.ts). */
  takenCacheMs: number;
}

const minutesList = z
  .string()
  .regex(/^\d+(,\d+)*$/, "must be minutes separated by commas (1440,60)")
  .transform((v) => [...new Set(v.split(",").map(Number))].filter((n) => n > 0));

/** The appointments module's section of the configuration (docs/configuration.md, "Appointments"). */
export const appointmentsConfig = defineModuleConfig(
  z.object({
    SWITCHBOARD_APPOINTMENTS_HOLD_SECONDS: withDefault(int(5, 3600), 300),
    SWITCHBOARD_APPOINTMENTS_SLOT_STEP_MINUTES: withDefault(
      int(5, 240).refine((n) => n % 5 === 0, "must be a multiple of 5"),
      15,
    ),
    SWITCHBOARD_APPOINTMENTS_CHANGE_WINDOW_MINUTES: withDefault(int(0, 60 * 24 * 30), 120),
    SWITCHBOARD_APPOINTMENTS_REMINDER_MINUTES: optional(minutesList),
    SWITCHBOARD_APPOINTMENTS_MAX_RANGE_DAYS: withDefault(int(1, 366), 31),
    SWITCHBOARD_APPOINTMENTS_CATALOG_CACHE_MS: withDefault(int(0, 60_000), 1000),
    SWITCHBOARD_APPOINTMENTS_TAKEN_CACHE_MS: withDefault(int(0, 10_000), 500),
  }),
  (e): AppointmentsSettings => ({
    holdMs: e.SWITCHBOARD_APPOINTMENTS_HOLD_SECONDS * 1000,
    slotStepMinutes: e.SWITCHBOARD_APPOINTMENTS_SLOT_STEP_MINUTES,
    changeWindowMs: e.SWITCHBOARD_APPOINTMENTS_CHANGE_WINDOW_MINUTES * 60_000,
    reminderMinutes: e.SWITCHBOARD_APPOINTMENTS_REMINDER_MINUTES ?? [1440, 60],
    maxRangeDays: e.SWITCHBOARD_APPOINTMENTS_MAX_RANGE_DAYS,
    catalogCacheMs: e.SWITCHBOARD_APPOINTMENTS_CATALOG_CACHE_MS,
    takenCacheMs: e.SWITCHBOARD_APPOINTMENTS_TAKEN_CACHE_MS,
  }),
);
