import { type Kysely, sql } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

/** A send as accepted by POST /api/notifications: expanded into notifications batch by batch. */
export interface NotificationSendRow {
  id: string;
  type: string;
  /** JSON: the request (data, priority, category, channels, dedupeKey). */
  request: string;
  /** JSON array of user ids. */
  user_ids: string;
  total: number;
  /** How many recipients are expanded (the next batch starts here). */
  processed: number;
  status: "pending" | "done";
  created_at: string;
}

/** One notification of one user: its inbox item, whatever channels it also goes out on. */
export interface NotificationRow {
  id: string;
  user_id: string;
  send_id: string | null;
  type: string;
  template_version: number;
  category: string;
  priority: string;
  title: string;
  body: string;
  /** JSON array of actions. */
  actions: string;
  /** JSON object. */
  data: string;
  /** Unique per user: a repeat of the same key is dropped. */
  dedupe_key: string | null;
  /** 1 when the inbox shows it (in_app was a channel and the user has it on). */
  in_app: number;
  created_at: string;
  read_at: string | null;
  archived_at: string | null;
}

/** One channel (push, email, SMS) of one notification: at most one row, claimed by a worker. */
export interface NotificationDeliveryRow {
  id: string;
  notification_id: string;
  user_id: string;
  channel: string;
  /** `held`: until the user's quiet hours end (a scheduled release makes it `pending`). */
  status: "held" | "pending" | "sending" | "sent" | "failed" | "skipped";
  due_at: string;
  attempts: number;
  /** While `sending`: the claim's end; a worker that died leaves it to expire. */
  lease_until: string | null;
  last_error: string | null;
  sent_at: string | null;
  /** JSON: what this channel sends (rendered from the template when the notification was made). */
  content: string;
  created_at: string;
}

export interface NotificationAttemptRow {
  delivery_id: string;
  attempt: number;
  at: string;
  ok: number;
  error: string | null;
}

export interface NotificationTemplateRow {
  type: string;
  version: number;
  /** JSON: TemplateContent. */
  content: string;
  created_at: string;
  created_by: string;
}

/** Per user: contacts, time zone, quiet hours, and the unread counter's version. */
export interface NotificationUserRow {
  user_id: string;
  email: string | null;
  phone: string | null;
  time_zone: string | null;
  locale: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
  /** Bumped (under the row's lock) with every unread change: orders `unread` events. */
  unread_version: number;
  /** JSON `{afterMs, channels}`: the user's own escalation; null: the server's. */
  escalation?: string | null;
  updated_at: string;
}

/** A chunk of a large send that is made (its transaction committed): made once. */
export interface NotificationSendChunkRow {
  send_id: string;
  /** The chunk's first recipient (index into the send's user_ids). */
  start: number;
}

export interface NotificationPreferenceRow {
  user_id: string;
  category: string;
  channel: string;
  enabled: number;
}

export interface PushSubscriptionRow {
  id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: string;
}

/** An operator's change to a built-in rule (on/off, template, channels). */
export interface NotificationRuleRow {
  name: string;
  enabled: number;
  template: string | null;
  /** JSON array or null (the template's). */
  channels: string | null;
  updated_at: string;
}

/**
 * The open digest of one type for one user (id `type|user`): its window started with its first
 * item and ends at window_end. Sending it deletes the row; the next item opens a new generation.
 */
export interface NotificationDigestRow {
  id: string;
  user_id: string;
  type: string;
  window_end: string;
  generation: string;
  created_at: string;
}

export interface NotificationDigestItemRow {
  user_id: string;
  type: string;
  /** The item's own key (its dedupeKey, or its send): a repeat is never added twice. */
  item_key: string;
  generation: string;
  title: string;
  body: string;
  created_at: string;
}

/** Module-wide values all nodes share (the VAPID keys made on first start). */
export interface NotificationSettingRow {
  name: string;
  value: string;
}

declare module "../../store/schema.js" {
  interface Database {
    notification_sends: NotificationSendRow;
    notification_send_chunks: NotificationSendChunkRow;
    notifications: NotificationRow;
    notification_deliveries: NotificationDeliveryRow;
    notification_attempts: NotificationAttemptRow;
    notification_templates: NotificationTemplateRow;
    notification_users: NotificationUserRow;
    notification_preferences: NotificationPreferenceRow;
    push_subscriptions: PushSubscriptionRow;
    notification_rules: NotificationRuleRow;
    notification_digests: NotificationDigestRow;
    notification_digest_items: NotificationDigestItemRow;
    notification_settings: NotificationSettingRow;
  }
}

export const notificationsMigrations: MigrationSet = {
  "notifications/001_create": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("notification_sends")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("request", "text", (c) => c.notNull())
        .addColumn("user_ids", "text", (c) => c.notNull())
        .addColumn("total", "integer", (c) => c.notNull())
        .addColumn("processed", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("notification_sends_status")
        .on("notification_sends")
        .columns(["status", "id"])
        .execute();

      await db.schema
        .createTable("notifications")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("send_id", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("template_version", "integer", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("priority", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("actions", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("dedupe_key", "text")
        .addColumn("in_app", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("read_at", "text")
        .addColumn("archived_at", "text")
        .execute();
      // A recipient of a send gets one notification, even if its batch runs twice.
      await db.schema
        .createIndex("notifications_send_user")
        .on("notifications")
        .columns(["send_id", "user_id"])
        .unique()
        .execute();
      // NULL keys never collide: only keyed notifications are deduplicated.
      await db.schema
        .createIndex("notifications_dedupe")
        .on("notifications")
        .columns(["user_id", "dedupe_key"])
        .unique()
        .execute();
      await db.schema
        .createIndex("notifications_inbox")
        .on("notifications")
        .columns(["user_id", "in_app", "id"])
        .execute();
      await db.schema
        .createIndex("notifications_unread")
        .on("notifications")
        .columns(["user_id", "read_at", "archived_at"])
        .execute();

      await db.schema
        .createTable("notification_deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("notification_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("due_at", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("lease_until", "text")
        .addColumn("last_error", "text")
        .addColumn("sent_at", "text")
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("notification_deliveries_once")
        .on("notification_deliveries")
        .columns(["notification_id", "channel"])
        .unique()
        .execute();
      await db.schema
        .createIndex("notification_deliveries_due")
        .on("notification_deliveries")
        .columns(["status", "due_at"])
        .execute();

      await db.schema
        .createTable("notification_attempts")
        .addColumn("delivery_id", "text", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("ok", "integer", (c) => c.notNull())
        .addColumn("error", "text")
        .addPrimaryKeyConstraint("notification_attempts_pk", ["delivery_id", "attempt"])
        .execute();

      await db.schema
        .createTable("notification_templates")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("notification_templates_pk", ["type", "version"])
        .execute();

      await db.schema
        .createTable("notification_users")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("email", "text")
        .addColumn("phone", "text")
        .addColumn("time_zone", "text")
        .addColumn("locale", "text")
        .addColumn("quiet_start", "text")
        .addColumn("quiet_end", "text")
        .addColumn("unread_version", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("notification_preferences")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("notification_preferences_pk", ["user_id", "category", "channel"])
        .execute();

      await db.schema
        .createTable("push_subscriptions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("endpoint", "text", (c) => c.notNull().unique())
        .addColumn("p256dh", "text", (c) => c.notNull())
        .addColumn("auth", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("push_subscriptions_user")
        .on("push_subscriptions")
        .column("user_id")
        .execute();

      await db.schema
        .createTable("notification_rules")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("template", "text")
        .addColumn("channels", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("notification_digests")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("window_end", "text", (c) => c.notNull())
        .addColumn("generation", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("notification_digests_due")
        .on("notification_digests")
        .column("window_end")
        .execute();
      await db.schema
        .createTable("notification_digest_items")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("item_key", "text", (c) => c.notNull())
        .addColumn("generation", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("notification_digest_items_pk", ["user_id", "type", "item_key"])
        .execute();
      await db.schema
        .createIndex("notification_digest_items_generation")
        .on("notification_digest_items")
        .column("generation")
        .execute();

      await db.schema
        .createTable("notification_settings")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        "notification_settings",
        "notification_digest_items",
        "notification_digests",
        "notification_rules",
        "push_subscriptions",
        "notification_preferences",
        "notification_users",
        "notification_templates",
        "notification_attempts",
        "notification_deliveries",
        "notifications",
        "notification_sends",
      ])
        await db.schema.dropTable(t).execute();
    },
  },
  "notifications/002_escalation": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("notification_users").addColumn("escalation", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("notification_users").dropColumn("escalation").execute();
    },
  },
  "notifications/003_send_chunks": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("notification_send_chunks")
        .addColumn("send_id", "text", (c) => c.notNull())
        .addColumn("start", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("notification_send_chunks_pk", ["send_id", "start"])
        .execute();
      // A send an older version was part-way through: what it made is a prefix (it moved
      // `processed` batch by batch); its remaining chunks start there, 100 at a time.
      const q = db as Kysely<{ notification_sends: NotificationSendRow }>;
      const partial = await q
        .selectFrom("notification_sends")
        .select(["id", "request", "processed"])
        .where("status", "=", "pending")
        .where("processed", ">", 0)
        .execute();
      for (const row of partial) {
        const request = { ...JSON.parse(row.request), origin: row.processed, batch: 100 };
        await q
          .updateTable("notification_sends")
          .set({ request: JSON.stringify(request) })
          .where("id", "=", row.id)
          .execute();
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("notification_send_chunks").execute();
    },
  },
  "notifications/004_dedupe_partial": {
    // Most notifications have no dedupe key, and NULLs never conflict: the index kept one entry
    // per notification for nothing, a b-tree page dirtied per recipient of every commit. Only
    // keyed ones now; `insert … on conflict do nothing` still meets it (both dialects).
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex("notifications_dedupe").execute();
      await db.schema
        .createIndex("notifications_dedupe")
        .on("notifications")
        .columns(["user_id", "dedupe_key"])
        .unique()
        .where("dedupe_key", "is not", null)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("notifications_dedupe").execute();
      await db.schema
        .createIndex("notifications_dedupe")
        .on("notifications")
        .columns(["user_id", "dedupe_key"])
        .unique()
        .execute();
    },
  },
  "notifications/005_unread_partial": {
    // The unread count (read after every change of a user's inbox, for each recipient of every
    // send) walked every unread row's table entry to check in_app. Only unread inbox rows are
    // indexed now, so the count reads index entries alone, and read rows leave the index.
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex("notifications_unread").execute();
      // The constant columns too: with the same terms as the inbox index's (user_id, in_app)
      // and more, SQLite's planner picks this one without statistics.
      await sql`create index notifications_unread on notifications (user_id, in_app, read_at, archived_at) where in_app = 1 and read_at is null and archived_at is null`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("notifications_unread").execute();
      await db.schema
        .createIndex("notifications_unread")
        .on("notifications")
        .columns(["user_id", "read_at", "archived_at"])
        .execute();
    },
  },
};
