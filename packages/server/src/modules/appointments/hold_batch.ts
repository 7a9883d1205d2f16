import { type Kysely, sql, type Transaction } from "kysely";
import { SwitchboardError } from "../../errors.js";
import { GroupCommit } from "../../store/group-commit.js";
import type { InTransaction } from "../../store/in-transaction.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { appointmentView, messagesFor } from "./announce.js";
import type { BookingHooks } from "./booking.js";
import { claimBlocksOrUndo, claimInsert } from "./claims.js";
import type { Appointment } from "./contract.js";
import type { AppointmentRow } from "./migrations.js";
import { refusal } from "./precompiled.js";
import type { RecentlyTaken } from "./taken.js";

/** One hold request: where it may go, best first (one place, or "any available"). */
export interface HoldRequest {
  places: { row: AppointmentRow; services: string[] }[];
  capacity: number;
  also?: InTransaction<Appointment> | undefined;
}

export type HoldOutcome = { ok: true; row: AppointmentRow } | { ok: false; error: unknown };

/**
 * The blocks the holds of one batch have claimed so far, by resource: a later hold of the same
 * batch that needs one of them for another sitting has lost without asking the database (the
 * batch's transaction holds them). A hold of the same sitting (a class seat) still asks.
 */
class WonBlocks {
  private readonly byResource = new Map<string, Map<number, string>>();

  conflicts(row: AppointmentRow): boolean {
    const blocks = this.byResource.get(row.resource_id);
    if (!blocks) return false;
    for (let b = Number(row.claim_from); b < Number(row.claim_to); b++) {
      const session = blocks.get(b);
      if (session !== undefined && session !== row.session) return true;
    }
    return false;
  }

  add(row: AppointmentRow): void {
    let blocks = this.byResource.get(row.resource_id);
    if (!blocks) {
      blocks = new Map();
      this.byResource.set(row.resource_id, blocks);
    }
    for (let b = Number(row.claim_from); b < Number(row.claim_to); b++) blocks.set(b, row.session);
  }
}

/** PostgreSQL gave up a transaction to break a deadlock or a serialization conflict: run it again. */
export function retryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}

const slotTaken = (request: HoldRequest) => {
  const row = request.places[0]?.row as AppointmentRow;
  const one = request.places.length === 1;
  return refusal(
    "slot_taken",
    `${row.starts_at} is taken on ${one ? row.resource_id : "every resource left to try"}`,
    { start: row.starts_at, ...(one && { resourceId: row.resource_id }) },
  );
};

/**
 * Group commit of holds: the holds that arrive while a batch runs share the next transaction. Per
 * hold, one claim statement (which undoes itself when it comes up short: the time is taken); per
 * batch, one insert of the appointments, one of their expiry tasks (`heldAll`, the scheduler's
 * `scheduleMany`) and one of the outbox rows. A hold
 * that carries an extra step (an idempotent request keeping its response) runs in a savepoint so
 * that step failing rolls back that hold alone. The claims' primary key still decides every race,
 * inside the batch and against other batches and nodes: this changes what a hold costs, not what
 * it guarantees. A batch that fails for another reason runs again one hold per transaction, so
 * one bad request never fails its neighbours.
 *
 * SQLite has one writer: one lane. On PostgreSQL a few lanes run side by side; each batch takes
 * blocks in (resource, block) order, so two batches seldom wait on each other in a cycle (and a
 * deadlock PostgreSQL breaks is retried).
 */
export function createHoldBatches(deps: {
  db: Kysely<Database>;
  outbox: Outbox;
  hooks?: BookingHooks | undefined;
  lanes: number;
  /** Times this node knows are taken (taken.ts): refused without a claim statement. */
  taken?: RecentlyTaken;
}) {
  const { db, outbox, hooks } = deps;
  const insertClaims = claimInsert();

  /** One hold inside the batch's transaction: the place it got, or why it got none. */
  async function attempt(
    trx: Transaction<Database>,
    n: number,
    request: HoldRequest,
    won: WonBlocks,
  ): Promise<HoldOutcome> {
    for (const { row } of request.places) {
      // taken by an earlier hold of this batch (another sitting), or known taken: no statement
      if (won.conflicts(row) || deps.taken?.has(row)) continue;
      const savepoint = request.also ? sql.raw(`hold_${n}`) : undefined;
      if (savepoint) await sql`savepoint ${savepoint}`.execute(trx);
      try {
        const range: [number, number] = [row.claim_from, row.claim_to];
        if (
          !(await claimBlocksOrUndo(
            trx,
            row.resource_id,
            range,
            row.session,
            request.capacity,
            insertClaims,
          ))
        ) {
          if (savepoint) await sql`release savepoint ${savepoint}`.execute(trx);
          continue; // taken here: the next place, if any
        }
        // a batch's expiry tasks go in one statement at its end (heldAll) when the hooks can
        if (!hooks?.heldAll) await hooks?.changed?.(trx, "held", row);
        if (request.also) await request.also(trx, appointmentView(row));
        won.add(row); // kept: its savepoint will not be rolled back
        if (savepoint) await sql`release savepoint ${savepoint}`.execute(trx);
        return { ok: true, row };
      } catch (error) {
        if (!savepoint) throw error; // fails the batch; each hold then runs alone
        await sql`rollback to savepoint ${savepoint}`.execute(trx);
        await sql`release savepoint ${savepoint}`.execute(trx);
        return { ok: false, error };
      }
    }
    return { ok: false, error: slotTaken(request) };
  }

  async function once(requests: HoldRequest[]): Promise<HoldOutcome[]> {
    const order = requests
      .map((r, i) => ({ r, i, first: r.places[0]?.row }))
      .sort((a, b) => {
        const ra = a.first?.resource_id ?? "";
        const rb = b.first?.resource_id ?? "";
        if (ra !== rb) return ra < rb ? -1 : 1;
        return (a.first?.claim_from ?? 0) - (b.first?.claim_from ?? 0);
      });
    for (let tries = 1; ; tries++) {
      const outcomes: HoldOutcome[] = new Array(requests.length);
      let ids: string[] = [];
      try {
        await db.transaction().execute(async (trx) => {
          const claimed = new WonBlocks();
          for (const { r, i } of order) outcomes[i] = await attempt(trx, i, r, claimed);
          const won = order.flatMap(({ r, i }) => {
            const o = outcomes[i];
            const place = o?.ok ? r.places.find((p) => p.row === o.row) : undefined;
            return place ? [place] : [];
          });
          if (won.length === 0) return;
          await hooks?.heldAll?.(
            trx,
            won.map((p) => p.row),
          );
          for (let k = 0; k < won.length; k += 100)
            await trx
              .insertInto("appointments")
              .values(won.slice(k, k + 100).map((p) => p.row))
              .execute();
          ids = await outbox.enqueue(
            trx,
            won.flatMap(({ row, services }) =>
              messagesFor(
                "held",
                row,
                [{ type: "taken", reason: "held", row, services }],
                row.updated_at,
              ),
            ),
          );
        });
      } catch (error) {
        if (tries < 4 && retryable(error)) continue;
        throw error;
      }
      // Committed: a time a hold of capacity 1 took is refused from memory for a while; publish
      // (a failed publish stays in the outbox for the sweep)
      order.forEach(({ r, i }) => {
        const o = outcomes[i];
        if (o?.ok && r.capacity === 1) deps.taken?.remember(o.row);
      });
      await outbox.flush(ids).catch(() => {});
      return outcomes;
    }
  }

  async function runBatch(requests: HoldRequest[]): Promise<HoldOutcome[]> {
    try {
      return await once(requests);
    } catch (error) {
      if (requests.length === 1) return [{ ok: false, error }];
      const alone: HoldOutcome[] = [];
      for (const r of requests) alone.push(...(await runBatch([r])));
      return alone;
    }
  }

  const lanes = Array.from(
    { length: Math.max(1, deps.lanes) },
    () => new GroupCommit<HoldRequest, HoldOutcome>(runBatch, 100),
  );
  let next = 0;

  /** Takes the first place of the request that is free; throws what refused it otherwise. */
  return async function submit(request: HoldRequest): Promise<AppointmentRow> {
    if (request.places.length === 0) throw new SwitchboardError("slot_taken", "no place to try");
    // the least busy lane would be better; round robin is enough to keep them all working
    next = (next + 1) % lanes.length;
    const outcome = await (lanes[next] as GroupCommit<HoldRequest, HoldOutcome>).submit(request);
    if (!outcome.ok) throw outcome.error;
    return outcome.row;
  };
}
