import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { keysetPage, type PageRequest } from "../kit/pagination.js";
import type { EventDeliveryRow } from "./migrations.js";

export interface DeadLetter {
  eventId: string;
  handler: string;
  type: string;
  aggregate: string;
  payload: unknown;
  occurredAt: string;
  attempts: number;
  lastError: string | null;
  failedAt: string | null;
}

function deadLetterOf(row: EventDeliveryRow): DeadLetter {
  return {
    eventId: row.event_id,
    handler: row.handler,
    type: row.type,
    aggregate: row.aggregate,
    payload: JSON.parse(row.payload) as unknown,
    occurredAt: row.occurred_at,
    attempts: row.attempts,
    lastError: row.last_error,
    failedAt: row.failed_at,
  };
}

/** Parked deliveries, oldest first, filtered by handler and/or type. */
export async function listDeadLetters(
  db: Kysely<Database>,
  filter: { handler?: string | undefined; type?: string | undefined },
  page: PageRequest,
): Promise<{ items: DeadLetter[]; nextCursor?: string }> {
  let q = db.selectFrom("event_deliveries").selectAll().where("status", "=", "dead");
  if (filter.handler) q = q.where("handler", "=", filter.handler);
  if (filter.type) q = q.where("type", "=", filter.type);
  const { rows, nextCursor } = await keysetPage(q, "id", "asc", page);
  return { items: rows.map(deadLetterOf), ...(nextCursor !== undefined && { nextCursor }) };
}

/**
 * Puts parked deliveries back to run now, attempts from zero (after the handler was fixed).
 * `ids` are `<eventId>/<handler>`; or every dead letter matching the filter. Returns how many.
 */
export async function replayDeadLetters(
  db: Kysely<Database>,
  which: { ids: string[] } | { handler?: string | undefined; type?: string | undefined },
): Promise<number> {
  let q = db
    .updateTable("event_deliveries")
    .set({
      status: "pending",
      attempts: 0,
      next_at: new Date().toISOString(),
      claim: null,
      lease_until: null,
      failed_at: null,
    })
    .where("status", "=", "dead");
  if ("ids" in which) {
    if (which.ids.length === 0) return 0;
    q = q.where("id", "in", which.ids);
  } else {
    if (which.handler) q = q.where("handler", "=", which.handler);
    if (which.type) q = q.where("type", "=", which.type);
  }
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
