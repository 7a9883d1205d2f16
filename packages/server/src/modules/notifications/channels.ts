import { createHmac } from "node:crypto";
import type { Kysely } from "kysely";
import nodemailer from "nodemailer";
import webpush from "web-push";
import type { Database } from "../../store/schema.js";
import type { ChannelContent } from "./compose.js";
import type { NotificationsSettings } from "./config.js";
import type { NotificationDeliveryRow } from "./migrations.js";
import type { Users } from "./users.js";

/**
 * What one attempt on an outside channel came to. `skipped`: there is nothing to send to (no
 * address, no subscription, the channel not configured): final, not an error to retry.
 */
export type Outcome =
  | { ok: true }
  | { ok: false; error: string; final?: boolean }
  | { skipped: string };

/** A channel's provider: push, email and SMS ship; another (Twilio…) plugs in the same way. */
export interface ChannelProvider {
  send(delivery: NotificationDeliveryRow, content: ChannelContent): Promise<Outcome>;
}

const TIMEOUT_MS = 10_000;

/** Web Push: every subscription of the user, encrypted (aes128gcm) and signed (VAPID) by web-push. */
export function pushProvider(
  db: Kysely<Database>,
  vapid: () => { publicKey: string; privateKey: string; subject: string },
): ChannelProvider {
  return {
    async send(delivery, content) {
      if (!content.push) return { skipped: "no push content" };
      const subs = await db
        .selectFrom("push_subscriptions")
        .selectAll()
        .where("user_id", "=", delivery.user_id)
        .execute();
      if (subs.length === 0) return { skipped: "no push subscription" };
      const payload = JSON.stringify({
        id: delivery.notification_id,
        title: content.push.title,
        body: content.push.body,
        ...(content.push.url && { url: content.push.url }),
      });
      const keys = vapid();
      const errors: string[] = [];
      let delivered = 0;
      for (const sub of subs) {
        // web-push encrypts and signs; the request goes out with fetch (web-push's own client
        // speaks https only, and fetch gives a timeout and the same code path for tests).
        const details = webpush.generateRequestDetails(
          { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
          payload,
          {
            vapidDetails: {
              subject: keys.subject,
              publicKey: keys.publicKey,
              privateKey: keys.privateKey,
            },
            TTL: 24 * 3600,
            contentEncoding: "aes128gcm",
            // the push service keeps only the newest message of one topic: a repeat replaces
            topic: delivery.id.slice(-26).replace(/[^A-Za-z0-9_-]/g, ""),
          },
        );
        try {
          const res = await fetch(details.endpoint, {
            method: "POST",
            headers: details.headers as Record<string, string>,
            body: new Uint8Array(details.body as Buffer),
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          await res.arrayBuffer();
          if (res.status === 404 || res.status === 410) {
            // The browser unsubscribed or the subscription expired: never send there again.
            await db.deleteFrom("push_subscriptions").where("id", "=", sub.id).execute();
            errors.push(`subscription gone (${res.status})`);
          } else if (res.ok) delivered++;
          else errors.push(`push service answered ${res.status}`);
        } catch (error) {
          errors.push(`push service unreachable: ${(error as Error).message}`);
        }
      }
      if (delivered > 0) return { ok: true };
      if (errors.every((e) => e.startsWith("subscription gone")))
        return { skipped: errors.join("; ") };
      return { ok: false, error: errors.join("; ") };
    },
  };
}

/** Email over SMTP (nodemailer): text and, when the template has one, HTML. */
export function emailProvider(settings: NotificationsSettings, users: Users): ChannelProvider {
  const transport = settings.smtpUrl
    ? nodemailer.createTransport(
        `${settings.smtpUrl}${settings.smtpUrl.includes("?") ? "&" : "?"}connectionTimeout=${TIMEOUT_MS}&socketTimeout=${TIMEOUT_MS}`,
      )
    : undefined;
  return {
    async send(delivery, content) {
      if (!transport) return { skipped: "SWITCHBOARD_NOTIFICATIONS_SMTP_URL is not set" };
      if (!content.email) return { skipped: "no email content" };
      const { email } = await users.addresses(delivery.user_id);
      if (!email) return { skipped: "no email address" };
      try {
        await transport.sendMail({
          from: settings.emailFrom,
          to: email,
          subject: content.email.subject,
          text: content.email.text,
          ...(content.email.html && { html: content.email.html }),
          // One id per delivery: a repeat after a crash is recognisably the same message.
          messageId: `<${delivery.id}@switchboard.notifications>`,
        });
        return { ok: true };
      } catch (error) {
        const e = error as Error & { responseCode?: number };
        // 5xx from the server is a permanent refusal (bad address): retrying will not help.
        return { ok: false, error: e.message, final: (e.responseCode ?? 0) >= 500 };
      }
    },
  };
}

/**
 * SMS through a provider webhook: a JSON POST signed with HMAC-SHA256 over `timestamp.body`
 * (header `x-switchboard-signature: t=<unix>,v1=<hex>`), with the delivery id as the
 * `idempotency-key` so the provider can drop a repeat.
 */
export function smsProvider(settings: NotificationsSettings, users: Users): ChannelProvider {
  return {
    async send(delivery, content) {
      if (!settings.smsWebhookUrl)
        return { skipped: "SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_URL is not set" };
      if (!content.sms) return { skipped: "no sms content" };
      const { phone } = await users.addresses(delivery.user_id);
      if (!phone) return { skipped: "no phone number" };
      const body = JSON.stringify({
        to: phone,
        text: content.sms.text,
        notificationId: delivery.notification_id,
        deliveryId: delivery.id,
      });
      const t = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "idempotency-key": delivery.id,
      };
      if (settings.smsWebhookSecret)
        headers["x-switchboard-signature"] =
          `t=${t},v1=${createHmac("sha256", settings.smsWebhookSecret).update(`${t}.${body}`).digest("hex")}`;
      try {
        const res = await fetch(settings.smsWebhookUrl, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (res.ok) return { ok: true };
        return {
          ok: false,
          error: `SMS provider answered ${res.status}`,
          final: res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408,
        };
      } catch (error) {
        return { ok: false, error: `SMS provider unreachable: ${(error as Error).message}` };
      }
    },
  };
}
