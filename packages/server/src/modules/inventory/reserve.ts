import { sql } from "kysely";
import { announce, historyRow, type Pending, stageAnnouncements } from "./announce.js";
import type { InventoryDeps, Levels } from "./changes.js";
import { GroupCommit } from "./group-commit.js";
import type {
  InventoryHistoryRow,
  InventoryItemRow,
  InventoryReservationRow,
} from "./migrations.js";

export interface ReserveRequest {
  /** The reservation to insert if the units are there (status active). */
  row: InventoryReservationRow;
  by: string;
}

/** Either the reservation was made, or the units were not there (or the item does not exist). */
export type ReserveOutcome = { ok: true } | { ok: false };

/**
 * Reservations that arrive together are made in one transaction (group commit), each with its
 * own conditional UPDATE (`… WHERE on_hand - reserved >= quantity`), in arrival order per item:
 * a request that finds too few units fails alone, and no interleaving can oversell. Items are
 * locked in key order so two nodes' batches never wait on each other in a cycle (PostgreSQL).
 * The levels each item reached are announced once per batch: the intermediate states were
 * never committed, so nobody could have seen them.
 */
export function createReserveBatcher(deps: InventoryDeps) {
  async function runBatch(requests: ReserveRequest[]): Promise<ReserveOutcome[]> {
    const order = requests
      .map((r, i) => ({ r, i }))
      .sort((a, b) => (a.r.row.sku < b.r.row.sku ? -1 : a.r.row.sku > b.r.row.sku ? 1 : a.i - b.i));
    const at = new Date().toISOString();
    const outcomes: ReserveOutcome[] = requests.map(() => ({ ok: false }));
    const pending = await deps.db.transaction().execute(async (trx) => {
      const made: InventoryReservationRow[] = [];
      const history: InventoryHistoryRow[] = [];
      const touched = new Map<string, { before: Levels; after: InventoryItemRow }>();
      for (const { r, i } of order) {
        const n = r.row.quantity;
        const item = await trx
          .updateTable("inventory_items")
          .set({
            reserved: sql<number>`reserved + ${n}`,
            version: sql<number>`version + 1`,
            updated_at: at,
          })
          .where("sku", "=", r.row.sku)
          .where(sql<boolean>`on_hand - reserved >= ${n}`)
          .returningAll()
          .executeTakeFirst();
        if (!item) continue;
        outcomes[i] = { ok: true };
        made.push(r.row);
        history.push(
          historyRow({
            item,
            before: null,
            kind: "reserve",
            deltaOnHand: 0,
            deltaReserved: n,
            reservationId: r.row.id,
            by: r.by,
            at,
          }),
        );
        const seen = touched.get(item.sku);
        touched.set(item.sku, {
          before: seen?.before ?? { ...item, reserved: item.reserved - n },
          after: item,
        });
      }
      if (made.length === 0) return [];
      await trx.insertInto("inventory_reservations").values(made).execute();
      await trx.insertInto("inventory_history").values(history).execute();
      const staged: Pending[] = [];
      for (const { before, after } of touched.values())
        staged.push(await stageAnnouncements(trx, deps, after, before, at));
      return staged;
    });
    await announce(deps, ...pending);
    return outcomes;
  }

  const group = new GroupCommit(runBatch);
  return (request: ReserveRequest) => group.submit(request);
}
