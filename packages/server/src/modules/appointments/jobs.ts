import type { JobRunner } from "../../jobs/runner.js";
import type { Booking } from "./booking.js";

export const HOLD_EXPIRY_JOB = "appointments-hold-expiry";
/** Holds that ran out are freed within about this long (plus a lease handover after a crash). */
export const HOLD_EXPIRY_INTERVAL_MS = 1000;

/**
 * Hold expiry as a sweep on the jobs runner. The deadline is stored with the hold, so holds that
 * ran out while every node was down are freed at the first sweep after start-up. The lease makes
 * one node sweep at a time; correctness rests on each expiry being a conditional update.
 */
export function addAppointmentJobs(jobs: JobRunner, booking: Booking): void {
  jobs.add({
    name: HOLD_EXPIRY_JOB,
    intervalMs: HOLD_EXPIRY_INTERVAL_MS,
    run: async () => void (await booking.expireDue()),
  });
}
