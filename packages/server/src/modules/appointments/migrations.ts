import type { Kysely } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

export interface AppointmentServiceRow {
  id: string;
  name: string;
  duration_minutes: number;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  capacity: number;
  /** What a confirmed booking starts elsewhere: "drop-off", "test-drive", "pickup" or null. */
  purpose: string | null;
  updated_at: string;
}

export interface AppointmentResourceRow {
  id: string;
  name: string;
  time_zone: string;
  /** JSON array of service ids. */
  services: string;
  /** JSON weekly hours ({mon: [["09:00","12:00"]], …}). */
  hours: string;
  updated_at: string;
}

export interface AppointmentExceptionRow {
  resource_id: string;
  /** YYYY-MM-DD in the resource's time zone. */
  date: string;
  /** JSON day hours; "[]" closed. */
  hours: string;
  note: string | null;
}

export interface AppointmentRow {
  id: string;
  service_id: string;
  resource_id: string;
  customer_id: string;
  status: string;
  starts_at: string;
  ends_at: string;
  time_zone: string;
  day: string;
  /** First and past-the-last claimed block (5-minute blocks since the epoch, buffers included). */
  claim_from: number;
  claim_to: number;
  /** What its claims share with bookings of the same sitting (capacity > 1). */
  session: string;
  /** The order this booking serves (a pickup of a repair); null for most. */
  order_id: string | null;
  expires_at: string | null;
  /** When staff checked the customer in (status checked_in); absent/null before. */
  checked_in_at?: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/**
 * One 5-minute block of a resource's time, taken. The primary key is what makes double booking
 * impossible on every dialect and across nodes: a booking inserts every block it covers in its
 * transaction, and a block already taken by another sitting makes it roll back.
 */
export interface AppointmentClaimRow {
  resource_id: string;
  block: number;
  session: string;
  seats: number;
  capacity: number;
}

declare module "../../store/schema.js" {
  interface Database {
    appointment_services: AppointmentServiceRow;
    appointment_resources: AppointmentResourceRow;
    appointment_exceptions: AppointmentExceptionRow;
    appointments: AppointmentRow;
    appointment_claims: AppointmentClaimRow;
  }
}

export const appointmentsMigrations: MigrationSet = {
  "appointments/001_create_appointments": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("appointment_services")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("duration_minutes", "integer", (c) => c.notNull())
        .addColumn("buffer_before_minutes", "integer", (c) => c.notNull())
        .addColumn("buffer_after_minutes", "integer", (c) => c.notNull())
        .addColumn("capacity", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("appointment_resources")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("time_zone", "text", (c) => c.notNull())
        .addColumn("services", "text", (c) => c.notNull())
        .addColumn("hours", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("appointment_exceptions")
        .addColumn("resource_id", "text", (c) =>
          c.notNull().references("appointment_resources.id").onDelete("cascade"),
        )
        .addColumn("date", "text", (c) => c.notNull())
        .addColumn("hours", "text", (c) => c.notNull())
        .addColumn("note", "text")
        .addPrimaryKeyConstraint("appointment_exceptions_pk", ["resource_id", "date"])
        .execute();
      await db.schema
        .createTable("appointments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("customer_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("starts_at", "text", (c) => c.notNull())
        .addColumn("ends_at", "text", (c) => c.notNull())
        .addColumn("time_zone", "text", (c) => c.notNull())
        .addColumn("day", "text", (c) => c.notNull())
        .addColumn("claim_from", "integer", (c) => c.notNull())
        .addColumn("claim_to", "integer", (c) => c.notNull())
        .addColumn("session", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("appointments_resource_day")
        .on("appointments")
        .columns(["resource_id", "day", "status"])
        .execute();
      await db.schema
        .createIndex("appointments_customer")
        .on("appointments")
        .columns(["customer_id", "id"])
        .execute();
      await db.schema
        .createIndex("appointments_hold_expiry")
        .on("appointments")
        .columns(["status", "expires_at"])
        .execute();
      await db.schema
        .createIndex("appointments_starts")
        .on("appointments")
        .columns(["starts_at"])
        .execute();
      await db.schema
        .createTable("appointment_claims")
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("block", "integer", (c) => c.notNull())
        .addColumn("session", "text", (c) => c.notNull())
        .addColumn("seats", "integer", (c) => c.notNull())
        .addColumn("capacity", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("appointment_claims_pk", ["resource_id", "block"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("appointment_claims").execute();
      await db.schema.dropTable("appointments").execute();
      await db.schema.dropTable("appointment_exceptions").execute();
      await db.schema.dropTable("appointment_resources").execute();
      await db.schema.dropTable("appointment_services").execute();
    },
  },
  "appointments/002_service_purpose": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("appointment_services").addColumn("purpose", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("appointment_services").dropColumn("purpose").execute();
    },
  },
  "appointments/003_order_link": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("appointments").addColumn("order_id", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("appointments").dropColumn("order_id").execute();
    },
  },
  "appointments/004_checked_in": {
    // the status column is free text on both dialects (no CHECK to widen): only the time is new
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("appointments").addColumn("checked_in_at", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("appointments").dropColumn("checked_in_at").execute();
    },
  },
};
