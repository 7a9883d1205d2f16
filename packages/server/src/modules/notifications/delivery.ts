import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../../store/schema.js";
import type { ChannelProvider, Outcome } from "./channels.js";
import type { ChannelContent } from "./compose.js";
import type { NotificationsSettings } from "./config.js";
import type { Delivery, NotificationChannel } from "./contract.js";
import type { NotificationDeliveryRow } from "./migrations.js";

/** How long a claimed delivery stays claimed: a worker that died leaves it to the next after this. */
const LEASE_MS = 30_000;
const PARALLEL = 8;

export interface DeliveryDeps {
  db: Kysely<Database>;
  settings: NotificationsSettings;
  providers: Partial<Record<NotificationChannel, ChannelProvider>>;
  logger: Logger;
  crashPoint(point: string): void;
  clock(): Date;
}

/**
 * The delivery worker: claims due deliveries one by one with a conditional update (pending →
 * sending, with a lease), sends, records the attempt, and marks the result: sent, failed after
 * maxAttempts, or pending again after a backoff (retryBaseMs × 2^(attempt-1)). A claim is one
 * statement, so two workers (two nodes) never send the same delivery at once. If a worker dies
 * between the send and the mark, the lease runs out and the delivery is sent again with the same
 * id (email Message-ID, SMS idempotency-key, push topic) for the receiver to recognise.
 */
export function createDelivery(deps: DeliveryDeps) {
  const { db, settings, providers } = deps;

  async function deliverOne(row: NotificationDeliveryRow): Promise<void> {
    const at = deps.clock();
    const claimed = await db
      .updateTable("notification_deliveries")
      .set((eb) => ({
        status: "sending",
        attempts: eb("attempts", "+", 1),
        lease_until: new Date(at.getTime() + LEASE_MS).toISOString(),
      }))
      .where("id", "=", row.id)
      .where("status", "=", "pending")
      .where("due_at", "<=", at.toISOString())
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return; // another worker has it
    const attempt = row.attempts + 1;
    const provider = providers[row.channel as NotificationChannel];
    let outcome: Outcome;
    try {
      outcome = provider
        ? await provider.send(row, JSON.parse(row.content) as ChannelContent)
        : { skipped: `no provider for ${row.channel}` };
    } catch (error) {
      outcome = { ok: false, error: (error as Error).message };
    }
    deps.crashPoint("notifications.after-send");
    const done = deps.clock().toISOString();
    let set: Partial<NotificationDeliveryRow>;
    if ("skipped" in outcome)
      set = { status: "skipped", last_error: outcome.skipped, lease_until: null };
    else if (outcome.ok)
      set = { status: "sent", sent_at: done, last_error: null, lease_until: null };
    else if (outcome.final || attempt >= settings.maxAttempts)
      set = { status: "failed", last_error: outcome.error, lease_until: null };
    else
      set = {
        status: "pending",
        last_error: outcome.error,
        lease_until: null,
        due_at: new Date(Date.now() + settings.retryBaseMs * 2 ** (attempt - 1)).toISOString(),
      };
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("notification_attempts")
        .values({
          delivery_id: row.id,
          attempt,
          at: done,
          ok: "ok" in outcome && outcome.ok ? 1 : 0,
          error:
            "skipped" in outcome
              ? `skipped: ${outcome.skipped}`
              : outcome.ok
                ? null
                : outcome.error,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .updateTable("notification_deliveries")
        .set(set)
        .where("id", "=", row.id)
        .where("status", "=", "sending")
        .execute();
    });
    if (set.status === "failed")
      deps.logger.warn(
        { delivery: row.id, channel: row.channel, error: set.last_error },
        "notification delivery failed",
      );
  }

  let busy: Promise<number> | undefined;
  async function run(maxRounds = 20): Promise<number> {
    let sent = 0;
    const now = deps.clock().toISOString();
    // Claims of a worker that died: back to pending (their attempt counted).
    await db
      .updateTable("notification_deliveries")
      .set({ status: "pending", lease_until: null })
      .where("status", "=", "sending")
      .where("lease_until", "<", now)
      .execute();
    for (let round = 0; round < maxRounds; round++) {
      const due = await db
        .selectFrom("notification_deliveries")
        .selectAll()
        .where("status", "=", "pending")
        .where("due_at", "<=", deps.clock().toISOString())
        .orderBy("due_at")
        .limit(100)
        .execute();
      if (due.length === 0) break;
      for (let i = 0; i < due.length; i += PARALLEL) {
        await Promise.all(due.slice(i, i + PARALLEL).map((row) => deliverOne(row)));
      }
      sent += due.length;
    }
    return sent;
  }

  return {
    /** One run at a time per process. */
    run(): Promise<number> {
      if (busy) return busy;
      busy = run().finally(() => {
        busy = undefined;
      });
      return busy;
    },

    async ofNotification(notificationId: string): Promise<Delivery[]> {
      const rows = await db
        .selectFrom("notification_deliveries")
        .selectAll()
        .where("notification_id", "=", notificationId)
        .orderBy("channel")
        .execute();
      return rows.map((r) => ({
        channel: r.channel as NotificationChannel,
        status: r.status,
        attempts: r.attempts,
        dueAt: r.due_at,
        sentAt: r.sent_at,
        lastError: r.last_error,
      }));
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDelivery>;
