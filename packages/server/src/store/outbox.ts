import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { SwitchboardError } from "../errors.js";
import { ulid } from "../ids.js";
import type { OutboxRow } from "./core-migrations.js";
import type { Database } from "./schema.js";

export interface OutboxMessage {
  channel: string;
  event: string;
  data: unknown;
  /** Idempotency key: a message published twice (retry, crash between publish and delete) is delivered once. */
  key: string;
}

type Publish = (channel: string, event: string, data: unknown, key: string) => Promise<unknown>;

const nextId = ulid;
/** Rows older than this are another node's leftovers (it crashed or the broker was down): the sweep takes them. */
const ORPHAN_AFTER_MS = 5000;

/**
 * The transactional outbox: a module writes its realtime messages in the same transaction as the
 * change they announce, so a committed change is always announced, even if the broker is down at
 * that moment or the process dies right after the commit. After the commit, `flush` publishes
 * them at once; a background sweep publishes whatever is left. Broker idempotency keys make a
 * repeat harmless.
 */
export class Outbox {
  private chain: Promise<void> = Promise.resolve();
  /** Rows this process wrote, so a flush right after the commit need not read them back. */
  private readonly recent = new Map<string, OutboxRow>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly publish: Publish,
    private readonly logger: Logger,
  ) {}

  /** Records messages inside the caller's transaction; returns their ids for `flush`. */
  async enqueue(trx: Transaction<Database>, messages: OutboxMessage[]): Promise<string[]> {
    if (messages.length === 0) return [];
    const now = new Date().toISOString();
    const rows = messages.map((m) => ({
      id: nextId(),
      channel: m.channel,
      event: m.event,
      data: JSON.stringify(m.data ?? null),
      key: m.key,
      created_at: now,
    }));
    await trx.insertInto("outbox").values(rows).execute();
    for (const row of rows) this.recent.set(row.id, row);
    return rows.map((r) => r.id);
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

  /** Publishes leftovers of any node (the background job). */
  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - ORPHAN_AFTER_MS).toISOString();
    // Rows of transactions that rolled back were never flushed: forget them.
    for (const [id, row] of this.recent) if (row.created_at < cutoff) this.recent.delete(id);
    const rows = await this.db
      .selectFrom("outbox")
      .select("id")
      .where("created_at", "<", cutoff)
      .orderBy("id")
      .limit(500)
      .execute();
    await this.flush(rows.map((r) => r.id));
    return rows.length;
  }

  /**
   * Adds the rows of the same channels that are older and still unpublished — another node's, left
   * while it was cut from the broker — so a channel's messages go out in the order they were
   * written: publishing v3 before a leftover v2 would leave subscribers on v2 (issue 23).
   */
  private async withOlderOfTheirChannels(rows: OutboxRow[]): Promise<OutboxRow[]> {
    if (rows.length === 0) return rows;
    const channels = [...new Set(rows.map((r) => r.channel))];
    // ids are ULID strings: the newest is the last in sort order
    const newest = rows.map((r) => r.id).sort()[rows.length - 1] as string;
    const mine = new Set(rows.map((r) => r.id));
    const older: OutboxRow[] = [];
    for (let i = 0; i < channels.length; i += 200) {
      const found = await this.db
        .selectFrom("outbox")
        .selectAll()
        .where("channel", "in", channels.slice(i, i + 200))
        .where("id", "<", newest)
        .orderBy("id")
        .limit(1000)
        .execute();
      for (const row of found) if (!mine.has(row.id)) older.push(row);
    }
    if (older.length === 0) return rows;
    return [...older, ...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private async publishRows(ids: string[]): Promise<void> {
    let rows: OutboxRow[] = [];
    if (ids.every((id) => this.recent.has(id))) {
      for (const id of ids) {
        rows.push(this.recent.get(id) as OutboxRow);
        this.recent.delete(id);
      }
      rows.sort((a, b) => (a.id < b.id ? -1 : 1));
    } else {
      for (const id of ids) this.recent.delete(id);
      rows = await this.db
        .selectFrom("outbox")
        .selectAll()
        .where("id", "in", ids)
        .orderBy("id")
        .execute();
    }
    rows = await this.withOlderOfTheirChannels(rows);
    const published: string[] = [];
    try {
      for (const row of rows) {
        try {
          await this.publish(row.channel, row.event, JSON.parse(row.data), row.key);
        } catch (err) {
          if (
            err instanceof SwitchboardError &&
            err.code !== "unavailable" &&
            err.code !== "internal"
          ) {
            // Never publishable (a bad channel name, an unknown namespace): retrying would block
            // every later row for good. Drop it, loudly.
            this.logger.error(
              { err, channel: row.channel, event: row.event },
              "outbox message can never be published; dropped",
            );
            published.push(row.id);
            continue;
          }
          // Left in the table: the sweep retries it. Later rows wait too, keeping their order.
          this.logger.warn({ err, channel: row.channel }, "outbox publish failed; will retry");
          return;
        }
        published.push(row.id);
      }
    } finally {
      // One delete for the batch; a row published but not yet deleted is only published again
      // (with its key) if the process dies right here.
      for (let i = 0; i < published.length; i += 500) {
        await this.db
          .deleteFrom("outbox")
          .where("id", "in", published.slice(i, i + 500))
          .execute();
      }
    }
  }
}
