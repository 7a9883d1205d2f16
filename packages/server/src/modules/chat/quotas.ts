import { type Kysely, sql } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { Dialect } from "../../store/db.js";
import type { Database } from "../../store/schema.js";

type Db = Kysely<Database>;

/**
 * Serializes one user's quota check and insert. SQLite has one writer, so a transaction is
 * enough; PostgreSQL (read committed) would let two racing requests both see room for one more,
 * so they take a transaction-scoped advisory lock on the user first.
 */
export async function lockUser(trx: Db, dialect: Dialect, key: string): Promise<void> {
  if (dialect === "postgres")
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
}

/** A customer may have at most `max` waiting or active conversations. */
export async function assertOpenConversations(trx: Db, customerId: string, max: number) {
  const row = await trx
    .selectFrom("chat_conversations")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("customer_id", "=", customerId)
    .where("status", "in", ["waiting", "active"])
    .executeTakeFirst();
  if (Number(row?.n ?? 0) >= max) {
    throw new SwitchboardError(
      "rate_limited",
      `at most ${max} open conversations per customer: resolve one first`,
      { details: { limit: max } },
    );
  }
}

/** Uploads per user per 24 h, by count and by bytes. */
export async function assertUploadQuota(
  trx: Db,
  uploader: string,
  size: number,
  limits: { attachmentsPerDay: number; attachmentBytesPerDay: number },
) {
  const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const row = await trx
    .selectFrom("chat_attachments")
    .select((eb) => [
      eb.fn.countAll<number | string>().as("n"),
      eb.fn.sum<number | string | null>("size").as("bytes"),
    ])
    .where("uploader_id", "=", uploader)
    .where("created_at", ">=", since)
    .executeTakeFirst();
  const count = Number(row?.n ?? 0);
  const bytes = Number(row?.bytes ?? 0);
  if (count >= limits.attachmentsPerDay || bytes + size > limits.attachmentBytesPerDay) {
    throw new SwitchboardError(
      "rate_limited",
      `upload quota reached: at most ${limits.attachmentsPerDay} files and ${limits.attachmentBytesPerDay} bytes per 24 hours`,
      {
        details: {
          files: count,
          bytes,
          limits: { files: limits.attachmentsPerDay, bytes: limits.attachmentBytesPerDay },
        },
      },
    );
  }
}
