import { sql, type Transaction } from "kysely";
import { ulid } from "../../ids.js";
import type { OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { NotificationChannel, NotificationPriority, Template } from "./contract.js";
import type { Deferrals } from "./deferrals.js";
import type { EscalationPolicy } from "./escalation.js";
import { notificationMessage, unreadMessages } from "./inbox.js";
import type { NotificationRow } from "./migrations.js";
import { wantsAmount, withAmount } from "./money.js";
import { quietUntil } from "./quiet-hours.js";
import { render, renderDeep, renderHtml } from "./render.js";
import { insertRows } from "./rows.js";
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
  /**
   * The recipients' unread versions when the caller took their locks already
   * (users.lockRecipients); absent: taken here for the users with inbox notifications.
   */
  versions?: Map<string, number>;
  /** The variant of a type for a locale, if one was made (read in the batch's transaction). */
  localized?: (
    trx: Transaction<Database>,
    type: string,
    locale: string,
  ) => Promise<Template | undefined>;
}

/** One recipient of a batch, and what to make for them (one object per send: rendered once). */
export interface ToCompose {
  recipient: Recipient;
  n: NewNotification;
}

type Outside = Exclude<NotificationChannel, "in_app">;

const NOTIFICATION_COLUMNS = [
  "id",
  "user_id",
  "send_id",
  "type",
  "template_version",
  "category",
  "priority",
  "title",
  "body",
  "actions",
  "data",
  "dedupe_key",
  "in_app",
  "created_at",
  "read_at",
  "archived_at",
] as const satisfies readonly (keyof NotificationRow)[];
const CHUNK = 500;

async function insertChunked<T>(rows: T[], insert: (chunk: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}

/** Takes every user's unread lock and next version in one statement (user order: no deadlocks). */
async function lockUnreadMany(
  trx: Transaction<Database>,
  userIds: string[],
  at: string,
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  await insertChunked(userIds, async (chunk) => {
    const rows = await trx
      .insertInto("notification_users")
      .values(
        chunk.map((user_id) => ({
          user_id,
          email: null,
          phone: null,
          time_zone: null,
          locale: null,
          quiet_start: null,
          quiet_end: null,
          unread_version: 1,
          updated_at: at,
        })),
      )
      .onConflict((oc) =>
        oc.column("user_id").doUpdateSet({
          unread_version: sql<number>`notification_users.unread_version + 1`,
        }),
      )
      .returning(["user_id", "unread_version"])
      .execute();
    for (const r of rows) versions.set(r.user_id, Number(r.unread_version));
  });
  return versions;
}

/**
 * Makes a batch of notifications inside the caller's transaction, set-based (a handful of
 * statements per batch, not per recipient): for each recipient, the channels they have on for
 * its category; the inbox rows (announced on user:{id}, then one `unread` per user with the
 * count after the batch); one delivery row per outside channel, due at once or held until the
 * recipient's quiet hours end (a scheduled release; `urgent` ones go at once). A `low` one joins
 * the recipient's digest of its type instead. An `urgent` one shown in the inbox schedules its
 * escalation. A repeat (same send and user, or same dedupeKey and user) makes nothing: the
 * unique indexes refuse it, so a batch run twice after a crash adds nothing.
 */
export async function composeMany(
  trx: Transaction<Database>,
  batch: readonly ToCompose[],
  opts: ComposeOptions,
): Promise<OutboxMessage[]> {
  const at = opts.at.toISOString();
  const rendered = new Map<NewNotification, { title: string; body: string; actions: string }>();
  // A recipient with a locale gets its variant of the template, when one exists: one
  // NewNotification per send and locale, so each is rendered once.
  const variants = new Map<string, NewNotification>();
  // An amount in the data (amountMinor + currency) is formatted in the recipient's locale too.
  const localize = async (recipient: Recipient, n: NewNotification) => {
    const money = wantsAmount(n.data);
    if (!money && (!recipient.locale || !opts.localized)) return n;
    const key = `${n.sendId ?? n.type}|${recipient.locale ?? ""}`;
    let v = variants.get(key);
    if (!v) {
      const template =
        recipient.locale && opts.localized
          ? await opts.localized(trx, n.type, recipient.locale)
          : undefined;
      const data = money ? withAmount(n.data, recipient.locale) : n.data;
      v = template || data !== n.data ? { ...n, ...(template && { template }), data } : n;
      variants.set(key, v);
    }
    return v;
  };
  const made: {
    row: NotificationRow;
    recipient: Recipient;
    n: NewNotification;
    channels: NotificationChannel[];
  }[] = [];
  for (const { recipient, n: asked } of batch) {
    const n = await localize(recipient, asked);
    const off = recipient.off.get(n.category);
    const channels = n.channels.filter((c) => !off?.has(c));
    if (channels.length === 0) continue;
    if (n.priority === "low" && n.type !== DIGEST_TYPE) {
      await addToDigest(trx, recipient.userId, n, opts);
      continue;
    }
    let r = rendered.get(n);
    if (!r) {
      r = {
        title: render(n.template.inApp.title, n.data),
        body: render(n.template.inApp.body, n.data),
        actions: JSON.stringify(renderDeep(n.template.inApp.actions, n.data)),
      };
      rendered.set(n, r);
    }
    made.push({
      recipient,
      n,
      channels,
      row: {
        id: ulid(),
        user_id: recipient.userId,
        send_id: n.sendId,
        type: n.type,
        template_version: n.template.version,
        category: n.category,
        priority: n.priority,
        title: r.title,
        body: r.body,
        actions: r.actions,
        data: JSON.stringify(n.data),
        dedupe_key: n.dedupeKey ?? null,
        in_app: channels.includes("in_app") ? 1 : 0,
        created_at: at,
        read_at: null,
        archived_at: null,
      },
    });
  }
  if (made.length === 0) return [];
  const inboxUsers = [
    ...new Set(made.filter((m) => m.row.in_app).map((m) => m.row.user_id)),
  ].sort();
  const versions = opts.versions ?? (await lockUnreadMany(trx, inboxUsers, at));
  const inserted = new Set<string>();
  await insertChunked(made, async (chunk) => {
    const rows = await insertRows<NotificationRow, { id: string }>(
      trx,
      "notifications",
      NOTIFICATION_COLUMNS,
      chunk.map((m) => m.row),
      'on conflict do nothing returning "id"',
    );
    for (const r of rows) inserted.add(r.id);
  });
  const fresh = made.filter((m) => inserted.has(m.row.id));
  const deliveries: Database["notification_deliveries"][] = [];
  const releases = new Map<string, { userId: string; due: Date }>();
  for (const { row, recipient, n, channels } of fresh) {
    const outside = channels.filter((c): c is Outside => c !== "in_app");
    if (outside.length) {
      const due =
        n.priority === "urgent" || !recipient.quiet
          ? opts.at
          : (quietUntil(opts.at, recipient.quiet, recipient.timeZone ?? "UTC") ?? opts.at);
      const held = due.getTime() > opts.at.getTime();
      if (held) releases.set(`${row.user_id}|${due.toISOString()}`, { userId: row.user_id, due });
      for (const channel of outside)
        deliveries.push({
          id: ulid(),
          notification_id: row.id,
          user_id: row.user_id,
          channel,
          status: held ? "held" : "pending",
          due_at: due.toISOString(),
          attempts: 0,
          lease_until: null,
          last_error: null,
          sent_at: null,
          content: JSON.stringify(renderChannel(channel, n.template, n.data)),
          created_at: at,
        });
    }
    const escalation = recipient.escalation ?? opts.escalation;
    if (row.in_app && n.priority === "urgent" && escalation.channels.length > 0)
      await opts.deferrals.escalate(trx, row.id, new Date(opts.at.getTime() + escalation.afterMs));
  }
  await insertChunked(deliveries, async (chunk) => {
    await trx.insertInto("notification_deliveries").values(chunk).execute();
  });
  for (const { userId, due } of releases.values()) await opts.deferrals.release(trx, userId, due);
  // Per user (their inbox channel): their new notifications, then their unread count after
  // them. In a row on one channel, they go out as one outbox row.
  const byChannel = new Map<string, OutboxMessage[]>();
  const add = (m: OutboxMessage) => {
    const list = byChannel.get(m.channel);
    if (list) list.push(m);
    else byChannel.set(m.channel, [m]);
  };
  for (const { row } of fresh) {
    const item = row.in_app ? notificationMessage(row) : undefined;
    if (item) add(item);
  }
  const announced = [...new Set(fresh.filter((m) => m.row.in_app).map((m) => m.row.user_id))];
  for (const unread of await unreadMessages(trx, announced, versions)) add(unread);
  return [...byChannel.values()].flat();
}

/** Makes one notification (a batch of one): see composeMany. */
export function compose(
  trx: Transaction<Database>,
  recipient: Recipient,
  n: NewNotification,
  opts: ComposeOptions,
): Promise<OutboxMessage[]> {
  return composeMany(trx, [{ recipient, n }], opts);
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
