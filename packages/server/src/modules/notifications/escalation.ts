import type { Transaction } from "kysely";
import { ulid } from "../../ids.js";
import type { Database } from "../../store/schema.js";
import { renderChannel } from "./compose.js";
import type { NotificationChannel, Template } from "./contract.js";
import type { Deferrals } from "./deferrals.js";
import type { Templates } from "./templates.js";
import type { Users } from "./users.js";

type Outside = Exclude<NotificationChannel, "in_app">;

/** When and where an unread urgent notification goes next. */
export interface EscalationPolicy {
  afterMs: number;
  /** Tried in this order; a channel it already went out on is passed over. */
  channels: readonly Outside[];
}

/** Whether the user can be reached on a channel at all (an address, a push subscription). */
async function reachable(
  trx: Transaction<Database>,
  userId: string,
  channel: Outside,
): Promise<boolean> {
  if (channel === "push")
    return Boolean(
      await trx
        .selectFrom("push_subscriptions")
        .select("id")
        .where("user_id", "=", userId)
        .executeTakeFirst(),
    );
  const u = await trx
    .selectFrom("notification_users")
    .select(["email", "phone"])
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return Boolean(channel === "email" ? u?.email : u?.phone);
}

export interface EscalationDeps {
  templates: Templates;
  users: Users;
  deferrals: Deferrals;
  /** The server's policy; a user's own (preferences) replaces it. */
  policy: EscalationPolicy;
  clock(): Date;
}

/**
 * One escalation step, in the scheduled task's transaction: if the urgent notification is still
 * unread (and not archived), it goes out on the next channel of the chain that it has not gone
 * out on, that the user has on for its category and can be reached on; the step after is
 * scheduled while channels remain. Returns the channel it went to, if any. A delivery row is
 * unique per notification and channel, so a step run twice adds nothing.
 */
export async function escalate(
  trx: Transaction<Database>,
  notificationId: string,
  deps: EscalationDeps,
): Promise<Outside | undefined> {
  const n = await trx
    .selectFrom("notifications")
    .selectAll()
    .where("id", "=", notificationId)
    .executeTakeFirst();
  if (!n || n.read_at !== null || n.archived_at !== null) return undefined;
  const recipient = (await deps.users.recipients(trx, [n.user_id])).get(n.user_id);
  const policy = recipient?.escalation ?? deps.policy;
  const done = new Set(
    (
      await trx
        .selectFrom("notification_deliveries")
        .select("channel")
        .where("notification_id", "=", n.id)
        .execute()
    ).map((d) => d.channel),
  );
  const off = recipient?.off.get(n.category);
  const left = policy.channels.filter((c) => !done.has(c) && !off?.has(c));
  let next: Outside | undefined;
  for (const c of left)
    if (await reachable(trx, n.user_id, c)) {
      next = c;
      break;
    }
  if (!next) return undefined;
  const data = JSON.parse(n.data) as Record<string, unknown>;
  // The template the notification was made with; if it is gone, its rendered title and body.
  const variant = recipient?.locale
    ? await deps.templates.localized(n.type, recipient.locale, trx)
    : undefined;
  const template: Template = await (variant
    ? Promise.resolve(variant)
    : deps.templates.get(n.type, n.template_version, trx)
  ).catch(() => ({
    type: n.type,
    version: n.template_version,
    createdAt: null,
    category: n.category,
    defaultChannels: ["in_app"],
    inApp: { title: n.title, body: n.body, actions: [] },
  }));
  const at = deps.clock().toISOString();
  await trx
    .insertInto("notification_deliveries")
    .values({
      id: ulid(),
      notification_id: n.id,
      user_id: n.user_id,
      channel: next,
      status: "pending",
      due_at: at,
      attempts: 0,
      lease_until: null,
      last_error: null,
      sent_at: null,
      content: JSON.stringify(renderChannel(next, template, data)),
      created_at: at,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  if (left.indexOf(next) < left.length - 1)
    await deps.deferrals.escalate(trx, n.id, new Date(Date.now() + policy.afterMs));
  return next;
}
