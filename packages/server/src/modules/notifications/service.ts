import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import type { ModuleScheduler } from "../../platform/durable/types.js";
import { isStaffOrServer } from "../../platform/kit/actor.js";
import type { InTransaction } from "../../store/in-transaction.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { emailProvider, pushProvider, smsProvider } from "./channels.js";
import type { NotificationsSettings } from "./config.js";
import type { Delivery } from "./contract.js";
import {
  createDeferrals,
  DIGEST_TASK,
  type DigestPayload,
  ESCALATE_TASK,
  type EscalatePayload,
  RELEASE_TASK,
  type ReleasePayload,
  releaseHeld,
} from "./deferrals.js";
import { createDelivery } from "./delivery.js";
import { escalate } from "./escalation.js";
import { createInbox } from "./inbox.js";
import { createPushSubscriptions, type VapidKeys } from "./push.js";
import { createRules, GRACE_TASK, type GracePayload, type PresenceOf } from "./rules.js";
import type { SendInput } from "./schema.js";
import { type Accepted, createSends } from "./sends.js";
import { stats } from "./stats.js";
import { createTemplates } from "./templates.js";
import { createUsers } from "./users.js";

export interface NotificationsDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  settings: NotificationsSettings;
  logger: Logger;
  vapid: VapidKeys;
  /** PostgreSQL runs several direct send groups at once; SQLite one. */
  dialect?: "sqlite" | "postgres";
  /** Where deferrals live: quiet-hours releases, digests, escalations. */
  scheduler: ModuleScheduler;
  crashPoint(point: string): void;
  /** The clock of sends, quiet hours, digests and retries. */
  clock?: () => Date;
  /** Who is present on a channel (rules that skip a user watching it live). */
  presenceOf?: PresenceOf;
}

/** The notifications module's services; REST routes, rpc and rules call these. */
export function createNotificationsService(deps: NotificationsDeps) {
  const { db, outbox, settings, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const templates = createTemplates(db);
  const users = createUsers(db, deps.dialect ?? "sqlite");
  const inbox = createInbox(db, outbox);
  const deferrals = createDeferrals(deps.scheduler);
  const sends = createSends({
    db,
    outbox,
    settings,
    templates,
    users,
    logger,
    crashPoint: deps.crashPoint,
    clock,
    deferrals,
    wake: () => kick(),
    lanes: deps.dialect === "postgres" ? 4 : 1,
    // a chunk waits on round trips more than on CPU (PostgreSQL); the default 6 leaves 4 of the
    // pool's 10 connections to everything else while a bulk send runs
    chunkLanes: deps.dialect === "postgres" ? settings.sendLanes : 1,
  });
  const delivery = createDelivery({
    db,
    settings,
    logger,
    crashPoint: deps.crashPoint,
    clock,
    providers: {
      push: pushProvider(db, () => ({ ...deps.vapid, subject: settings.vapidSubject })),
      email: emailProvider(settings, users),
      sms: smsProvider(settings, users),
    },
  });
  const push = createPushSubscriptions(db, settings);

  /** One pass of the worker: expand sends, deliver what is due (first tries and retries). */
  async function work(): Promise<void> {
    await sends.process();
    await delivery.run();
  }
  let running = false;
  let again = false;
  /**
   * Starts a pass now (after a send) without waiting for it. A kick during a pass asks for one
   * more, so a send accepted just after the pass looked never waits for the next tick.
   */
  function kick(): void {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void (async () => {
      try {
        for (let i = 0; i < 100; i++) {
          again = false;
          await work();
          if (!again) break;
        }
      } catch (err) {
        logger.error({ err }, "notification worker failed");
      } finally {
        running = false;
      }
    })();
  }
  const rules = createRules(db, sends, logger, kick, {
    ...(deps.presenceOf && { presenceOf: deps.presenceOf }),
    scheduler: deps.scheduler,
    graceMs: settings.chatReplyGraceMs,
  });
  // a rule's grace has passed: decide in the task's transaction (present? read? else send)
  deps.scheduler.register<GracePayload>(GRACE_TASK, async (p, d) => {
    const made = await rules.handle(p.event, p.payload, {
      eventId: p.eventId,
      rule: p.rule,
      trx: d.transaction,
      afterGrace: true,
    });
    if (made) d.afterCommit(kick);
  });
  // The deferrals, each in its task's transaction (never through `db`: SQLite has one
  // connection); what needs `db` (the worker, the outbox flush) runs after the commit.
  deps.scheduler.register<ReleasePayload>(RELEASE_TASK, async (p, d) => {
    if ((await releaseHeld(d.transaction, p)) > 0) d.afterCommit(kick);
  });
  deps.scheduler.register<DigestPayload>(DIGEST_TASK, async (p, d) => {
    const ids = await sends.sendDigest(d.transaction, p);
    d.afterCommit(async () => {
      await outbox.flush(ids);
      kick();
    });
  });
  deps.scheduler.register<EscalatePayload>(ESCALATE_TASK, async (p, d) => {
    const channel = await escalate(d.transaction, p.notificationId, {
      templates,
      users,
      deferrals,
      policy: { afterMs: settings.escalationAfterMs, channels: settings.escalationChannels },
      clock,
    });
    if (channel) d.afterCommit(kick);
  });

  return {
    templates,
    users,
    inbox,
    push,
    rules,
    work,
    kick,
    vapidPublicKey: () => deps.vapid.publicKey,

    async send(
      identity: Identity,
      input: SendInput,
      also?: InTransaction<Accepted>,
    ): Promise<Accepted> {
      // made at once (small) or queued for the worker, which accept wakes
      return sends.accept(identity, input, also ? { also } : {});
    },
    sendStatus: (id: string) => sends.status(id),

    async deliveries(identity: Identity, notificationId: string): Promise<Delivery[]> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "staff or the API key only");
      return delivery.ofNotification(notificationId);
    },

    stats: (days: number) => stats(db, days),
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
