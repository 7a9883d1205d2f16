import { sql, type Transaction } from "kysely";
import type { Database } from "../../store/schema.js";

/**
 * Takes every block of [from, to) of a resource for a sitting, in one statement: a block nobody
 * holds is inserted; a block the same sitting holds gains a seat if it has one left; any other
 * block is left alone, and then fewer rows than blocks were written — the caller rolls back.
 * The primary key (resource_id, block) makes this exact under any concurrency: on PostgreSQL a
 * racing insert of the same block waits for the first transaction and then sees its row; on
 * SQLite writers are serialized. Blocks go in ascending order, so two transactions never wait on
 * each other in a cycle.
 */
export async function claimBlocks(
  trx: Transaction<Database>,
  resourceId: string,
  [from, to]: [number, number],
  session: string,
  capacity: number,
): Promise<boolean> {
  const rows = [];
  for (let block = from; block < to; block++)
    rows.push({ resource_id: resourceId, block, session, seats: 1, capacity });
  const result = await trx
    .insertInto("appointment_claims")
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(["resource_id", "block"])
        .doUpdateSet({ seats: sql<number>`appointment_claims.seats + 1` })
        .where(
          sql<boolean>`appointment_claims.session = excluded.session and appointment_claims.seats < appointment_claims.capacity`,
        ),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === rows.length;
}

/** Gives back one seat of each block of [from, to) of a sitting; blocks left empty go. */
export async function releaseBlocks(
  trx: Transaction<Database>,
  resourceId: string,
  [from, to]: [number, number],
  session: string,
): Promise<void> {
  await trx
    .updateTable("appointment_claims")
    .set({ seats: sql<number>`seats - 1` })
    .where("resource_id", "=", resourceId)
    .where("block", ">=", from)
    .where("block", "<", to)
    .where("session", "=", session)
    .execute();
  await trx
    .deleteFrom("appointment_claims")
    .where("resource_id", "=", resourceId)
    .where("block", ">=", from)
    .where("block", "<", to)
    .where("seats", "<=", 0)
    .execute();
}
