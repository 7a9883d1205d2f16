import type { Kysely } from "kysely";
import webpush from "web-push";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { now } from "../../platform/kit/actor.js";
import type { Database } from "../../store/schema.js";
import type { NotificationsSettings } from "./config.js";
import type { PushSubscriptionInput } from "./schema.js";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The VAPID key pair: from config, else made on first start and kept in the database, so every
 * node of a cluster signs with the same key (browsers subscribed with its public half).
 */
export async function loadVapidKeys(
  db: Kysely<Database>,
  settings: NotificationsSettings,
): Promise<VapidKeys> {
  if (settings.vapid) return settings.vapid;
  const made = webpush.generateVAPIDKeys();
  // The first node to start wins; the others read its pair.
  await db
    .insertInto("notification_settings")
    .values({ name: "vapid", value: JSON.stringify(made) })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .selectFrom("notification_settings")
    .select("value")
    .where("name", "=", "vapid")
    .executeTakeFirstOrThrow();
  return JSON.parse(row.value) as VapidKeys;
}

/**
 * Where push subscriptions may point. The server POSTs to the endpoint a browser gave, so an
 * endpoint is a request the server makes for a user: only https to the push services in
 * SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS (http only to a loopback host listed there, for tests).
 */
export function endpointAllowed(endpoint: string, hosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const host = url.hostname;
  const listed = hosts.some((h) => host === h || host.endsWith(`.${h}`));
  if (!listed) return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (host === "127.0.0.1" || host === "localhost");
}

export function createPushSubscriptions(db: Kysely<Database>, settings: NotificationsSettings) {
  return {
    /** Adds (or moves to this user) a browser's subscription; at most maxPushSubscriptions. */
    async subscribe(identity: Identity, input: PushSubscriptionInput): Promise<{ id: string }> {
      if (!endpointAllowed(input.endpoint, settings.pushHosts))
        throw new SwitchboardError(
          "bad_request",
          "the endpoint is not a push service this server sends to (SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS)",
        );
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom("push_subscriptions")
          .select(["id", "user_id"])
          .where("endpoint", "=", input.endpoint)
          .executeTakeFirst();
        if (existing) {
          await trx
            .updateTable("push_subscriptions")
            .set({ user_id: identity.user, p256dh: input.keys.p256dh, auth: input.keys.auth })
            .where("id", "=", existing.id)
            .execute();
          return { id: existing.id };
        }
        const count = await trx
          .selectFrom("push_subscriptions")
          .select((eb) => eb.fn.countAll<string | number>().as("n"))
          .where("user_id", "=", identity.user)
          .executeTakeFirst();
        if (Number(count?.n ?? 0) >= settings.maxPushSubscriptions)
          throw new SwitchboardError(
            "push_subscription_limit",
            `at most ${settings.maxPushSubscriptions} push subscriptions per user`,
          );
        const id = ulid();
        await trx
          .insertInto("push_subscriptions")
          .values({
            id,
            user_id: identity.user,
            endpoint: input.endpoint,
            p256dh: input.keys.p256dh,
            auth: input.keys.auth,
            created_at: now(),
          })
          .execute();
        return { id };
      });
    },

    async unsubscribe(identity: Identity, endpoint: string): Promise<{ removed: boolean }> {
      const r = await db
        .deleteFrom("push_subscriptions")
        .where("endpoint", "=", endpoint)
        .where("user_id", "=", identity.user)
        .executeTakeFirst();
      return { removed: Number(r.numDeletedRows) > 0 };
    },
  };
}
