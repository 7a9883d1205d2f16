import { type Kysely, sql, type Transaction } from "kysely";
import type { ModuleScheduler } from "../../platform/durable/types.js";
import type { Database } from "../../store/schema.js";

/**
 * What notifications defer to a later time goes through the platform scheduler (`ctx.scheduler`):
 * one durable task per release time, run once on one node, after restarts and kill -9:
 * - `notifications.release`: a user's quiet hours end; their held deliveries become due;
 * - `notifications.digest`: a digest's window ends; it is sent;
 * - `notifications.escalate`: an urgent notification is still unread; the next channel.
 * Each is scheduled in the transaction that makes the deferred thing, so both commit or neither.
 */
export const RELEASE_TASK = "notifications.release";
export const DIGEST_TASK = "notifications.digest";
export const ESCALATE_TASK = "notifications.escalate";

export interface ReleasePayload {
  userId: string;
  /** The deliveries held until this instant (ISO) or earlier. */
  until: string;
}
export interface DigestPayload {
  digestId: string;
  generation: string;
}
export interface EscalatePayload {
  notificationId: string;
}

/** Scheduling, for compose (inside the transaction making the notification). */
export interface Deferrals {
  release(trx: Transaction<Database>, userId: string, until: Date): Promise<void>;
  digest(trx: Transaction<Database>, p: DigestPayload, at: Date): Promise<void>;
  escalate(trx: Transaction<Database>, notificationId: string, at: Date): Promise<void>;
}

const digestKey = (generation: string) => `notifications:digest:${generation}`;

export function createDeferrals(scheduler: ModuleScheduler): Deferrals {
  return {
    release: (trx, userId, until) =>
      scheduler.schedule(trx, {
        task: RELEASE_TASK,
        runAt: until,
        // one task per user and instant: a batch's many held deliveries share it
        key: `notifications:release:${userId}:${until.toISOString()}`,
        payload: { userId, until: until.toISOString() } satisfies ReleasePayload,
      }),
    digest: (trx, p, at) =>
      scheduler.schedule(trx, {
        task: DIGEST_TASK,
        runAt: at,
        key: digestKey(p.generation),
        payload: p,
      }),
    escalate: (trx, notificationId, at) =>
      scheduler.schedule(trx, {
        task: ESCALATE_TASK,
        runAt: at,
        key: `notifications:escalate:${notificationId}`,
        payload: { notificationId } satisfies EscalatePayload,
      }),
  };
}

/** Held deliveries of a user whose release time has come become pending (the worker sends them). */
export async function releaseHeld(trx: Transaction<Database>, p: ReleasePayload): Promise<number> {
  const r = await trx
    .updateTable("notification_deliveries")
    // due now: the scheduler ran it when the window ended (or later, after a restart)
    .set({ status: "pending", due_at: new Date().toISOString() })
    .where("user_id", "=", p.userId)
    .where("status", "=", "held")
    .where("due_at", "<=", p.until)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Startup step (every start, every node): open digests without a scheduled task get one at
 * their window's end. Digests opened before the scheduler carried them (the old worker loop
 * sent them when `window_end` passed) would otherwise never go out after an upgrade. Sending is
 * idempotent per generation, so two nodes adopting the same digest at once send it once.
 */
export async function adoptOpenDigests(
  db: Kysely<Database>,
  scheduler: ModuleScheduler,
): Promise<number> {
  const orphans = await db
    .selectFrom("notification_digests as d")
    .leftJoin("scheduled_tasks as t", (j) =>
      j.on("t.key", "=", sql<string>`${"notifications:digest:"} || d.generation`),
    )
    .select(["d.id", "d.generation", "d.window_end"])
    .where("t.key", "is", null)
    .execute();
  for (const d of orphans)
    await scheduler.schedule(db, {
      task: DIGEST_TASK,
      runAt: new Date(d.window_end),
      key: digestKey(d.generation),
      payload: { digestId: d.id, generation: d.generation } satisfies DigestPayload,
    });
  return orphans.length;
}
