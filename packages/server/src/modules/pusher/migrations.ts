import type { Kysely } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

/**
 * One Pusher app: its credentials and its options. Apps from `SWITCHBOARD_PUSHER_APPS` have a
 * row too (source "env": the environment owns their credentials, the row their options).
 */
export interface PusherAppRow {
  id: string;
  key: string;
  secret: string;
  name: string;
  source: "env" | "api";
  enabled: number;
  /** 1/0, or null: SWITCHBOARD_PUSHER_CLIENT_EVENTS. */
  client_events: number | null;
  subscription_count: number;
  /** JSON array of URLs, or null: SWITCHBOARD_PUSHER_WEBHOOK_URLS. */
  webhook_urls: string | null;
  /** Connections at once across the cluster; null: no quota. */
  max_connections: number | null;
  /** The app's own auth endpoint (shown in the connection snippet; Switchboard never calls it). */
  auth_endpoint: string | null;
  /** 1: Switchboard signs channels of this app for holders of its own tokens (jwt-auth.ts). */
  jwt_auth: number;
  /** JSON array of webhook event names, or null: SWITCHBOARD_PUSHER_WEBHOOK_EVENTS. */
  webhook_events: string | null;
  /** Or null: SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND. */
  client_events_per_second: number | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/**
 * A presence subscription whose node died, its `member_removed` webhook queued: the key (the
 * subscription's nonce) makes the survivors that all heard the reap queue it once. Also a
 * channel vacated by a node's death (`vacated:…`, vacated.ts), its `channel_vacated` queued.
 * Rows older than a week are dropped.
 */
export interface PusherDepartureRow {
  key: string;
  created_at: string;
}

declare module "../../store/schema.js" {
  interface Database {
    pusher_apps: PusherAppRow;
    pusher_departures: PusherDepartureRow;
  }
}

export const pusherMigrations: MigrationSet = {
  "pusher/001_apps": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pusher_apps")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("key", "text", (c) => c.notNull().unique())
        .addColumn("secret", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("client_events", "integer")
        .addColumn("subscription_count", "integer", (c) => c.notNull())
        .addColumn("webhook_urls", "text")
        .addColumn("max_connections", "integer")
        .addColumn("auth_endpoint", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  "pusher/002_jwt_auth": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("pusher_apps")
        .addColumn("jwt_auth", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  "pusher/003_departures": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pusher_departures")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("pusher_departures_created")
        .on("pusher_departures")
        .column("created_at")
        .execute();
    },
  },
  "pusher/004_app_limits": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("pusher_apps").addColumn("webhook_events", "text").execute();
      await db.schema
        .alterTable("pusher_apps")
        .addColumn("client_events_per_second", "integer")
        .execute();
    },
  },
};
