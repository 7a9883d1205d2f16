import { type Kysely, sql } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";
import { PUBLICATION_HANDLER, PUBLICATION_TYPE } from "./publications.js";

/** One row per (event, handler) still to run, or parked as a dead letter. Done rows are deleted. */
export interface EventDeliveryRow {
  /** `<event id>/<handler>`: one key for batch claims. */
  id: string;
  event_id: string;
  handler: string;
  type: string;
  aggregate: string;
  /** JSON text. */
  payload: string;
  occurred_at: string;
  /** `pending` (to run, running, or waiting for a retry) or `dead` (parked after N failures). */
  status: string;
  /** Failed runs so far. */
  attempts: number;
  /**
   * Not before this time: the end of a retry's backoff, or of the lease while a node runs it
   * (so "running elsewhere or backing off" is `next_at > now`).
   */
  next_at: string;
  /** Token of the run that holds it; null when free. */
  claim: string | null;
  /** The claim is void after this time (its node died): another node takes the row. */
  lease_until: string | null;
  last_error: string | null;
  /** When it was parked (dead letters). */
  failed_at: string | null;
}

/** One row per scheduled task (its key), deleted when it ran. */
export interface ScheduledTaskRow {
  key: string;
  task: string;
  /** When it was scheduled for (what the handler is told). */
  run_at: string;
  /** When it may run next (run_at, or later after failures). */
  next_at: string;
  payload: string;
  status: string;
  attempts: number;
  claim: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
}

declare module "../../store/schema.js" {
  interface Database {
    event_deliveries: EventDeliveryRow;
    scheduled_tasks: ScheduledTaskRow;
  }
}

/** Part of the core migrations: every server has durable events and the scheduler. */
export const durableMigrations: MigrationSet = {
  "core/005_event_deliveries": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("event_deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("handler", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("aggregate", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("occurred_at", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("next_at", "text", (c) => c.notNull())
        .addColumn("claim", "text")
        .addColumn("lease_until", "text")
        .addColumn("last_error", "text")
        .addColumn("failed_at", "text")
        .execute();
      // the dispatcher's scan (due rows in event order) and its per-aggregate order check
      await db.schema
        .createIndex("event_deliveries_due")
        .on("event_deliveries")
        .columns(["status", "event_id"])
        .execute();
      await db.schema
        .createIndex("event_deliveries_order")
        .on("event_deliveries")
        .columns(["handler", "aggregate", "event_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("event_deliveries").execute();
    },
  },
  "core/006_scheduled_tasks": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("scheduled_tasks")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("task", "text", (c) => c.notNull())
        .addColumn("run_at", "text", (c) => c.notNull())
        .addColumn("next_at", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("claim", "text")
        .addColumn("lease_until", "text")
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("scheduled_tasks_due")
        .on("scheduled_tasks")
        .columns(["status", "next_at"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("scheduled_tasks").execute();
    },
  },
  "core/008_event_deliveries_blocked": {
    // Claims now push next_at to the end of the lease: the rows running elsewhere or backing off
    // are one range of this index, read by every claim (platform/durable/claims.ts).
    // The per-aggregate order index is no longer read: dropped, one index less to keep up.
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex("event_deliveries_order").execute();
      await db.schema
        .createIndex("event_deliveries_blocked")
        .on("event_deliveries")
        .columns(["status", "next_at"])
        .execute();
      await sql`update event_deliveries set next_at = lease_until
        where claim is not null and lease_until is not null and lease_until > next_at`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("event_deliveries_blocked").execute();
      await db.schema
        .createIndex("event_deliveries_order")
        .on("event_deliveries")
        .columns(["handler", "aggregate", "event_id"])
        .execute();
    },
  },
  "core/009_outbox_into_event_deliveries": {
    // One mechanism: realtime publications become deliveries of the built-in handler
    // `realtime.publish` (store/outbox.ts). Leftovers of the old `outbox` table move over, due at
    // once (the sweep publishes them, in order per channel), and the table goes.
    async up(db: Kysely<unknown>) {
      // a flush looks up older unpublished rows of its channels (publish in written order)
      await sql`create index event_deliveries_publications on event_deliveries (aggregate, event_id)
        where handler = 'realtime.publish' and status = 'pending'`.execute(db);
      const left = await sql<{
        id: string;
        channel: string;
        event: string;
        data: string;
        key: string;
        created_at: string;
      }>`select id, channel, event, data, key, created_at from outbox order by id`.execute(db);
      const rows = left.rows.map((r) => ({
        id: `${r.id}/${PUBLICATION_HANDLER}`,
        event_id: r.id,
        handler: PUBLICATION_HANDLER,
        type: PUBLICATION_TYPE,
        aggregate: r.channel,
        payload: JSON.stringify({
          channel: r.channel,
          event: r.event,
          data: JSON.parse(r.data) as unknown,
          key: r.key,
        }),
        occurred_at: r.created_at,
        status: "pending",
        attempts: 0,
        next_at: r.created_at,
      }));
      const into = db as Kysely<{ event_deliveries: (typeof rows)[number] }>;
      for (let i = 0; i < rows.length; i += 200)
        await into
          .insertInto("event_deliveries")
          .values(rows.slice(i, i + 200))
          .execute();
      await db.schema.dropTable("outbox").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema
        .createTable("outbox")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("outbox_channel")
        .on("outbox")
        .columns(["channel", "id"])
        .execute();
      await db.schema.dropIndex("event_deliveries_publications").execute();
    },
  },
};
