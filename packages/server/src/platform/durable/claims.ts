import { type Kysely, sql, type Transaction } from "kysely";
import { ulid } from "../../ids.js";
import type { Database } from "../../store/schema.js";
import type { EventDeliveryRow } from "./migrations.js";

export type Dialect = "sqlite" | "postgres";

export interface ClaimOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  nodeId: string;
  leaseMs: number;
  /** Handlers this node runs. */
  handlers: readonly string[];
  batch: number;
}

/** The (handler, aggregate) group whose events reach the handler in order. */
export const groupOf = (row: Pick<EventDeliveryRow, "handler" | "aggregate">) =>
  `${row.handler} ${row.aggregate}`;

const IN_LIST = 500;

/**
 * The column as an expression no index serves. Planners without statistics (a young table)
 * otherwise pick the `(status, next_at)` index for `next_at <= now`, which matches nearly
 * every row, and then sort them all (SQLite: 16 ms per claim at 40,000 pending rows).
 */
export const unindexed = (column: "status" | "next_at") => sql<string>`(${sql.ref(column)} || '')`;
/** Pages of due rows one pass reads past blocked groups before it gives up until the next pass. */
const MAX_PAGES = 8;

export interface DueRows {
  /** Due rows of groups with nothing running elsewhere or backing off, in event order. */
  rows: EventDeliveryRow[];
  /** Every due row the scan looked at, taken or not. */
  seen: readonly { id: string }[];
  /** The scan stopped at its limit: there may be more due rows right away. */
  more: boolean;
}

/**
 * Serializes claims across nodes for the rest of the transaction. PostgreSQL: an advisory lock
 * (per schema). SQLite: the write lock, taken now as BEGIN IMMEDIATE would, so that processes
 * sharing the file wait their turn (busy_timeout) rather than fail when the claim writes after
 * reading.
 */
export async function lockClaims(trx: Transaction<Database>, dialect: Dialect): Promise<void> {
  if (dialect === "postgres")
    await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.switchboard_event_claims'))`.execute(
      trx,
    );
  else await sql`update event_deliveries set claim = claim where 1 = 0`.execute(trx);
}

/**
 * The due rows a node may take now, under `lockClaims`. A row is due when `next_at <= now`:
 * a claim moves `next_at` to the end of its lease (a row running elsewhere is not due, and is
 * due again if that node dies), a failure to the end of its backoff. So "running elsewhere or
 * backing off" is one range of the `(status, next_at)` index, and one aggregate's order is kept
 * by skipping every group (handler, aggregate) with such a row. With claims serialized, the only
 * changes meanwhile are finished rows (deleted) and failures (`next_at` stays in the future).
 *
 * (One query with a correlated NOT EXISTS did this before; PostgreSQL planned it as a nested loop
 * over the whole table: 15 s per pass at 5,000 pending rows.)
 */
export async function selectDue(
  trx: Transaction<Database>,
  handlers: readonly string[],
  limit: number,
): Promise<DueRows> {
  const now = new Date().toISOString();
  const blockedRows = await trx
    .selectFrom("event_deliveries")
    .select(["handler", "aggregate"])
    .where("status", "=", "pending")
    .where("next_at", ">", now)
    .where("handler", "in", handlers)
    .execute();
  const blocked = new Set(blockedRows.map(groupOf));
  const wanted = new Map<string, EventDeliveryRow>();
  const seen: { id: string }[] = [];
  let after: string | undefined;
  let more = false;
  for (let page = 0; page < MAX_PAGES && wanted.size < limit; page++) {
    let q = trx
      .selectFrom("event_deliveries")
      .selectAll()
      .where("status", "=", "pending")
      .where("handler", "in", handlers)
      .where(unindexed("next_at"), "<=", now);
    // the next page starts at the last event again: its other handlers' rows may follow
    if (after !== undefined) q = q.where("event_id", ">=", after);
    const rows = await q.orderBy("event_id").limit(limit).execute();
    for (const row of rows) {
      seen.push(row);
      if (!blocked.has(groupOf(row)) && wanted.size < limit) wanted.set(row.id, row);
    }
    more = rows.length >= limit;
    if (!more) break;
    after = (rows[rows.length - 1] as EventDeliveryRow).event_id;
  }
  const rows = [...wanted.values()];
  return { rows, seen, more: more && rows.length > 0 };
}

export interface Claimed extends DueRows {
  claim: string;
}

/**
 * Claims due rows for a run outside the claim's transaction (PostgreSQL: handlers then run on
 * several connections at once): `next_at` and `lease_until` move to the end of the lease, under a
 * conditional update kept as a safeguard. A row missed (which the lock should prevent) holds up
 * the rest of its group.
 */
export async function claimDue(o: ClaimOptions): Promise<Claimed> {
  return o.db.transaction().execute(async (trx) => {
    await lockClaims(trx, o.dialect);
    const claim = `${o.nodeId}:${ulid()}`;
    const due = await selectDue(trx, o.handlers, o.batch);
    if (due.rows.length === 0) return { ...due, claim };
    const now = new Date().toISOString();
    const leaseUntil = new Date(Date.now() + o.leaseMs).toISOString();
    const claimedIds = new Set<string>();
    for (let i = 0; i < due.rows.length; i += IN_LIST) {
      const got = await trx
        .updateTable("event_deliveries")
        .set({ claim, lease_until: leaseUntil, next_at: leaseUntil })
        .where("id", "in", (eb) => {
          const ids = due.rows.slice(i, i + IN_LIST).map((c) => c.id);
          // A row locked by a handler's open transaction (a frozen or slow node past its
          // lease) is skipped, its group held up, rather than waited on while this
          // transaction holds the cluster's claim lock: waiting would stall every node's claims.
          const pick = eb.selectFrom("event_deliveries").select("id").where("id", "in", ids);
          return o.dialect === "postgres" ? pick.forUpdate().skipLocked() : pick;
        })
        .where(unindexed("status"), "=", "pending")
        .where(unindexed("next_at"), "<=", now)
        .returning("id")
        .execute();
      for (const g of got) claimedIds.add(g.id);
    }
    const lost = new Set<string>();
    const rows: EventDeliveryRow[] = [];
    const release: string[] = [];
    for (const row of due.rows) {
      const group = groupOf(row);
      if (!claimedIds.has(row.id)) lost.add(group);
      else if (lost.has(group)) release.push(row.id);
      else rows.push({ ...row, claim, lease_until: leaseUntil, next_at: leaseUntil });
    }
    await releaseClaims(trx, release, claim);
    return { claim, rows, seen: due.seen, more: due.more && rows.length > 0 };
  });
}

/** Whether any row of these handlers is due (a read: no lock). */
export async function anyDue(db: Kysely<Database>, handlers: readonly string[]): Promise<boolean> {
  const row = await db
    .selectFrom("event_deliveries")
    .select("id")
    .where("status", "=", "pending")
    .where("handler", "in", handlers)
    .where(unindexed("next_at"), "<=", new Date().toISOString())
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** True when an earlier row of the row's group runs elsewhere or backs off (not its turn). */
export async function turnTaken(trx: Transaction<Database>, row: EventDeliveryRow) {
  const earlier = await trx
    .selectFrom("event_deliveries")
    .select("id")
    .where("status", "=", "pending")
    .where("next_at", ">", new Date().toISOString())
    .where("handler", "=", row.handler)
    .where("aggregate", "=", row.aggregate)
    .where("event_id", "<", row.event_id)
    .limit(1)
    .execute();
  return earlier.length > 0;
}

/** Gives rows back (pending, due now) without counting an attempt. */
export async function releaseClaims(
  db: Kysely<Database> | Transaction<Database>,
  ids: readonly string[],
  claim: string,
): Promise<void> {
  const now = new Date().toISOString();
  for (let i = 0; i < ids.length; i += IN_LIST)
    await db
      .updateTable("event_deliveries")
      .set({ claim: null, lease_until: null, next_at: now })
      .where("id", "in", ids.slice(i, i + IN_LIST))
      .where("claim", "=", claim)
      .execute();
}

/**
 * Splits rows into at most `lanes` lists so that an aggregate stays in one list, in order: lists
 * run concurrently (PostgreSQL's pool), each in order. By aggregate rather than by (handler,
 * aggregate) group, so that two handlers of one aggregate's events (order.created in one,
 * order.status_changed in another) still hear them in the order they happened.
 */
export function splitIntoLanes(
  rows: readonly EventDeliveryRow[],
  lanes: number,
): EventDeliveryRow[][] {
  if (lanes <= 1) return [rows.slice()];
  const out: EventDeliveryRow[][] = Array.from({ length: lanes }, () => []);
  for (const row of rows) out[hash(row.aggregate) % lanes]?.push(row);
  return out.filter((l) => l.length > 0);
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
