/**
 * What a client of the notifications module needs at run time without zod: error codes, the
 * channel it publishes on and its event names (`@switchboard/server/names/notifications`).
 */

/** Codes the notifications module answers with, beyond the transport's. */
export const notificationErrors = {
  unknown_notification_type: {
    status: 422,
    description:
      "No template of this type exists (neither a built-in default nor one made over REST).",
  },
  push_subscription_limit: {
    status: 409,
    description: "The user already has the most push subscriptions allowed; delete one first.",
  },
  unknown_rule: { status: 404, description: "No notification rule of this name." },
  bad_time_zone: { status: 400, description: "Not an IANA time zone (e.g. Europe/Berlin)." },
} as const;
export type NotificationErrorCodes = typeof notificationErrors;

/** The channels a notification goes out on. */
export const NOTIFICATION_CHANNELS = ["in_app", "push", "email", "sms"] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const NOTIFICATION_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type NotificationPriority = (typeof NOTIFICATION_PRIORITIES)[number];

/** A user's own channel (core `user:`): the inbox lives there. */
export const inboxChannel = (userId: string) => `user:${userId}`;
/** Event on user:{id}: one new notification (the inbox item). */
export const NOTIFICATION_EVENT = "notification";
/** Event on user:{id}: the unread count changed (`{count, version}`; the highest version wins). */
export const UNREAD_EVENT = "unread";
