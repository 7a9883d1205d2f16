import type { JobRunner } from "../../jobs/runner.js";
import type { InventoryService } from "./service.js";

export const EXPIRY_JOB = "inventory-expiry";
export const RETENTION_JOB = "inventory-retention";
/** Overdue reservations are released within about this long (plus a lease handover after a crash). */
export const EXPIRY_INTERVAL_MS = 1000;

/**
 * Background work of the module. The lease makes one node do it at a time (less wasted work);
 * correctness does not rest on it: each expiry is a conditional UPDATE (`WHERE status = 'active'
 * AND expires_at <= now`), so two sweepers, or a sweeper racing a commit, never both win.
 * Deadlines are stored, so reservations that fell due while the server was down go at start-up.
 */
export function addInventoryJobs(jobs: JobRunner, service: InventoryService): void {
  jobs.add({
    name: EXPIRY_JOB,
    intervalMs: EXPIRY_INTERVAL_MS,
    run: async () => void (await service.reservations.expireDue()),
  });
  jobs.add({
    name: RETENTION_JOB,
    intervalMs: 60 * 60 * 1000,
    run: async () => void (await service.retention()),
  });
}
