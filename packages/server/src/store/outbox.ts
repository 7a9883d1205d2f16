import { CompiledQuery, type Kysely, PostgresAdapter, sql, type Transaction } from "kysely";
import type { Logger } from "pino";
import { SwitchboardError } from "../errors.js";
import { ulid } from "../ids.js";
import { anyDue, claimDue, type Dialect, releaseClaims } from "../platform/durable/claims.js";
import type { DeliveryCounters } from "../platform/durable/events.js";
import { backoffMs, errorText } from "../platform/durable/loop.js";
import type { EventDeliveryRow } from "../platform/durable/migrations.js";
import {
  PUBLICATION_HANDLER,
  PUBLICATION_TYPE,
  type PublicationPayload,
} from "../platform/durable/publications.js";
import type { Database } from "./schema.js";
import { valuesList } from "./values-list.js";

export interface OutboxMessage {
  channel: string;
  event: string;
  data: unknown;
  /** Idempotency key: a message published twice (retry, crash between publish and delete) is delivered once. */
  key: string;
}

type Publish = (channel: string, event: string, data: unknown, key: string) => Promise<unknown>;

export interface OutboxOptions {
  /** Default: read from the Kysely adapter. */
  dialect?: Dialect;
  /** Names the sweep's claims (default: a fresh id). */
  nodeId?: string;
  /** How long a sweep's claim holds (default 30 s); a dead node's claim is taken over after it. */
  leaseMs?: number;
  /** The durable events' Prometheus counters, so publications count under their handler name. */
  counters?: DeliveryCounters;
  /** Test-only crash points (platform/crash-points.ts). */
  crashPoint?: (point: string) => void;
  /**
   * This process is the only one writing publications (one node: the memory broker). Then a
   * flush need not look for other writers' older rows of its channels once the sweep has seen
   * that none wait (left by a previous run, or by a failed publish of this one).
   */
  exclusive?: boolean;
}

/**
 * How long the committing node has to publish a row itself before the sweep of any node takes
 * it: the row is written with `next_at` this far ahead, an implicit lease of the committer.
 */
const ORPHAN_AFTER_MS = 5000;
/** A publication that failed on a broker outage is retried at least this often. */
const MAX_RETRY_MS = 5000;
const IN_LIST = 500;
/**
 * Published rows are deleted together, this long after the first of them was published (or at
 * once when DELETE_AT rows are waiting): one statement, and on SQLite one write transaction, for
 * the flushes of several loop turns instead of one each, and none on the message's own path.
 * Kept short: until deleted they are pending rows with `next_at` ahead, which the durable
 * dispatcher's look-up of blocked groups (`status`, `next_at` > now) reads on every pass.
 */
const DELETE_AFTER_MS = 5;
const DELETE_AT = 200;
/** A delete that failed (the database is away) is tried again after this long. */
const DELETE_RETRY_MS = 1000;

// chat writes its batches the same way
export { valuesList };

const INSERT =
  "insert into event_deliveries (id, event_id, handler, type, aggregate, payload, occurred_at, status, attempts, next_at) values ";

/**
 * The transactional outbox, as one consumer of the durable event table: a module writes its
 * realtime messages in the same transaction as the change they announce — rows of
 * `event_deliveries` for the built-in handler `realtime.publish`, aggregate = channel — so a
 * committed change is always announced, even if the broker is down at that moment or the process
 * dies right after the commit.
 *
 * Latency stays that of a direct publish: after the commit, `flush` publishes the rows at once
 * from memory, outside any transaction, and deletes them. The durable machinery is the safety
 * net: a row not published within 5 s (its node died, or the broker failed) becomes due, and the
 * sweep claims it with a lease (`claims.ts`), publishes it, retries a broker failure with backoff
 * (never parked: a channel's later messages wait, so they leave in order) and parks a message the
 * broker can never take (an unknown namespace) as a dead letter, listed and replayed with every
 * other one under `/api/admin/dead-letters`. Broker idempotency keys make a repeat harmless.
 */
type Written = { row: EventDeliveryRow; payload: PublicationPayload };

export class Outbox {
  private chain: Promise<void> = Promise.resolve();
  /**
   * Rows this process wrote, so a flush right after the commit need not read them back (with
   * their payload as written, so it is not parsed back either).
   */
  private readonly recent = new Map<string, Written>();
  /**
   * Published, not yet deleted (the delete is merged with others'): every later flush, look-up
   * and sweep treats them as gone. A crash before the delete leaves them to the sweep, which
   * publishes them again with their idempotency key, as a crash between publish and delete did.
   */
  private readonly published = new Set<string>();
  private deleteTimer: NodeJS.Timeout | undefined;
  /**
   * Rows not of this process's own flushes may be pending (always so unless `exclusive`): a
   * previous run's, or ones whose publish failed. Cleared by a sweep that finds none.
   */
  private othersMayWait = true;
  private deleting: Promise<void> = Promise.resolve();
  private readonly dialect: Dialect;
  private readonly nodeId: string;
  private readonly crashPoint: (point: string) => void;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly publish: Publish,
    private readonly logger: Logger,
    private readonly options: OutboxOptions = {},
  ) {
    this.dialect =
      options.dialect ??
      (db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite");
    this.nodeId = options.nodeId ?? `outbox:${ulid()}`;
    this.crashPoint = options.crashPoint ?? (() => {});
  }

  /** Records messages inside the caller's transaction; returns their ids for `flush`. */
  async enqueue(trx: Transaction<Database>, messages: OutboxMessage[]): Promise<string[]> {
    if (messages.length === 0) return [];
    const now = Date.now();
    const at = new Date(now).toISOString();
    const orphanAt = new Date(now + ORPHAN_AFTER_MS).toISOString();
    // Messages in a row for the same channel share one row: fewer rows to write and delete, and
    // the same order (a channel's messages in the order given, the channels in the order given).
    const payloads: PublicationPayload[] = [];
    let last: PublicationPayload | undefined;
    for (const m of messages) {
      if (last && last.channel === m.channel) {
        last.more ??= [];
        last.more.push({ event: m.event, data: m.data ?? null, key: m.key });
        continue;
      }
      last = { channel: m.channel, event: m.event, data: m.data ?? null, key: m.key };
      payloads.push(last);
    }
    const written: Written[] = payloads.map((payload) => {
      const eventId = ulid();
      const row: EventDeliveryRow = {
        id: `${eventId}/${PUBLICATION_HANDLER}`,
        event_id: eventId,
        handler: PUBLICATION_HANDLER,
        type: PUBLICATION_TYPE,
        aggregate: payload.channel,
        payload: JSON.stringify(payload),
        occurred_at: at,
        status: "pending",
        attempts: 0,
        next_at: orphanAt,
        claim: null,
        lease_until: null,
        last_error: null,
        failed_at: null,
      };
      return { row, payload };
    });
    // Raw SQL, 10 of 14 columns (the others start null): on the chat path, building this insert
    // with the query builder cost more than running it.
    for (let i = 0; i < written.length; i += 200) {
      const part = written.slice(i, i + 200);
      const params: unknown[] = [];
      for (const { row: r } of part)
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
        CompiledQuery.raw(INSERT + valuesList(this.dialect, part.length, 10), params),
      );
    }
    for (const w of written) this.recent.set(w.row.id, w);
    return written.map((w) => w.row.id);
  }

  /** Resolves when every flush so far has run and its rows are deleted (tests, shutdown). */
  async settled(): Promise<void> {
    await this.chain;
    await this.deletePublished();
  }

  /**
   * Publishes the given rows (after their transaction committed), in id order, one flush at a
   * time per process so messages of one entity go out in the order they were written.
   */
  flush(ids: string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    const run = this.chain.then(() => this.publishRows(ids));
    this.chain = run.catch(() => {});
    return run;
  }

  /** True when every row is in the table (its transaction committed) and not yet published. */
  async committed(ids: string[]): Promise<boolean> {
    if (ids.length === 0) return true;
    let found = 0;
    for (let i = 0; i < ids.length; i += IN_LIST) {
      const rows = await this.db
        .selectFrom("event_deliveries")
        .select("id")
        .where("id", "in", ids.slice(i, i + IN_LIST))
        .execute();
      for (const row of rows) if (!this.published.has(row.id)) found++;
    }
    return found === ids.length;
  }

  /**
   * The safety net (a background job on every node): claims publications that are due — their
   * node did not publish them in time, or a retry's backoff ended — and publishes them. Returns
   * how many it claimed.
   */
  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - ORPHAN_AFTER_MS).toISOString();
    // Rows of transactions that rolled back were never flushed: forget them.
    for (const [id, { row }] of this.recent) if (row.occurred_at < cutoff) this.recent.delete(id);
    if (this.options.exclusive && this.othersMayWait) await this.lookForOthers();
    // a read first: an idle sweep takes no lock (on SQLite, the write lock)
    if (!(await anyDue(this.db, [PUBLICATION_HANDLER]))) return 0;
    const { claim, rows } = await claimDue({
      db: this.db,
      dialect: this.dialect,
      nodeId: this.nodeId,
      leaseMs: this.options.leaseMs ?? 30_000,
      handlers: [PUBLICATION_HANDLER],
      batch: 500,
    });
    if (rows.length === 0) return 0;
    // published here but their delete has not run yet (it failed, or is late): not again
    const { published, dead, failed } = await this.publishInOrder(
      rows.filter((r) => !this.published.has(r.id)).map(fromTable),
    );
    await this.settle(published, dead, failed);
    if (failed) {
      // the broker failed: what was not tried goes back as it was (due now, still in order,
      // since the failed row's backoff holds up the rest of its channel)
      const tried = new Set([...published, ...dead.map((d) => d.row.id), failed.row.id]);
      await releaseClaims(
        this.db,
        rows.filter((r) => !tried.has(r.id)).map((r) => r.id),
        claim,
      );
    }
    return rows.length;
  }

  /**
   * Whether this process wrote older rows of these channels that are not in this flush (a
   * transaction whose flush has not run, or that left them to the sweep): then the table is read.
   */
  private olderOwnWaiting(rows: Written[]): boolean {
    if (this.recent.size === 0) return false;
    const channels = new Set(rows.map((r) => r.row.aggregate));
    const newest = (rows[rows.length - 1] as Written).row.event_id;
    for (const { row } of this.recent.values())
      if (row.event_id < newest && channels.has(row.aggregate)) return true;
    return false;
  }

  /** Clears `othersMayWait` when every pending publication is one this process will flush. */
  private async lookForOthers(): Promise<void> {
    const pending = await this.db
      .selectFrom("event_deliveries")
      .select("id")
      .where("handler", "=", sql.lit(PUBLICATION_HANDLER))
      .where("status", "=", sql.lit("pending"))
      .limit(IN_LIST)
      .execute();
    if (
      pending.length < IN_LIST &&
      pending.every((r) => this.recent.has(r.id) || this.published.has(r.id))
    )
      this.othersMayWait = false;
  }

  /**
   * Adds the rows of the same channels that are older and still unpublished — another node's, left
   * while it was cut from the broker — so a channel's messages go out in the order they were
   * written: publishing v3 before a leftover v2 would leave subscribers on v2 (issue 23).
   */
  private async withOlderOfTheirChannels(rows: Written[]): Promise<Written[]> {
    if (rows.length === 0) return rows;
    if (this.options.exclusive && !this.othersMayWait && !this.olderOwnWaiting(rows)) return rows;
    const channels = [...new Set(rows.map((r) => r.row.aggregate))];
    // event ids are ULID strings, and `rows` are in event id order: the newest is the last
    const newest = (rows[rows.length - 1] as Written).row.event_id;
    const mine = new Set(rows.map((r) => r.row.id));
    const olderIds: string[] = [];
    for (let i = 0; i < channels.length; i += 200) {
      // Ids only: the rows found are nearly always the flush's own (written, not yet deleted).
      for (const row of await this.olderIdsOf(channels.slice(i, i + 200), newest))
        if (!mine.has(row.id) && !this.published.has(row.id)) olderIds.push(row.id);
    }
    if (olderIds.length === 0) return rows;
    const older: EventDeliveryRow[] = [];
    for (let i = 0; i < olderIds.length; i += IN_LIST)
      older.push(
        ...(await this.db
          .selectFrom("event_deliveries")
          .selectAll()
          .where("id", "in", olderIds.slice(i, i + IN_LIST))
          .where("status", "=", "pending")
          .execute()),
      );
    if (older.length === 0) return rows;
    return [...older.map(fromTable), ...rows].sort(byEventId);
  }

  /**
   * Pending publications of these channels older than `newest`, through the partial index
   * `event_deliveries_publications` (literals, so that it applies). SQLite is told to use it:
   * without statistics its planner took `event_deliveries_due` (status, event_id) instead and
   * walked every pending delivery of every handler older than the flush — on the chat path,
   * each message's own domain events — on every flush.
   */
  private async olderIdsOf(channels: string[], newest: string): Promise<{ id: string }[]> {
    if (this.dialect === "sqlite")
      return (
        await sql<{ id: string }>`select id from event_deliveries
          indexed by event_deliveries_publications
          where handler = ${sql.lit(PUBLICATION_HANDLER)} and status = 'pending'
            and aggregate in (${sql.join(channels)}) and event_id < ${newest}
          order by event_id limit 1000`.execute(this.db)
      ).rows;
    return this.db
      .selectFrom("event_deliveries")
      .select("id")
      .where("handler", "=", sql.lit(PUBLICATION_HANDLER))
      .where("status", "=", sql.lit("pending"))
      .where("aggregate", "in", channels)
      .where("event_id", "<", newest)
      .orderBy("event_id")
      .limit(1000)
      .execute();
  }

  private async publishRows(ids: string[]): Promise<void> {
    let rows: Written[] = [];
    if (ids.every((id) => this.recent.has(id))) {
      for (const id of ids) {
        // published already as an older row of another flush's channel: not again
        if (!this.published.has(id)) rows.push(this.recent.get(id) as Written);
        this.recent.delete(id);
      }
      rows.sort(byEventId);
    } else {
      for (const id of ids) this.recent.delete(id);
      const fresh = ids.filter((id) => !this.published.has(id));
      for (let i = 0; i < fresh.length; i += IN_LIST)
        rows.push(
          ...(
            await this.db
              .selectFrom("event_deliveries")
              .selectAll()
              .where("id", "in", fresh.slice(i, i + IN_LIST))
              .where("status", "=", "pending")
              .execute()
          ).map(fromTable),
        );
      rows.sort(byEventId);
    }
    rows = await this.withOlderOfTheirChannels(rows);
    // tests: killed after the commit, before anything is published (the sweep must send it)
    this.crashPoint("outbox.before-publish");
    const { published, dead } = await this.publishInOrder(rows);
    // A broker failure leaves the row (and the rest) for the sweep, due 5 s after it was written.
    await this.settle(published, dead, undefined);
  }

  /**
   * Publishes rows in order until the broker fails. A message the broker can never take is set
   * aside as a dead letter (retrying it would block every later row for good).
   */
  private async publishInOrder(rows: Written[]): Promise<{
    published: string[];
    dead: { row: EventDeliveryRow; err: unknown }[];
    failed?: { row: EventDeliveryRow; err: unknown };
  }> {
    const published: string[] = [];
    const dead: { row: EventDeliveryRow; err: unknown }[] = [];
    for (const { row, payload: p } of rows) {
      try {
        await this.publish(p.channel, p.event, p.data, p.key);
        if (p.more) for (const t of p.more) await this.publish(p.channel, t.event, t.data, t.key);
        published.push(row.id);
        // counted per message, as when every message had its own row
        this.options.counters?.handled.inc(
          { handler: PUBLICATION_HANDLER },
          1 + (p.more?.length ?? 0),
        );
      } catch (err) {
        if (
          err instanceof SwitchboardError &&
          err.code !== "unavailable" &&
          err.code !== "internal"
        ) {
          this.logger.error(
            { err, channel: p.channel, event: p.event },
            "outbox message can never be published: dead letter",
          );
          dead.push({ row, err });
          continue;
        }
        // Later rows wait too, keeping their order (later flushes of its channel look for it).
        this.othersMayWait = true;
        this.logger.warn({ err, channel: p.channel }, "outbox publish failed; will retry");
        return { published, dead, failed: { row, err } };
      }
    }
    return { published, dead };
  }

  /** Deletes what was published, parks what never can be, and backs off a broker failure. */
  private async settle(
    published: string[],
    dead: { row: EventDeliveryRow; err: unknown }[],
    failed: { row: EventDeliveryRow; err: unknown } | undefined,
  ): Promise<void> {
    const counters = this.options.counters;
    for (const id of published) this.published.add(id);
    if (this.published.size >= DELETE_AT) void this.deletePublished();
    else if (published.length > 0) this.deleteWithin(DELETE_AFTER_MS);
    const at = new Date().toISOString();
    for (const { row, err } of dead) {
      await this.db
        .updateTable("event_deliveries")
        .set({
          status: "dead",
          attempts: row.attempts + 1,
          next_at: at,
          claim: null,
          lease_until: null,
          last_error: errorText(err),
          failed_at: at,
        })
        .where("id", "=", row.id)
        .where("status", "=", "pending")
        .execute();
      counters?.failed.inc({ handler: PUBLICATION_HANDLER });
      counters?.dead.inc({ handler: PUBLICATION_HANDLER });
    }
    if (failed) {
      const attempts = failed.row.attempts + 1;
      const retryAt = Date.now() + Math.min(backoffMs(attempts, 250), MAX_RETRY_MS);
      await this.db
        .updateTable("event_deliveries")
        .set({
          attempts,
          next_at: new Date(retryAt).toISOString(),
          claim: null,
          lease_until: null,
          last_error: errorText(failed.err),
        })
        .where("id", "=", failed.row.id)
        .where("status", "=", "pending")
        .execute();
      counters?.failed.inc({ handler: PUBLICATION_HANDLER });
    }
  }

  private deleteWithin(ms: number): void {
    if (this.deleteTimer) return;
    this.deleteTimer = setTimeout(() => void this.deletePublished(), ms);
    this.deleteTimer.unref();
  }

  /**
   * Deletes the published rows waiting (one statement per IN_LIST). They stay in `published`
   * until their delete commits; a failure leaves them there and tries again later.
   */
  private deletePublished(): Promise<void> {
    if (this.deleteTimer) clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const run = this.deleting.then(async () => {
      const ids = [...this.published];
      try {
        for (let i = 0; i < ids.length; i += IN_LIST) {
          const part = ids.slice(i, i + IN_LIST);
          await this.db.deleteFrom("event_deliveries").where("id", "in", part).execute();
          for (const id of part) this.published.delete(id);
        }
      } catch (err) {
        this.logger.warn({ err, rows: this.published.size }, "outbox delete failed; will retry");
        this.deleteWithin(DELETE_RETRY_MS);
      }
    });
    this.deleting = run;
    return run;
  }
}

const byEventId = (a: Written, b: Written) => (a.row.event_id < b.row.event_id ? -1 : 1);

/** A row read back from the table (another node's, or after a restart). */
const fromTable = (row: EventDeliveryRow): Written => ({
  row,
  payload: JSON.parse(row.payload) as PublicationPayload,
});
