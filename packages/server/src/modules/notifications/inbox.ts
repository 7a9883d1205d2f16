import { isValidChannel } from "@switchboard/protocol";
import { type Kysely, type SelectQueryBuilder, sql, type Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { now } from "../../platform/kit/actor.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import type { Outbox, OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import {
  type InboxPage,
  inboxChannel,
  NOTIFICATION_EVENT,
  type Notification,
  type NotificationAction,
  type NotificationPriority,
  UNREAD_EVENT,
  type Unread,
} from "./contract.js";
import type { NotificationRow } from "./migrations.js";
import type { InboxQuery } from "./schema.js";

export function itemOf(row: NotificationRow): Notification {
  return {
    id: row.id,
    type: row.type,
    category: row.category,
    priority: row.priority as NotificationPriority,
    title: row.title,
    body: row.body,
    actions: JSON.parse(row.actions) as NotificationAction[],
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
    readAt: row.read_at,
    archivedAt: row.archived_at,
  };
}

/**
 * Unread inbox rows: the terms of the partial index `notifications_unread` (migration 005), with
 * `in_app = 1` a literal so that both planners can tell the index applies.
 */
const unreadRows = <Q extends SelectQueryBuilder<Database, "notifications", object>>(q: Q): Q =>
  q
    .where("in_app", "=", sql.lit(1))
    .where("read_at", "is", null)
    .where("archived_at", "is", null) as Q;

const unreadOf = (q: Kysely<Database>, userId: string) =>
  unreadRows(
    q
      .selectFrom("notifications")
      .select((eb) => eb.fn.countAll<string | number>().as("n"))
      .where("user_id", "=", userId),
  );

/**
 * Takes the user's row lock and the next unread version. Every change of a user's unread state
 * calls this first in its transaction, so changes of one user are serialized and the count read
 * after it (in the same transaction) is exact for that version: clients keep the highest
 * version, and two tabs reading at once cannot leave a stale count behind.
 */
export async function lockUnread(trx: Transaction<Database>, userId: string): Promise<number> {
  const at = now();
  const row = await trx
    .insertInto("notification_users")
    .values({
      user_id: userId,
      email: null,
      phone: null,
      time_zone: null,
      locale: null,
      quiet_start: null,
      quiet_end: null,
      unread_version: 1,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.column("user_id").doUpdateSet({
        unread_version: sql<number>`notification_users.unread_version + 1`,
      }),
    )
    .returning("unread_version")
    .executeTakeFirstOrThrow();
  return Number(row.unread_version);
}

/** The `unread` message after a change (call after the change, in its transaction). */
export async function unreadMessage(
  trx: Transaction<Database>,
  userId: string,
  version: number,
): Promise<OutboxMessage | undefined> {
  const channel = inboxChannel(userId);
  if (!isValidChannel(channel)) return undefined;
  const r = await unreadOf(trx, userId).executeTakeFirst();
  const data: Unread = { count: Number(r?.n ?? 0), version };
  return { channel, event: UNREAD_EVENT, data, key: `unread:${userId}:${version}` };
}

/** `unread` for each user after a batch (their versions taken with the batch's locks). */
export async function unreadMessages(
  trx: Transaction<Database>,
  userIds: string[],
  versions: Map<string, number>,
): Promise<OutboxMessage[]> {
  const counts = new Map<string, number>();
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await unreadRows(
      trx
        .selectFrom("notifications")
        .select(["user_id", (eb) => eb.fn.countAll<string | number>().as("n")])
        .where("user_id", "in", userIds.slice(i, i + 500)),
    )
      .groupBy("user_id")
      .execute();
    for (const r of rows) counts.set(r.user_id, Number(r.n));
  }
  const out: OutboxMessage[] = [];
  for (const userId of userIds) {
    const channel = inboxChannel(userId);
    const version = versions.get(userId);
    if (!isValidChannel(channel) || version === undefined) continue;
    const data: Unread = { count: counts.get(userId) ?? 0, version };
    out.push({ channel, event: UNREAD_EVENT, data, key: `unread:${userId}:${version}` });
  }
  return out;
}

export function notificationMessage(row: NotificationRow): OutboxMessage | undefined {
  const channel = inboxChannel(row.user_id);
  if (!isValidChannel(channel)) return undefined; // that user reloads the inbox
  return { channel, event: NOTIFICATION_EVENT, data: itemOf(row), key: `notification:${row.id}` };
}

/** A user's inbox: list, unread count, read, read all, archive. */
export function createInbox(db: Kysely<Database>, outbox: Outbox) {
  async function change(
    userId: string,
    apply: (trx: Transaction<Database>) => Promise<number>,
  ): Promise<number> {
    const { ids, changed } = await db.transaction().execute(async (trx) => {
      const version = await lockUnread(trx, userId);
      const changed = await apply(trx);
      const m = await unreadMessage(trx, userId, version);
      return { ids: await outbox.enqueue(trx, m ? [m] : []), changed };
    });
    await outbox.flush(ids);
    return changed;
  }

  async function own(identity: Identity, id: string): Promise<NotificationRow> {
    const row = await db
      .selectFrom("notifications")
      .selectAll()
      .where("id", "=", id)
      .where("in_app", "=", 1)
      .executeTakeFirst();
    // Someone else's notification is as absent as a missing one: ids are not a way to probe.
    if (!row || row.user_id !== identity.user)
      throw new SwitchboardError("not_found", `no notification ${id}`);
    return row;
  }

  return {
    async list(identity: Identity, query: InboxQuery): Promise<InboxPage> {
      let q = db
        .selectFrom("notifications")
        .selectAll()
        .where("user_id", "=", identity.user)
        .where("in_app", "=", 1);
      q = query.archived
        ? q.where("archived_at", "is not", null)
        : q.where("archived_at", "is", null);
      if (query.unread) q = q.where("read_at", "is", null);
      const [{ rows, nextCursor }, count] = await Promise.all([
        keysetPage(q, "id", "desc", query),
        unreadOf(db, identity.user).executeTakeFirst(),
      ]);
      return {
        items: rows.map(itemOf),
        unreadCount: Number(count?.n ?? 0),
        ...(nextCursor !== undefined && { nextCursor }),
      };
    },

    async unreadCount(identity: Identity): Promise<number> {
      return Number((await unreadOf(db, identity.user).executeTakeFirst())?.n ?? 0);
    },

    async read(identity: Identity, id: string): Promise<Notification> {
      await own(identity, id);
      await change(identity.user, async (trx) => {
        const r = await trx
          .updateTable("notifications")
          .set({ read_at: now() })
          .where("id", "=", id)
          .where("read_at", "is", null)
          .executeTakeFirst();
        return Number(r.numUpdatedRows);
      });
      return itemOf(await own(identity, id));
    },

    async readAll(identity: Identity): Promise<{ read: number }> {
      const read = await change(identity.user, async (trx) => {
        const r = await trx
          .updateTable("notifications")
          .set({ read_at: now() })
          .where("user_id", "=", identity.user)
          .where("in_app", "=", sql.lit(1))
          .where("read_at", "is", null)
          // archiving reads: the same rows, and the terms of the unread index
          .where("archived_at", "is", null)
          .executeTakeFirst();
        return Number(r.numUpdatedRows);
      });
      return { read };
    },

    async archive(identity: Identity, id: string): Promise<Notification> {
      await own(identity, id);
      await change(identity.user, async (trx) => {
        const at = now();
        const r = await trx
          .updateTable("notifications")
          .set({ archived_at: at, read_at: sql<string>`coalesce(read_at, ${at})` })
          .where("id", "=", id)
          .where("archived_at", "is", null)
          .executeTakeFirst();
        return Number(r.numUpdatedRows);
      });
      return itemOf(await own(identity, id));
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
