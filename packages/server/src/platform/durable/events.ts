import { CompiledQuery, type Kysely, type Transaction } from "kysely";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { EventBus } from "../../events.js";
import { ulid } from "../../ids.js";
import type { Database } from "../../store/schema.js";
import { valuesList } from "../../store/values-list.js";
import {
  anyDue,
  claimDue,
  groupOf,
  lockClaims,
  releaseClaims,
  selectDue,
  splitIntoLanes,
  turnTaken,
  unindexed,
} from "./claims.js";
import { type AfterCommit, runAfterCommit, runGuarded } from "./handler-guard.js";
import { backoffMs, errorText, LostClaim, WakeLoop } from "./loop.js";
import type { EventDeliveryRow } from "./migrations.js";
import { PUBLICATION_HANDLER } from "./publications.js";
import {
  type DomainEvent,
  type EmitInput,
  EVENT_TYPE,
  type EventHandler,
  HANDLER_NAME,
  type HandlerOptions,
} from "./types.js";

export interface DurableOptions {
  db: Kysely<Database>;
  /** Claims are serialized differently per dialect (see claims.ts). */
  dialect: "sqlite" | "postgres";
  logger: Logger;
  /** Unique per process: claims name it. */
  nodeId: string;
  pollMs: number;
  leaseMs: number;
  maxAttempts: number;
  registry?: Registry;
  /** Rows claimed per pass (default 500). */
  batch?: number;
  /** Deliveries run in one transaction (default 250; a failure reruns them one by one). */
  chunk?: number;
  /**
   * PostgreSQL: handler transactions run at once, each with its own aggregates (default 4: each
   * round trip waits on the network, and the pool has room). SQLite runs one at a time.
   */
  lanes?: number;
}

export interface DeliveryCounters {
  handled: Counter<"handler">;
  failed: Counter<"handler">;
  dead: Counter<"handler">;
}

interface Registered {
  type: string;
  fn: EventHandler<unknown>;
  maxAttempts: number;
  when?: (payload: unknown) => boolean;
}

const INSERT_DELIVERIES =
  "insert into event_deliveries (id, event_id, handler, type, aggregate, payload, occurred_at, status, attempts, next_at) values ";

/** How long a locally emitted delivery is looked for before the poll alone takes over. */
const EXPECT_MS = 3000;

/**
 * Durable domain events: `emit` writes one delivery row per registered handler inside the
 * emitter's transaction; the dispatcher claims due rows with a conditional update (a lease, so a
 * dead node's rows are taken over), runs each handler in a transaction that also deletes its row
 * (a handler's database effect and "done" commit together), retries failures with backoff and
 * parks a delivery as a dead letter after `maxAttempts`. One aggregate's events reach a handler
 * in event order: a row waits while an earlier one of its aggregate is running or backing off.
 */
export class DurableEvents {
  /** The in-process bus for live-only uses (after-commit, this node only, lost on a crash). */
  readonly local: EventBus;
  private readonly handlers = new Map<string, Registered>();
  private readonly byType = new Map<string, string[]>();
  private readonly loop: WakeLoop;
  /** Deliveries this node wrote and has not seen yet (their transaction may not have committed). */
  private readonly expected = new Map<string, number>();
  /** Also counts the outbox's publications (handler `realtime.publish`): one set of metrics. */
  readonly counters: DeliveryCounters;

  constructor(private readonly options: DurableOptions) {
    this.local = new EventBus(options.logger);
    this.loop = new WakeLoop("events", () => this.pass(), options.pollMs, options.logger);
    const registers = options.registry ? [options.registry] : [];
    this.counters = {
      handled: new Counter({
        name: "switchboard_events_handled_total",
        help: "Durable event deliveries a handler completed, by handler",
        labelNames: ["handler"],
        registers,
      }),
      failed: new Counter({
        name: "switchboard_events_failed_total",
        help: "Durable event handler runs that failed (each is retried or parked), by handler",
        labelNames: ["handler"],
        registers,
      }),
      dead: new Counter({
        name: "switchboard_events_dead_lettered_total",
        help: "Durable event deliveries parked as dead letters after their last attempt, by handler",
        labelNames: ["handler"],
        registers,
      }),
    };
  }

  /**
   * Registers a durable handler. `handler` ("<module>.<what>") names it in rows, dead letters and
   * metrics, and with the event id is its idempotency scope: keep it stable.
   */
  on<P = unknown>(type: string, handler: string, fn: EventHandler<P>, opts: HandlerOptions = {}) {
    if (!EVENT_TYPE.test(type))
      throw new Error(`event type "${type}" must look like "order.created"`);
    if (!HANDLER_NAME.test(handler))
      throw new Error(`handler name "${handler}" must look like "<module>.<what>"`);
    if (this.handlers.has(handler)) throw new Error(`event handler ${handler} registered twice`);
    // its rows are the outbox's realtime publications: this dispatcher must never take them
    if (handler === PUBLICATION_HANDLER)
      throw new Error(`handler name ${handler} is reserved for the outbox's publications`);
    const maxAttempts = opts.maxAttempts ?? this.options.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new Error(`handler ${handler}: maxAttempts must be a positive integer`);
    this.handlers.set(handler, {
      type,
      fn: fn as EventHandler<unknown>,
      maxAttempts,
      ...(opts.when && { when: opts.when }),
    });
    this.byType.set(type, [...(this.byType.get(type) ?? []), handler]);
  }

  /**
   * Records the event inside the caller's transaction: it exists if and only if the transaction
   * commits. Returns the event id. Handlers of other nodes are the same as this node's (every node
   * of a cluster runs the same modules).
   */
  async emit(trx: Transaction<Database>, e: EmitInput): Promise<string> {
    const [id] = await this.emitAll(trx, [e]);
    return id as string;
  }

  /** `emit` for several events in one insert (in order). */
  async emitAll(trx: Transaction<Database>, events: readonly EmitInput[]): Promise<string[]> {
    const rows: EventDeliveryRow[] = [];
    const ids: string[] = [];
    const at = new Date().toISOString();
    for (const e of events) {
      if (!EVENT_TYPE.test(e.type))
        throw new Error(`event type "${e.type}" must look like "order.created"`);
      if (typeof e.aggregate !== "string" || e.aggregate.length === 0 || e.aggregate.length > 300)
        throw new Error("event aggregate must be a non-empty string of at most 300 characters");
      const id = ulid();
      ids.push(id);
      const handlers = this.byType.get(e.type);
      if (!handlers) continue;
      let payload: string | undefined;
      for (const handler of handlers) {
        if (!this.concerns(handler, e.payload)) continue;
        payload ??= JSON.stringify(e.payload ?? null);
        rows.push({
          id: `${id}/${handler}`,
          event_id: id,
          handler,
          type: e.type,
          aggregate: e.aggregate,
          payload,
          occurred_at: at,
          status: "pending",
          attempts: 0,
          next_at: at,
          claim: null,
          lease_until: null,
          last_error: null,
          failed_at: null,
        });
      }
    }
    if (rows.length === 0) return ids;
    // raw SQL, 10 of 14 columns (the others start null): on hot paths (a chat message's events)
    // building this insert with the query builder cost more than running it
    for (let i = 0; i < rows.length; i += 200) {
      const part = rows.slice(i, i + 200);
      const params: unknown[] = [];
      for (const r of part)
        params.push(
          r.id,
          r.event_id,
          r.handler,
          r.type,
          r.aggregate,
          r.payload,
          r.occurred_at,
          r.status,
          r.attempts,
          r.next_at,
        );
      await trx.executeQuery(
        CompiledQuery.raw(
          INSERT_DELIVERIES + valuesList(this.options.dialect, part.length, 10),
          params,
        ),
      );
    }
    const now = Date.now();
    for (const row of rows) this.expected.set(row.id, now);
    // The transaction commits after this returns: look now (SQLite: the query waits for the
    // commit) and again shortly (PostgreSQL: another connection may look before the commit).
    this.loop.wake();
    return ids;
  }

  /** The handler's `when` on the payload; a test that throws lets the event through. */
  private concerns(handler: string, payload: unknown): boolean {
    const when = this.handlers.get(handler)?.when;
    if (!when) return true;
    try {
      return when(payload ?? null);
    } catch {
      return true;
    }
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.local.settled();
  }

  /** In-process handlers finished (tests, shutdown); durable ones run on their own. */
  async settled(): Promise<void> {
    await this.local.settled();
  }

  /** Runs one dispatcher pass now (tests, benchmarks). True when a full batch was claimed. */
  async runOnce(): Promise<boolean> {
    await this.loop.idle();
    return this.pass();
  }

  private async pass(): Promise<boolean> {
    const handlers = [...this.handlers.keys()];
    if (handlers.length === 0) return false;
    return this.options.dialect === "sqlite"
      ? this.passInline(handlers)
      : this.passClaimed(handlers);
  }

  /**
   * SQLite: the write lock is the claim. Each transaction locks, takes the next due rows, deletes
   * them and runs their handlers, and commits it all at once: no claim to write and no lease to
   * keep (processes sharing the file wait for the lock; none sees a row before it is done). A
   * failure rolls the chunk back and its rows run one by one, to tell which failed.
   */
  private async passInline(handlers: string[]): Promise<boolean> {
    const batch = this.options.batch ?? 500;
    // 50: the write lock is held while handlers run; servers sharing the file in one process
    // (the multi-node tests) wait for it with a blocked thread, so keep each hold short
    const chunk = Math.min(this.options.chunk ?? 50, batch);
    let done = 0;
    while (done < batch) {
      // Look before locking: an idle pass takes no write lock (a lock wait blocks the thread)
      if (!(await anyDue(this.options.db, handlers))) {
        this.forgetExpected([]);
        return false;
      }
      let taken: EventDeliveryRow[] = [];
      let more = false;
      const after: AfterCommit[] = [];
      const release = await inlineTurn();
      try {
        await this.options.db.transaction().execute(async (trx) => {
          await lockClaims(trx, "sqlite");
          const due = await selectDue(trx, handlers, chunk);
          this.forgetExpected(due.seen);
          taken = due.rows;
          more = due.more;
          if (taken.length > 0) await this.deleteAndRun(trx, taken, null, after);
        });
        this.countHandled(taken);
        runAfterCommit(after, this.options.logger);
      } catch (err) {
        if (taken.length === 0) throw err; // the lock or the scan failed: the loop retries
        await this.runSingly(taken, null);
      } finally {
        release();
      }
      done += taken.length;
      if (!more) return false;
    }
    return true;
  }

  /**
   * PostgreSQL: claim a batch under a lease (one short transaction), then run it in lanes — one
   * transaction at a time per lane, each lane with its own aggregates — on the pool.
   */
  private async passClaimed(handlers: string[]): Promise<boolean> {
    const { claim, rows, seen, more } = await claimDue({
      db: this.options.db,
      dialect: this.options.dialect,
      nodeId: this.options.nodeId,
      leaseMs: this.options.leaseMs,
      handlers,
      batch: this.options.batch ?? 500,
    });
    this.forgetExpected(seen);
    if (rows.length === 0) return false;
    const lanes = splitIntoLanes(
      rows,
      this.options.lanes ?? (this.options.dialect === "postgres" ? 4 : 1),
    );
    await Promise.all(lanes.map((lane) => this.runClaimed(lane, claim)));
    return more;
  }

  private forgetExpected(seen: readonly { id: string }[]): void {
    if (this.expected.size === 0) return;
    for (const row of seen) this.expected.delete(row.id);
    const cutoff = Date.now() - EXPECT_MS;
    for (const [id, at] of this.expected) if (at < cutoff) this.expected.delete(id);
    // rows written here and not visible yet: their transaction is about to commit
    if (this.expected.size > 0) this.loop.wakeWithin(20);
  }

  /** Runs claimed rows in event order, several per transaction; a failure reruns them singly. */
  private async runClaimed(rows: EventDeliveryRow[], claim: string): Promise<void> {
    const chunk = this.options.chunk ?? 250;
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk);
      if (part.length > 1) {
        try {
          const after: AfterCommit[] = [];
          await this.options.db
            .transaction()
            .execute((trx) => this.deleteAndRun(trx, part, claim, after));
          this.countHandled(part);
          runAfterCommit(after, this.options.logger);
          continue;
        } catch {
          // one of them failed (or the claim was lost): each runs alone below, to tell which
        }
      }
      await this.runSingly(part, claim);
    }
  }

  /**
   * Runs each row in its own transaction, in order; after a failure, the rest of its group waits
   * (claimed rows are given back). `claim` null: the SQLite way, the row is taken in the run's
   * own transaction if it is still due and its turn.
   */
  private async runSingly(rows: EventDeliveryRow[], claim: string | null): Promise<void> {
    const failedGroups = new Set<string>();
    const release: string[] = [];
    for (const row of rows) {
      const group = groupOf(row);
      if (failedGroups.has(group)) {
        release.push(row.id); // an earlier event of its aggregate failed: it waits its turn
        continue;
      }
      try {
        const after: AfterCommit[] = [];
        await this.options.db.transaction().execute(async (trx) => {
          if (claim === null) {
            await lockClaims(trx, "sqlite");
            if (await turnTaken(trx, row)) throw new LostClaim("event delivery");
          }
          await this.deleteAndRun(trx, [row], claim, after);
        });
        this.countHandled([row]);
        runAfterCommit(after, this.options.logger);
      } catch (err) {
        if (err instanceof LostClaim) {
          failedGroups.add(group); // done or taken meanwhile: leave the rest of the group too
          continue;
        }
        failedGroups.add(group);
        await this.recordFailure(row, claim, err);
      }
    }
    if (claim !== null) await releaseClaims(this.options.db, release, claim);
  }

  /**
   * Deletes the rows first — under our claim, or (claim null) while still pending and due — so
   * they are locked for this transaction and gone when it commits, with what the handlers wrote.
   */
  private async deleteAndRun(
    trx: Transaction<Database>,
    rows: EventDeliveryRow[],
    claim: string | null,
    after: AfterCommit[],
  ): Promise<void> {
    let deleted = 0;
    for (let i = 0; i < rows.length; i += 500) {
      let q = trx.deleteFrom("event_deliveries").where(
        "id",
        "in",
        rows.slice(i, i + 500).map((row) => row.id),
      );
      q =
        claim === null
          ? q
              .where(unindexed("status"), "=", "pending")
              .where(unindexed("next_at"), "<=", new Date().toISOString())
          : q.where("claim", "=", claim);
      const r = await q.executeTakeFirst();
      deleted += Number(r.numDeletedRows);
    }
    if (deleted !== rows.length) throw new LostClaim("event delivery");
    const before: { handler: string; fn: () => Promise<unknown> }[] = [];
    for (const row of rows) {
      const registered = this.handlers.get(row.handler);
      if (!registered) throw new Error(`no handler ${row.handler} on this node`);
      await runGuarded(`durable event handler ${row.handler}`, () =>
        registered.fn(eventOf(row), {
          transaction: trx,
          attempt: row.attempts + 1,
          afterCommit: (fn) => void after.push(fn),
          beforeCommit: (fn) => void before.push({ handler: row.handler, fn }),
        }),
      );
    }
    for (const b of before) await runGuarded(`durable event handler ${b.handler}`, b.fn);
  }

  private countHandled(rows: readonly EventDeliveryRow[]): void {
    for (const row of rows) this.counters.handled.inc({ handler: row.handler });
  }

  private async recordFailure(
    row: EventDeliveryRow,
    claim: string | null,
    err: unknown,
  ): Promise<void> {
    const attempts = row.attempts + 1;
    const maxAttempts = this.handlers.get(row.handler)?.maxAttempts ?? this.options.maxAttempts;
    const dead = attempts >= maxAttempts;
    const at = new Date();
    this.counters.failed.inc({ handler: row.handler });
    if (dead) this.counters.dead.inc({ handler: row.handler });
    this.options.logger[dead ? "error" : "warn"](
      { err, handler: row.handler, event: row.event_id, type: row.type, attempts },
      dead
        ? "event handler failed for the last time: dead letter"
        : "event handler failed; will retry",
    );
    const q = this.options.db
      .updateTable("event_deliveries")
      .set({
        attempts,
        status: dead ? "dead" : "pending",
        next_at: new Date(at.getTime() + (dead ? 0 : backoffMs(attempts))).toISOString(),
        claim: null,
        lease_until: null,
        last_error: errorText(err),
        failed_at: dead ? at.toISOString() : null,
      })
      .where("id", "=", row.id)
      .where(unindexed("status"), "=", "pending");
    await (claim === null ? q : q.where("claim", "=", claim)).execute();
  }
}

/**
 * One inline pass at a time in this process. Several servers in one process sharing a SQLite
 * file (the multi-node tests) each have a connection; a pass holds the write lock while its
 * handlers run, and another connection's lock wait blocks the thread (busy_timeout) — so the
 * holder could not finish. Waiting here instead keeps the event loop turning.
 */
let inlineChain: Promise<void> = Promise.resolve();
async function inlineTurn(): Promise<() => void> {
  let release: () => void = () => {};
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const before = inlineChain;
  inlineChain = before.then(() => mine);
  await before;
  return release;
}

export function eventOf<P = unknown>(row: EventDeliveryRow): DomainEvent<P> {
  return {
    id: row.event_id,
    type: row.type,
    aggregate: row.aggregate,
    payload: JSON.parse(row.payload) as P,
    occurredAt: row.occurred_at,
  };
}
