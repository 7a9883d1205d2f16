import type { Kysely } from "kysely";
import { durableMigrations } from "../platform/durable/migrations.js";
import type { MigrationSet } from "./migrations.js";

export interface IdempotencyKeyRow {
  scope: string;
  key: string;
  request_hash: string;
  /** Null while the first request is still running. */
  status: number | null;
  body: string | null;
  created_at: string;
  /** Token of the request that holds (or held) the key: a write commits only under its own claim. */
  claim: string | null;
  /** The node that claimed it, for operators reading a stuck key. */
  claimed_by: string | null;
  /** When the claim was taken or last renewed; a claim older than the lease may be taken over. */
  claimed_at: string | null;
}

export interface LeaseRow {
  name: string;
  holder: string;
  expires_at: string;
}

declare module "./schema.js" {
  interface Database {
    idempotency_keys: IdempotencyKeyRow;
    leases: LeaseRow;
  }
}

/** Tables the platform itself owns (modules bring their own). */
export const coreMigrations: MigrationSet = {
  "core/001_idempotency_keys": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("idempotency_keys")
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("request_hash", "text", (c) => c.notNull())
        .addColumn("status", "integer")
        .addColumn("body", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("idempotency_keys_pk", ["scope", "key"])
        .execute();
      await db.schema
        .createIndex("idempotency_keys_created")
        .on("idempotency_keys")
        .column("created_at")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("idempotency_keys").execute();
    },
  },
  "core/002_leases": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("leases")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("leases").execute();
    },
  },
  "core/003_outbox": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("outbox")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("outbox").execute();
    },
  },
  "core/004_idempotency_claims": {
    async up(db: Kysely<unknown>) {
      for (const column of ["claim", "claimed_by", "claimed_at"]) {
        await db.schema.alterTable("idempotency_keys").addColumn(column, "text").execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const column of ["claim", "claimed_by", "claimed_at"]) {
        await db.schema.alterTable("idempotency_keys").dropColumn(column).execute();
      }
    },
  },
  "core/007_outbox_channel": {
    // a flush looks up older unpublished rows of its channels (publish in written order)
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex("outbox_channel")
        .on("outbox")
        .columns(["channel", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("outbox_channel").execute();
    },
  },
  // durable events and the scheduler (platform/durable)
  ...durableMigrations,
};
