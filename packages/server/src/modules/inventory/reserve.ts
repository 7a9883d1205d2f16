import { sql, type Transaction } from "kysely";
import { now } from "../../platform/kit/actor.js";
import { GroupCommit } from "../../store/group-commit.js";
import type { Database } from "../../store/schema.js";
import { announce, historyRow, type Pending, stageAnnouncements } from "./announce.js";
import type { InventoryDeps, Levels } from "./changes.js";
import { INVENTORY_EVENTS, type InventoryReservationEvent, productChannel } from "./contract.js";
import type {
  InventoryHistoryRow,
  InventoryItemRow,
  InventoryReservationRow,
} from "./migrations.js";

export interface ReserveRequest {
  /** The reservation to insert if the units are there (status active). */
  row: InventoryReservationRow;
  by: string;
  /** Runs in the batch's transaction if this reservation is made (e.g. keeps its HTTP answer). */
  inTransaction?: (trx: Transaction<Database>) => Promise<void>;
  /** A customer's cap on active reservations (absent: staff or the API key, uncapped). */
  maxActive?: number;
}

/**
 * Either the reservation was made, or the units were not there (or the item does not exist), or
 * the customer already holds their cap of active reservations.
 */
export type ReserveOutcome = { ok: true } | { ok: false; capped?: boolean };

/**
 * Reservations that arrive together are made in one transaction (group commit). Per item, the
 * batch first tries to hold all of its requests with one conditional UPDATE (`… WHERE on_hand -
 * reserved >= total`): if the total fits, every request fits, as quantities are positive. If
 * not, each request gets its own conditional UPDATE, in arrival order, so one that finds too few
 * units fails alone and no interleaving can oversell. Items are locked in key order so two
 * nodes' batches never wait on each other in a cycle (PostgreSQL). The levels each item reached
 * are announced once per batch: the intermediate states were never committed, so nobody could
 * have seen them.
 */
export function createReserveBatcher(deps: InventoryDeps) {
  type Queued = { r: ReserveRequest; i: number };

  async function runBatch(requests: ReserveRequest[]): Promise<ReserveOutcome[]> {
    const bySku = new Map<string, Queued[]>();
    for (const [i, r] of requests.entries()) {
      const list = bySku.get(r.row.sku) ?? [];
      list.push({ r, i });
      bySku.set(r.row.sku, list);
    }
    const skus = [...bySku.keys()].sort();
    const at = now();
    const outcomes: ReserveOutcome[] = requests.map(() => ({ ok: false }));
    const pending = await deps.db.transaction().execute(async (trx) => {
      await refuseOverCap(trx, requests, outcomes, bySku);
      const hold = (sku: string, n: number) =>
        trx
          .updateTable("inventory_items")
          .set({
            reserved: sql<number>`reserved + ${n}`,
            version: sql<number>`version + 1`,
            updated_at: at,
          })
          .where("sku", "=", sku)
          .where(sql<boolean>`on_hand - reserved >= ${n}`)
          .returningAll()
          .executeTakeFirst();
      const made: InventoryReservationRow[] = [];
      const granted: ReserveRequest[] = [];
      const history: InventoryHistoryRow[] = [];
      const staged: Pending[] = [];
      /** Records one granted request; `item` holds the levels right after it. */
      const grant = ({ r, i }: Queued, item: InventoryItemRow) => {
        outcomes[i] = { ok: true };
        made.push(r.row);
        granted.push(r);
        history.push(
          historyRow({
            item,
            before: null,
            kind: "reserve",
            deltaOnHand: 0,
            deltaReserved: r.row.quantity,
            reservationId: r.row.id,
            by: r.by,
            at,
          }),
        );
      };
      for (const sku of skus) {
        const queued = bySku.get(sku) as Queued[];
        if (queued.length === 0) continue;
        const total = queued.reduce((sum, q) => sum + q.r.row.quantity, 0);
        let before: Levels | undefined;
        let after = queued.length > 1 ? await hold(sku, total) : undefined;
        if (after) {
          let reserved = after.reserved - total;
          before = { ...after, reserved };
          for (const q of queued) {
            reserved += q.r.row.quantity;
            grant(q, { ...after, reserved });
          }
        } else {
          for (const q of queued) {
            const item = await hold(sku, q.r.row.quantity);
            if (!item) continue;
            before ??= { ...item, reserved: item.reserved - q.r.row.quantity };
            after = item;
            grant(q, item);
          }
        }
        if (before && after) staged.push(await stageAnnouncements(trx, deps, after, before, at));
      }
      if (made.length === 0) return staged;
      await trx.insertInto("inventory_reservations").values(made).execute();
      // durable, in the reservation's commit: metrics' conversion (reservations → sales)
      await deps.events.emitAll(
        trx,
        made.map((m) => ({
          type: INVENTORY_EVENTS.reservationCreated,
          aggregate: productChannel(m.sku),
          payload: {
            reservationId: m.id,
            itemId: m.sku,
            quantity: m.quantity,
            ...(m.customer_id !== null && { userId: m.customer_id }),
            at,
          } satisfies InventoryReservationEvent,
        })),
      );
      await trx.insertInto("inventory_history").values(history).execute();
      // A step that fails (an idempotency claim taken over) fails the batch: its requests are
      // answered 503 and retried, and nothing of it was written.
      for (const r of granted) await r.inTransaction?.(trx);
      return staged;
    });
    await announce(deps, ...pending);
    return outcomes;
  }

  /**
   * Drops from the batch the requests of customers at their cap of active reservations (counted
   * in the database, plus those earlier in this batch). Each capped customer is locked first, in
   * key order (an advisory lock on PostgreSQL; SQLite has one writer), so racing requests on any
   * node cannot both see room for one more.
   */
  async function refuseOverCap(
    trx: Transaction<Database>,
    requests: ReserveRequest[],
    outcomes: ReserveOutcome[],
    bySku: Map<string, Queued[]>,
  ): Promise<void> {
    const customers = [
      ...new Set(
        requests.flatMap((r) =>
          r.maxActive !== undefined && r.row.customer_id ? [r.row.customer_id] : [],
        ),
      ),
    ].sort();
    if (customers.length === 0) return;
    const held = new Map<string, number>();
    for (const customer of customers) {
      if (deps.dialect === "postgres")
        await sql`select pg_advisory_xact_lock(hashtextextended(${`inventory:reservations:${customer}`}, 0))`.execute(
          trx,
        );
      const row = await trx
        .selectFrom("inventory_reservations")
        .select((eb) => eb.fn.countAll<number | string>().as("n"))
        .where("customer_id", "=", customer)
        .where("status", "=", "active")
        .executeTakeFirst();
      held.set(customer, Number(row?.n ?? 0));
    }
    const refused = new Set<number>();
    for (const [i, r] of requests.entries()) {
      const customer = r.row.customer_id;
      if (r.maxActive === undefined || !customer) continue;
      const count = held.get(customer) ?? 0;
      if (count >= r.maxActive) {
        outcomes[i] = { ok: false, capped: true };
        refused.add(i);
      } else held.set(customer, count + 1);
    }
    if (refused.size === 0) return;
    for (const [sku, queued] of bySku)
      bySku.set(
        sku,
        queued.filter((q) => !refused.has(q.i)),
      );
  }

  const group = new GroupCommit(runBatch);
  return (request: ReserveRequest) => group.submit(request);
}
