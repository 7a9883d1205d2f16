import type { Kysely, Transaction } from "kysely";
import { keysetPage, type PageRequest } from "../../platform/kit/pagination.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import {
  ACTIVITY_EVENT,
  type ActivityItem,
  type ActivityPage,
  DASHBOARD_ACTIVITY_CHANNEL,
} from "./contract.js";
import type { MetricsActivityRow } from "./migrations.js";

const itemOf = (row: MetricsActivityRow): ActivityItem => ({
  id: row.id,
  at: row.at,
  kind: row.kind,
  title: row.title,
  data: JSON.parse(row.data) as Record<string, unknown>,
});

/**
 * Writes a feed line in the handler's transaction, with its `dashboard:activity` message in the
 * same commit (outbox). The id is the domain event's (plus a suffix for a second line of the same
 * event), so a redelivered event writes nothing twice; returns the outbox ids to flush.
 */
export async function addActivity(
  trx: Transaction<Database>,
  outbox: Outbox,
  item: ActivityItem,
): Promise<string[]> {
  const row = await trx
    .insertInto("metrics_activity")
    .values({ ...item, data: JSON.stringify(item.data) })
    .onConflict((oc) => oc.column("id").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!row) return [];
  return outbox.enqueue(trx, [
    {
      channel: DASHBOARD_ACTIVITY_CHANNEL,
      event: ACTIVITY_EVENT,
      data: item,
      key: `activity:${item.id}`,
    },
  ]);
}

/** The feed, newest first (ids are event ids: ULIDs, in the order the events were written). */
export async function listActivity(db: Kysely<Database>, page: PageRequest): Promise<ActivityPage> {
  const { rows, nextCursor } = await keysetPage(
    db.selectFrom("metrics_activity").selectAll(),
    "id",
    "desc",
    page,
  );
  return { items: rows.map(itemOf), ...(nextCursor !== undefined && { nextCursor }) };
}
