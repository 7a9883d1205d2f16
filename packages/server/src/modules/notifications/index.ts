import type { DomainEvents } from "../../events.js";
import type { SwitchboardModule } from "../types.js";
import { type NotificationsSettings, notificationsConfig } from "./config.js";
import { type NotificationErrorCodes, notificationErrors } from "./contract.js";
import { adoptOpenDigests } from "./deferrals.js";
import { notificationsMigrations } from "./migrations.js";
import { loadVapidKeys } from "./push.js";
import { registerNotificationRoutes } from "./routes.js";
import { registerNotificationRpc } from "./rpc.js";
import { ruleFires } from "./rules.js";
import { createNotificationsService } from "./service.js";

export type { Notification, Unread } from "./contract.js";
export { inboxChannel, NOTIFICATION_EVENT, UNREAD_EVENT } from "./contract.js";

declare module "../../errors.js" {
  interface ModuleErrorCodes extends NotificationErrorCodes {}
}

/**
 * Notifications: templates, sends (one user or many, in batches), an inbox live on user:{sub},
 * Web Push, email and SMS with retries, preferences, quiet hours, digests, and rules that turn
 * other modules' domain events into notifications. It owns no namespace: the inbox is the
 * core's user:{sub}.
 */
export const notificationsModule: SwitchboardModule<NotificationsSettings> = {
  name: "notifications",
  migrations: notificationsMigrations,
  errors: notificationErrors,
  config: notificationsConfig,
  async register(ctx) {
    const service = createNotificationsService({
      db: ctx.db,
      dialect: ctx.dialect,
      outbox: ctx.outbox,
      settings: ctx.settings,
      logger: ctx.logger,
      vapid: await loadVapidKeys(ctx.db, ctx.settings),
      crashPoint: ctx.crashPoint,
      scheduler: ctx.scheduler,
      presenceOf: async (channel) => (await ctx.broker.presence(channel)).map((m) => m.user),
    });
    // digests an older version left to its worker loop: onto the scheduler
    const adopted = await adoptOpenDigests(ctx.db, ctx.scheduler);
    if (adopted) ctx.logger.info({ adopted }, "open digests scheduled");
    registerNotificationRoutes(ctx.http, service, ctx.auth);
    registerNotificationRpc(ctx.rpc, service);
    for (const rule of service.rules.definitions.filter((r) => !r.local)) {
      // Durable: at least once, after the emitter's commit; the send commits with the event.
      ctx.events.on(
        `${rule.event}`,
        `notifications.${rule.name}`,
        async (event, d) => {
          await service.rules.handle(rule.event, event.payload, {
            eventId: event.id,
            rule: rule.name,
            trx: d.transaction,
          });
          d.afterCommit(service.kick); // the send is committed: expand it now, not at the tick
        },
        // e.g. a customer's own chat message: no delivery, since the rule could never fire on it
        { when: (payload) => ruleFires(rule, payload) },
      );
    }
    // Events their module still announces in process only.
    for (const event of new Set(
      service.rules.definitions.filter((r) => r.local).map((r) => r.event),
    ))
      ctx.events.local.on(event as keyof DomainEvents, async (payload: unknown) => {
        await service.rules.handle(event, payload);
      });
    // A read (chat's in-process `chat.read`) cancels the reply grace it covers at once.
    for (const event of service.rules.cancelEvents)
      ctx.events.local.on(event as keyof DomainEvents, async (read: unknown) => {
        await service.rules.cancelGraces(event, read);
      });
    // Whatever a kick missed (another node's sends, retries coming due, a restart): each tick.
    ctx.jobs.add({
      name: "notifications-worker",
      intervalMs: ctx.settings.workerIntervalMs,
      run: service.work,
    });
  },
};
