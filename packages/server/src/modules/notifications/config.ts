import { z } from "zod";
import { httpUrl, int, list, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

export interface NotificationsSettings {
  /** Recipients expanded per transaction of a bulk send. */
  batchSize: number;
  /** A large send's chunks made at once on PostgreSQL (SQLite: one, its single writer). */
  sendLanes: number;
  /** Most recipients one send may name. */
  maxRecipients: number;
  /** Attempts per delivery (push, email, SMS) before it is `failed`. */
  maxAttempts: number;
  /** First retry after this; each next one waits twice as long. */
  retryBaseMs: number;
  /** How often the worker looks for due deliveries and unfinished sends. */
  workerIntervalMs: number;
  /** `low` notifications of one type within this window become one digest. */
  digestWindowMs: number;
  /** An `urgent` notification unread this long goes out on the next escalation channel. */
  escalationAfterMs: number;
  /**
   * A chat reply notifies the customer only if, this long after it, they are not on the
   * conversation and have not read it (0: decided when the reply is heard).
   */
  chatReplyGraceMs: number;
  /** The escalation chain, in order (a user may set their own in their preferences). */
  escalationChannels: ("push" | "email" | "sms")[];
  vapid?: { publicKey: string; privateKey: string } | undefined;
  vapidSubject: string;
  smtpUrl?: string | undefined;
  emailFrom: string;
  smsWebhookUrl?: string | undefined;
  smsWebhookSecret?: string | undefined;
  /** Most push subscriptions per user. */
  maxPushSubscriptions: number;
  /** Hosts (and their subdomains) push subscriptions may point at. */
  pushHosts: string[];
}

/** The browsers' push services (Chrome, Firefox, Edge, Safari). */
export const PUSH_SERVICES = [
  "fcm.googleapis.com",
  "push.services.mozilla.com",
  "notify.windows.com",
  "push.apple.com",
];

const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "must be base64url (web-push generate-vapid-keys)");

/** The notifications module's section of the configuration (docs/configuration.md, "Notifications"). */
export const notificationsConfig = defineModuleConfig(
  z
    .object({
      SWITCHBOARD_NOTIFICATIONS_BATCH_SIZE: withDefault(int(1, 10_000), 100),
      SWITCHBOARD_NOTIFICATIONS_SEND_LANES: withDefault(int(1, 8), 6),
      SWITCHBOARD_NOTIFICATIONS_MAX_RECIPIENTS: withDefault(int(1, 1_000_000), 100_000),
      SWITCHBOARD_NOTIFICATIONS_MAX_ATTEMPTS: withDefault(int(1, 20), 3),
      SWITCHBOARD_NOTIFICATIONS_RETRY_BASE_MS: withDefault(int(10, 3_600_000), 5000),
      SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: withDefault(int(50, 60_000), 1000),
      SWITCHBOARD_NOTIFICATIONS_DIGEST_WINDOW_MS: withDefault(int(1000, 7 * 86_400_000), 3_600_000),
      SWITCHBOARD_NOTIFICATIONS_ESCALATION_AFTER_MS: withDefault(
        int(1000, 7 * 86_400_000),
        15 * 60_000,
      ),
      SWITCHBOARD_NOTIFICATIONS_CHAT_REPLY_GRACE_MS: withDefault(int(0, 3_600_000), 30_000),
      SWITCHBOARD_NOTIFICATIONS_ESCALATION_CHANNELS: optional(
        list(/^(push|email|sms)$/, "push, email or sms"),
      ),
      SWITCHBOARD_NOTIFICATIONS_VAPID_PUBLIC_KEY: optional(base64url),
      SWITCHBOARD_NOTIFICATIONS_VAPID_PRIVATE_KEY: optional(base64url),
      SWITCHBOARD_NOTIFICATIONS_VAPID_SUBJECT: withDefault(
        z.string().regex(/^(mailto:|https:\/\/)/, "must be a mailto: or https: URL"),
        "mailto:admin@localhost",
      ),
      SWITCHBOARD_NOTIFICATIONS_SMTP_URL: optional(
        z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }),
      ),
      SWITCHBOARD_NOTIFICATIONS_EMAIL_FROM: withDefault(
        z.string().min(3),
        "Switchboard <noreply@localhost>",
      ),
      SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_URL: optional(httpUrl()),
      SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_SECRET: optional(z.string().min(16)),
      SWITCHBOARD_NOTIFICATIONS_MAX_PUSH_SUBSCRIPTIONS: withDefault(int(1, 100), 5),
      SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS: optional(list(/^[a-z0-9.-]+$/, "a host name")),
    })
    .refine(
      (e) =>
        (e.SWITCHBOARD_NOTIFICATIONS_VAPID_PUBLIC_KEY === undefined) ===
        (e.SWITCHBOARD_NOTIFICATIONS_VAPID_PRIVATE_KEY === undefined),
      {
        message: "set both VAPID keys or neither",
        path: ["SWITCHBOARD_NOTIFICATIONS_VAPID_PRIVATE_KEY"],
      },
    ),
  (e): NotificationsSettings => ({
    batchSize: e.SWITCHBOARD_NOTIFICATIONS_BATCH_SIZE,
    sendLanes: e.SWITCHBOARD_NOTIFICATIONS_SEND_LANES,
    maxRecipients: e.SWITCHBOARD_NOTIFICATIONS_MAX_RECIPIENTS,
    maxAttempts: e.SWITCHBOARD_NOTIFICATIONS_MAX_ATTEMPTS,
    retryBaseMs: e.SWITCHBOARD_NOTIFICATIONS_RETRY_BASE_MS,
    workerIntervalMs: e.SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS,
    digestWindowMs: e.SWITCHBOARD_NOTIFICATIONS_DIGEST_WINDOW_MS,
    escalationAfterMs: e.SWITCHBOARD_NOTIFICATIONS_ESCALATION_AFTER_MS,
    chatReplyGraceMs: e.SWITCHBOARD_NOTIFICATIONS_CHAT_REPLY_GRACE_MS,
    escalationChannels: (e.SWITCHBOARD_NOTIFICATIONS_ESCALATION_CHANNELS as
      | ("push" | "email" | "sms")[]
      | undefined) ?? ["push", "email", "sms"],
    vapid:
      e.SWITCHBOARD_NOTIFICATIONS_VAPID_PUBLIC_KEY && e.SWITCHBOARD_NOTIFICATIONS_VAPID_PRIVATE_KEY
        ? {
            publicKey: e.SWITCHBOARD_NOTIFICATIONS_VAPID_PUBLIC_KEY,
            privateKey: e.SWITCHBOARD_NOTIFICATIONS_VAPID_PRIVATE_KEY,
          }
        : undefined,
    vapidSubject: e.SWITCHBOARD_NOTIFICATIONS_VAPID_SUBJECT,
    smtpUrl: e.SWITCHBOARD_NOTIFICATIONS_SMTP_URL,
    emailFrom: e.SWITCHBOARD_NOTIFICATIONS_EMAIL_FROM,
    smsWebhookUrl: e.SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_URL,
    smsWebhookSecret: e.SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_SECRET,
    maxPushSubscriptions: e.SWITCHBOARD_NOTIFICATIONS_MAX_PUSH_SUBSCRIPTIONS,
    pushHosts: e.SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS ?? PUSH_SERVICES,
  }),
);
