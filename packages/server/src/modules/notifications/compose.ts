import { sql, type Transaction } from "kysely";
import { ulid } from "../../ids.js";
import type { OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { NotificationChannel, NotificationPriority, Template } from "./contract.js";
import type { Deferrals } from "./deferrals.js";
import type { EscalationPolicy } from "./escalation.js";
import { lockUnread, notificationMessage, unreadMessage } from "./inbox.js";
import type { NotificationRow } from "./migrations.js";
import { quietUntil } from "./quiet-hours.js";
import { render, renderDeep, renderHtml } from "./render.js";
import type { Recipient } from "./users.js";

/** One notification to make for one recipient. */
export interface NewNotification {
  type: string;
  template: Template;
  data: Record<string, unknown>;
  priority: NotificationPriority;
  category: string;
  channels: readonly NotificationChannel[];
  dedupeKey: string | undefined;
  sendId: string | null;
}

export interface ChannelContent {
  push?: { title: string; body: string; url?: string };
  email?: { subject: string; text: string; html?: string };
  sms?: { text: string };
}

/** What each outside channel sends, rendered once when the notification is made. */
export function renderChannel(
  channel: Exclude<NotificationChannel, "in_app">,
  t: Template,
  data: Record<string, unknown>,
): ChannelContent {
  const title = render(t.inApp.title, data);
  const body = render(t.inApp.body, data);
  switch (channel) {
    case "push": {
      const url = t.push?.url ? render(t.push.url, data) : undefined;
      return {
        push: {
          title: t.push ? render(t.push.title, data) : title,
          body: t.push ? render(t.push.body, data) : body,
          ...(url && { url }),
        },
      };
    }
    case "email":
      return {
        email: t.email
          ? {
              subject: render(t.email.subject, data),
              text: render(t.email.text, data),
              ...(t.email.html && { html: renderHtml(t.email.html, data) }),
            }
          : { subject: title, text: body },
      };
    case "sms":
      return { sms: { text: t.sms ? render(t.sms.text, data) : `${title}: ${body}` } };
  }
}

export interface ComposeOptions {
  at: Date;
  digestWindowMs: number;
  /** The scheduler's tasks: quiet-hours release, digest, escalation. */
  deferrals: Deferrals;
  /** The server's escalation of unread urgent ones (a user's own replaces it). */
  escalation: EscalationPolicy;
}

/**
 * Makes one notification inside the caller's transaction: the channels the recipient has on for
 * its category, the inbox row (announced on user:{id} with the new unread count), and one
 * delivery row per outside channel, due at once or held until the recipient's quiet hours end
 * (a scheduled release; `urgent` ones go at once). A `low` one joins the recipient's digest of
 * its type instead. An `urgent` one shown in the inbox schedules its escalation.
 * A repeat (same send and user, or same dedupeKey and user) makes nothing: the unique indexes
 * refuse it, so a batch run twice after a crash adds nothing.
 */
export async function compose(
  trx: Transaction<Database>,
  recipient: Recipient,
  n: NewNotification,
  opts: ComposeOptions,
): Promise<OutboxMessage[]> {
  const off = recipient.off.get(n.category);
  const channels = n.channels.filter((c) => !off?.has(c));
  if (channels.length === 0) return [];
  const at = opts.at.toISOString();
  if (n.priority === "low" && n.type !== DIGEST_TYPE) {
    await addToDigest(trx, recipient.userId, n, opts);
    return [];
  }
  const inApp = channels.includes("in_app");
  const version = inApp ? await lockUnread(trx, recipient.userId) : 0;
  const row: NotificationRow = {
    id: ulid(),
    user_id: recipient.userId,
    send_id: n.sendId,
    type: n.type,
    template_version: n.template.version,
    category: n.category,
    priority: n.priority,
    title: render(n.template.inApp.title, n.data),
    body: render(n.template.inApp.body, n.data),
    actions: JSON.stringify(renderDeep(n.template.inApp.actions, n.data)),
    data: JSON.stringify(n.data),
    dedupe_key: n.dedupeKey ?? null,
    in_app: inApp ? 1 : 0,
    created_at: at,
    read_at: null,
    archived_at: null,
  };
  const inserted = await trx
    .insertInto("notifications")
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return [];
  const due =
    n.priority === "urgent" || !recipient.quiet
      ? opts.at
      : (quietUntil(opts.at, recipient.quiet, recipient.timeZone ?? "UTC") ?? opts.at);
  const held = due.getTime() > opts.at.getTime();
  const outside = channels.filter(
    (c): c is Exclude<NotificationChannel, "in_app"> => c !== "in_app",
  );
  if (outside.length)
    await trx
      .insertInto("notification_deliveries")
      .values(
        outside.map((channel) => ({
          id: ulid(),
          notification_id: row.id,
          user_id: row.user_id,
          channel,
          status: held ? ("held" as const) : ("pending" as const),
          due_at: due.toISOString(),
          attempts: 0,
          lease_until: null,
          last_error: null,
          sent_at: null,
          content: JSON.stringify(renderChannel(channel, n.template, n.data)),
          created_at: at,
        })),
      )
      .execute();
  if (outside.length && held) await opts.deferrals.release(trx, row.user_id, due);
  const escalation = recipient.escalation ?? opts.escalation;
  if (inApp && n.priority === "urgent" && escalation.channels.length > 0)
    await opts.deferrals.escalate(trx, row.id, new Date(opts.at.getTime() + escalation.afterMs));
  if (!inApp) return [];
  const messages: OutboxMessage[] = [];
  const item = notificationMessage(row);
  if (item) messages.push(item);
  const unread = await unreadMessage(trx, row.user_id, version);
  if (unread) messages.push(unread);
  return messages;
}

export const DIGEST_TYPE = "notifications.digest";

/**
 * Low-priority notifications of one type for one user are collected into one digest whose window
 * opens with its first item and is sent when it ends. The open digest's row is taken with an
 * upsert (the row lock on PostgreSQL, the one writer on SQLite), so an item and the digest's
 * sending never interleave: an item lands in the generation being sent or in the next. Items are
 * keyed by user, type and their own key: items arriving in the same second are one row each, and
 * a retried send adds nothing.
 */
async function addToDigest(
  trx: Transaction<Database>,
  userId: string,
  n: NewNotification,
  opts: ComposeOptions,
): Promise<void> {
  const at = opts.at.toISOString();
  const windowEnd = new Date(opts.at.getTime() + opts.digestWindowMs);
  const generation = ulid();
  const open = await trx
    .insertInto("notification_digests")
    .values({
      id: `${n.type}|${userId}`,
      user_id: userId,
      type: n.type,
      window_end: windowEnd.toISOString(),
      generation,
      created_at: at,
    })
    .onConflict((oc) =>
      oc.column("id").doUpdateSet({ window_end: sql<string>`notification_digests.window_end` }),
    )
    .returning("generation")
    .executeTakeFirstOrThrow();
  // This item opened the window: its end is a scheduled task, with the digest's row.
  if (open.generation === generation)
    await opts.deferrals.digest(trx, { digestId: `${n.type}|${userId}`, generation }, windowEnd);
  await trx
    .insertInto("notification_digest_items")
    .values({
      user_id: userId,
      type: n.type,
      item_key: n.dedupeKey ?? n.sendId ?? ulid(),
      generation: open.generation,
      title: render(n.template.inApp.title, n.data),
      body: render(n.template.inApp.body, n.data),
      created_at: at,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
