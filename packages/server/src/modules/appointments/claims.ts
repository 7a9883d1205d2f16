import { sql, type Transaction } from "kysely";
import type { Database } from "../../store/schema.js";
import type { AppointmentClaimRow } from "./migrations.js";
import { precompiled } from "./precompiled.js";

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

/**
 * The insert of claimBlocksOrUndo, its SQL built once per number of blocks (precompiled.ts): one
 * per database, made by the hold batches.
 */
export function claimInsert() {
  return precompiled(
    (q, rows: AppointmentClaimRow[]) =>
      q
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
        .returning(["block", "seats"]),
    (rows) => rows.flatMap((r) => [r.resource_id, r.block, r.session, r.seats, r.capacity]),
  );
}
export type ClaimInsert = ReturnType<typeof claimInsert>;

/**
 * claimBlocks for a transaction shared with other holds (group commit), which cannot roll back
 * one hold alone: takes what it can and, when that is not every block, gives back exactly the
 * blocks it took (a new row has 1 seat; a seat added to the sitting's row leaves it at 2 or
 * more) before answering false. Racing transactions wait on those rows until ours commits, then
 * see them gone.
 */
export async function claimBlocksOrUndo(
  trx: Transaction<Database>,
  resourceId: string,
  [from, to]: [number, number],
  session: string,
  capacity: number,
  insert: ClaimInsert = claimInsert(),
): Promise<boolean> {
  const rows = [];
  for (let block = from; block < to; block++)
    rows.push({ resource_id: resourceId, block, session, seats: 1, capacity });
  const { rows: taken } = await insert.run(trx, String(rows.length), rows);
  if (taken.length === rows.length) return true;
  const inserted = taken.filter((t) => Number(t.seats) === 1).map((t) => Number(t.block));
  const added = taken.filter((t) => Number(t.seats) > 1).map((t) => Number(t.block));
  if (inserted.length)
    await trx
      .deleteFrom("appointment_claims")
      .where("resource_id", "=", resourceId)
      .where("block", "in", inserted)
      .execute();
  if (added.length)
    await trx
      .updateTable("appointment_claims")
      .set({ seats: sql<number>`seats - 1` })
      .where("resource_id", "=", resourceId)
      .where("block", "in", added)
      .execute();
  return false;
}
