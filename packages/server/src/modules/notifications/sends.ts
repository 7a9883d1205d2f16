import { type Kysely, sql, type Transaction } from "kysely";
import type { Logger } from "pino";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { isStaffOrServer } from "../../platform/kit/actor.js";
import { ConditionalMiss } from "../../platform/kit/conditional.js";
import type { InTransaction } from "../../store/in-transaction.js";
import type { Outbox, OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import {
  type ComposeOptions,
  compose,
  composeMany,
  DIGEST_TYPE,
  type NewNotification,
  type ToCompose,
} from "./compose.js";
import type { NotificationsSettings } from "./config.js";
import type {
  NotificationChannel,
  NotificationPriority,
  SendStatus,
  Template,
} from "./contract.js";
import type { Deferrals } from "./deferrals.js";
import { GroupLanes } from "./lanes.js";
import type { NotificationSendRow } from "./migrations.js";
import { insertRows } from "./rows.js";
import type { SendInput } from "./schema.js";
import type { Templates } from "./templates.js";
import type { Users } from "./users.js";

export interface Accepted {
  id: string;
  recipients: number;
}

/** What a send row keeps of its request (the recipients are a column of their own). */
interface SendRequest {
  data: Record<string, unknown>;
  priority: NotificationPriority;
  category?: string | undefined;
  channels?: NotificationChannel[] | undefined;
  dedupeKey?: string | undefined;
  /** The template version current when the send was accepted: every batch uses it. */
  templateVersion: number;
  /**
   * A large send's chunk size, fixed at acceptance (the batch size then), so every node and
   * every restart cuts the same chunks. Absent (sends accepted before chunks): LEGACY_CHUNK.
   */
  batch?: number;
  /** Where its chunks start: 0, or what an older version had expanded at the upgrade. */
  origin?: number;
}

/** The chunk size of sends accepted before the size was kept with the send. */
const LEGACY_CHUNK = 100;

export interface SendsDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  settings: NotificationsSettings;
  templates: Templates;
  users: Users;
  logger: Logger;
  crashPoint(point: string): void;
  clock(): Date;
  deferrals: Deferrals;
  /** Direct groups made at once (1 on SQLite: one writer). */
  lanes?: number;
  /** A large send's chunks made at once (1 on SQLite). */
  chunkLanes?: number;
  /** The worker has work: a send to expand, or deliveries to outside channels to send. */
  wake(): void;
}

/**
 * Sends: accepted in one insert (202), then expanded into notifications batch by batch by the
 * worker. Each batch is one transaction that makes its recipients' notifications and moves the
 * send's `processed` on, conditionally: a batch that runs twice (two nodes, a crash before the
 * commit) commits once, and the unique indexes drop what a rolled-back run would repeat.
 */
const CHUNK_IDS = 500;
/**
 * A send to at most this many users is made in the request (group-committed with the other
 * requests of the same moment), not by the worker: one transaction for many requests instead of
 * two per request plus the worker's reads. Larger ones go out in batches from the worker.
 */
export const DIRECT_MAX_RECIPIENTS = 20;
/** Sends made together in one direct transaction. */
const DIRECT_GROUP = 100;

const SEND_COLUMNS = [
  "id",
  "type",
  "request",
  "user_ids",
  "total",
  "processed",
  "status",
  "created_at",
] as const satisfies readonly (keyof NotificationSendRow)[];

/** A direct send: accepted and made in one group's transaction. */
interface Direct {
  row: NotificationSendRow;
  request: SendRequest;
  template: Template;
  recipients: string[];
  also: InTransaction<Accepted> | undefined;
}

const outside = (c: NotificationChannel) => c !== "in_app";

export function createSends(deps: SendsDeps) {
  const { db, outbox, settings, templates, users } = deps;
  const composeOptions = (at: Date): ComposeOptions => ({
    at,
    digestWindowMs: settings.digestWindowMs,
    deferrals: deps.deferrals,
    escalation: { afterMs: settings.escalationAfterMs, channels: settings.escalationChannels },
    localized: (trx, type, locale) => templates.localized(type, locale, trx),
  });

  async function accept(
    identity: Identity,
    input: SendInput,
    opts: { trx?: Transaction<Database>; also?: InTransaction<Accepted> } = {},
  ): Promise<Accepted> {
    if (!isStaffOrServer(identity))
      throw new SwitchboardError("forbidden", "only staff or the API key send notifications");
    // Inside the caller's transaction when there is one: SQLite has a single connection.
    const template = await templates.current(input.type, opts.trx);
    const recipients = [...new Set(input.userIds ?? (input.userId ? [input.userId] : []))];
    if (recipients.length > settings.maxRecipients)
      throw new SwitchboardError(
        "bad_request",
        `at most ${settings.maxRecipients} recipients per send (SWITCHBOARD_NOTIFICATIONS_MAX_RECIPIENTS)`,
      );
    const request: SendRequest = {
      data: input.data ?? {},
      priority: input.priority,
      category: input.category,
      channels: input.channels,
      dedupeKey: input.dedupeKey,
      templateVersion: template.version,
      ...(recipients.length > settings.batchSize && { batch: settings.batchSize }),
    };
    const row: NotificationSendRow = {
      id: ulid(),
      type: input.type,
      request: JSON.stringify(request),
      user_ids: JSON.stringify(recipients),
      total: recipients.length,
      processed: 0,
      status: "pending",
      created_at: deps.clock().toISOString(),
    };
    const accepted = { id: row.id, recipients: row.total };
    if (!opts.trx && recipients.length <= DIRECT_MAX_RECIPIENTS) {
      row.processed = row.total;
      row.status = "done";
      const direct: Direct = { row, request, template, recipients, also: opts.also };
      try {
        return await directs.submit(direct);
      } catch (error) {
        // One request of the group failed the group: this one alone, as a worker send.
        deps.logger.debug({ err: error }, "direct notification group failed; sending alone");
        row.processed = 0;
        row.status = "pending";
      }
    }
    const write = async (trx: Transaction<Database>) => {
      await trx.insertInto("notification_sends").values(row).execute();
      if (opts.also) await opts.also(trx, accepted);
    };
    if (opts.trx)
      await write(opts.trx); // the caller wakes the worker after its commit
    else {
      await db.transaction().execute(write);
      deps.wake();
    }
    return accepted;
  }

  /**
   * Makes a group of small sends in one transaction, set-based: the send rows (already done)
   * in one insert, every recipient's notifications through one composeMany, the outbox rows in
   * one insert, one flush after the commit. The requests are answered after the commit, so a
   * 202 means stored; a crash before the commit loses only unanswered requests.
   */
  async function runDirect(group: Direct[]): Promise<Accepted[]> {
    const at = deps.clock();
    const accepted = group.map((d) => ({ id: d.row.id, recipients: d.row.total }));
    const ids = await db.transaction().execute(async (trx) => {
      for (let i = 0; i < group.length; i += CHUNK_IDS)
        await insertRows(
          trx,
          "notification_sends",
          SEND_COLUMNS,
          group.slice(i, i + CHUNK_IDS).map((d) => d.row),
        );
      const work = group
        .flatMap((d) => d.recipients.map((userId) => ({ userId, d })))
        // row locks in user order: two groups (two nodes) sharing users cannot deadlock
        .sort((x, y) => (x.userId < y.userId ? -1 : x.userId > y.userId ? 1 : 0));
      const { recipients, versions } = await users.lockRecipients(
        trx,
        [...new Set(work.map((w) => w.userId))],
        at.toISOString(),
      );
      const made = new Map<Direct, NewNotification>(group.map((d) => [d, newNotification(d)]));
      const batch: ToCompose[] = [];
      for (const { userId, d } of work) {
        const recipient = recipients.get(userId);
        if (recipient) batch.push({ recipient, n: made.get(d) as NewNotification });
      }
      const messages = await composeMany(trx, batch, { ...composeOptions(at), versions });
      for (const [i, d] of group.entries()) if (d.also) await d.also(trx, accepted[i] as Accepted);
      return outbox.enqueue(trx, messages);
    });
    // Committed: a failed flush must not fail the requests (the sweep publishes the rows).
    await outbox
      .flush(ids)
      .catch((err: unknown) => deps.logger.warn({ err }, "notification flush failed"));
    if (group.some((d) => (d.request.channels ?? d.template.defaultChannels).some(outside)))
      deps.wake();
    return accepted;
  }
  const directs = new GroupLanes<Direct, Accepted>(runDirect, DIRECT_GROUP, deps.lanes ?? 1);

  const newNotification = (d: {
    row: Pick<NotificationSendRow, "id" | "type">;
    request: SendRequest;
    template: Template;
  }): NewNotification => ({
    type: d.row.type,
    template: d.template,
    data: d.request.data,
    priority: d.request.priority,
    category: d.request.category ?? d.template.category,
    channels: d.request.channels ?? d.template.defaultChannels,
    dedupeKey: d.request.dedupeKey,
    sendId: d.row.id,
  });

  /**
   * A pending send as the worker reads it: the recipient list only for small sends. A large
   * send's list (10,000 ids is ~150 KB) is read and parsed once per process and kept while its
   * batches go out, not again for every batch.
   */
  type SendHead = Omit<NotificationSendRow, "user_ids"> & { user_ids: string | null };
  const recipientLists = new Map<string, string[]>();
  async function userIdsOf(send: SendHead): Promise<string[]> {
    if (send.user_ids !== null) return JSON.parse(send.user_ids) as string[];
    let all = recipientLists.get(send.id);
    if (!all) {
      const row = await db
        .selectFrom("notification_sends")
        .select("user_ids")
        .where("id", "=", send.id)
        .executeTakeFirstOrThrow();
      all = JSON.parse(row.user_ids) as string[];
      if (recipientLists.size >= 16) recipientLists.clear();
      recipientLists.set(send.id, all);
    }
    return all;
  }

  /** Small sends made whole together in one batch (group commit). */
  interface Part {
    send: SendHead;
    request: SendRequest;
    template: Template;
    users: string[];
  }

  /** One chunk of a large send: its recipients from `start` to `end`. */
  interface Chunk {
    send: SendHead;
    request: SendRequest;
    template: Template;
    start: number;
    end: number;
    users: string[];
  }

  /**
   * Makes a batch's notifications in its transaction: every recipient's unread lock and what
   * is needed of them in one statement (user order: two batches sharing users cannot
   * deadlock), then the rows through composeMany. Returns the outbox messages.
   */
  async function makeBatch(
    trx: Transaction<Database>,
    items: { send: SendHead; request: SendRequest; template: Template; users: string[] }[],
    at: Date,
  ): Promise<OutboxMessage[]> {
    const work = items
      .flatMap((item) => item.users.map((userId) => ({ userId, item })))
      .sort((x, y) => (x.userId < y.userId ? -1 : x.userId > y.userId ? 1 : 0));
    const { recipients, versions } = await users.lockRecipients(
      trx,
      [...new Set(work.map((w) => w.userId))],
      at.toISOString(),
    );
    // one object per send: composeMany renders each send's template once
    const made = new Map<(typeof items)[number], NewNotification>();
    for (const item of items) made.set(item, newNotification({ ...item, row: item.send }));
    const batch: ToCompose[] = [];
    for (const { userId, item } of work) {
      const recipient = recipients.get(userId);
      if (recipient) batch.push({ recipient, n: made.get(item) as NewNotification });
    }
    return composeMany(trx, batch, { ...composeOptions(at), versions });
  }

  /** Published after the commit, while the next batch is made (the outbox keeps the order). */
  function publish(ids: string[]): void {
    const run = outbox
      .flush(ids)
      .catch((err: unknown) => deps.logger.warn({ err }, "notification flush failed"));
    flushing = flushing.then(() => run);
  }

  /**
   * Small sends made whole in one transaction (many single-user sends cost one transaction):
   * each closes in one conditional statement (still at 0 processed); if another node made one
   * of them, the batch rolls back and nothing is made twice. False when one was made elsewhere.
   */
  async function runWhole(parts: Part[]): Promise<boolean> {
    const at = deps.clock();
    let ids: string[];
    try {
      ids = await db.transaction().execute(async (trx) => {
        const messages = await makeBatch(trx, parts, at);
        for (let i = 0; i < parts.length; i += CHUNK_IDS) {
          const ids = parts.slice(i, i + CHUNK_IDS).map((p) => p.send.id);
          const r = await trx
            .updateTable("notification_sends")
            .set((eb) => ({ processed: eb.ref("total"), status: "done" }))
            .where("id", "in", ids)
            .where("processed", "=", 0)
            .where("status", "=", "pending")
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) !== ids.length)
            throw new ConditionalMiss("another node expanded one of these sends");
        }
        return outbox.enqueue(trx, messages);
      });
    } catch (error) {
      if (error instanceof ConditionalMiss) return false;
      throw error;
    }
    publish(ids);
    return true;
  }

  /**
   * One chunk of a large send in one transaction. The chunk is claimed first by its row in
   * `notification_send_chunks` (send, start): a chunk made (committed) is never made again, by
   * this node after a crash or by another node, and a second claimant waits on the first and
   * then finds it taken (or, if the first rolled back, makes it). Chunks are independent, so
   * on PostgreSQL several run at once in lanes; the send's `processed` counts the users of
   * made chunks and is moved last (its row lock is held only for the commit). False when the
   * chunk was made elsewhere or the send is done.
   */
  async function runChunk(chunk: Chunk): Promise<boolean> {
    const at = deps.clock();
    const n = chunk.end - chunk.start;
    let ids: string[];
    try {
      ids = await db.transaction().execute(async (trx) => {
        const claimed = await trx
          .insertInto("notification_send_chunks")
          .values({ send_id: chunk.send.id, start: chunk.start })
          .onConflict((oc) => oc.columns(["send_id", "start"]).doNothing())
          .returning("start")
          .executeTakeFirst();
        if (!claimed) throw new ConditionalMiss("another node made this chunk");
        const messages = await makeBatch(trx, [chunk], at);
        // Test-only: a kill -9 here loses this chunk's uncommitted work, which must come back.
        if (chunk.start > 0 && chunk.end >= chunk.send.total / 2)
          deps.crashPoint("notifications.mid-send");
        const out = await outbox.enqueue(trx, messages);
        const moved = await trx
          .updateTable("notification_sends")
          .set((eb) => ({
            processed: eb("processed", "+", n),
            status: eb
              .case()
              .when(eb("processed", "+", n), ">=", eb.ref("total"))
              .then(sql.lit<"done" | "pending">("done"))
              .else(sql.lit<"done" | "pending">("pending"))
              .end(),
          }))
          .where("id", "=", chunk.send.id)
          .where("status", "=", "pending")
          .returning(["processed", "total"])
          .executeTakeFirst();
        if (!moved) throw new ConditionalMiss("the send is done");
        if (Number(moved.processed) >= Number(moved.total))
          await trx
            .deleteFrom("notification_send_chunks")
            .where("send_id", "=", chunk.send.id)
            .execute();
        return out;
      });
    } catch (error) {
      if (error instanceof ConditionalMiss) return false;
      throw error;
    }
    publish(ids);
    return true;
  }

  /** The chunks of a large send not made yet, in order. */
  async function chunksOf(send: SendHead): Promise<Chunk[]> {
    const request = JSON.parse(send.request) as SendRequest;
    const template = await templates.get(send.type, request.templateVersion);
    const size = request.batch ?? LEGACY_CHUNK;
    const made = new Set(
      (
        await db
          .selectFrom("notification_send_chunks")
          .select("start")
          .where("send_id", "=", send.id)
          .execute()
      ).map((r) => Number(r.start)),
    );
    const all = await userIdsOf(send);
    const out: Chunk[] = [];
    for (let start = request.origin ?? 0; start < send.total; start += size) {
      if (made.has(start)) continue;
      const end = Math.min(send.total, start + size);
      out.push({ send, request, template, start, end, users: all.slice(start, end) });
    }
    return out;
  }

  /**
   * Runs `tasks` with at most `lanes` at once, in order of start; stops starting new ones after
   * a miss. Resolves to whether every one ran (an error is thrown after all have settled).
   */
  async function inLanes(
    tasks: (() => Promise<boolean>)[],
    lanes: number,
  ): Promise<{ ran: number; ok: boolean }> {
    let next = 0;
    let ok = true;
    let failure: unknown;
    let ran = 0;
    await Promise.all(
      Array.from({ length: Math.min(lanes, tasks.length) }, async () => {
        while (ok && failure === undefined && next < tasks.length) {
          const task = tasks[next++] as () => Promise<boolean>;
          try {
            if (await task()) ran++;
            else ok = false;
          } catch (error) {
            failure = error;
          }
        }
      }),
    );
    if (failure !== undefined) throw failure;
    return { ran, ok };
  }

  let flushing: Promise<void> = Promise.resolve();
  let busy: Promise<number> | undefined;
  /**
   * Expands every pending send (oldest first), a bounded number of batches per call: small
   * sends share a batch up to batchSize recipients; a large one goes out in its chunks, in
   * `lanes` at once (PostgreSQL; one on SQLite).
   */
  async function process(maxBatches = 1000): Promise<number> {
    let done = 0;
    const lanes = deps.chunkLanes ?? 1;
    while (done < maxBatches) {
      const pending: SendHead[] = await db
        .selectFrom("notification_sends")
        .select(["id", "type", "request", "total", "processed", "status", "created_at"])
        .select((eb) =>
          eb
            .case()
            .when("total", "<=", settings.batchSize)
            .then(eb.ref("user_ids"))
            .else(null)
            .end()
            .as("user_ids"),
        )
        .where("status", "=", "pending")
        .orderBy("id")
        .limit(settings.batchSize)
        .execute();
      if (pending.length === 0) break;
      let moved = false;
      let i = 0;
      while (i < pending.length && done < maxBatches) {
        const send = pending[i] as SendHead;
        const request = JSON.parse(send.request) as SendRequest;
        if (send.total > (request.batch ?? settings.batchSize) || send.processed > 0) {
          // a large send: its chunks, several at once
          i++;
          const left = await chunksOf(send);
          const chunks = left.slice(0, maxBatches - done);
          const r = await inLanes(
            chunks.map((c) => () => runChunk(c)),
            lanes,
          );
          done += Math.max(r.ran, 1);
          if (r.ran > 0) moved = true;
          if (!r.ok) {
            moved = true; // another node made a chunk: read again
            break;
          }
          if (chunks.length === left.length) recipientLists.delete(send.id); // all made
          continue;
        }
        // small sends: as many as fit in one batch
        const parts: Part[] = [];
        let room = settings.batchSize;
        while (i < pending.length && room > 0) {
          const small = pending[i] as SendHead;
          const req = JSON.parse(small.request) as SendRequest;
          if (small.total > (req.batch ?? settings.batchSize) || small.processed > 0) break;
          if (small.total > room && parts.length > 0) break;
          const template = await templates.get(small.type, req.templateVersion);
          parts.push({ send: small, request: req, template, users: await userIdsOf(small) });
          room -= small.total;
          i++;
        }
        const ok = await runWhole(parts);
        done++;
        moved = true;
        if (!ok) break; // another node made one of them: read again
      }
      if (!moved) break;
    }
    await flushing;
    return done;
  }

  return {
    accept,
    /** One run at a time per process; a kick during a run is picked up by it or the next. */
    process(): Promise<number> {
      if (busy) return busy;
      busy = process().finally(() => {
        busy = undefined;
      });
      return busy;
    },

    async status(id: string): Promise<SendStatus> {
      const row = await db
        .selectFrom("notification_sends")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (!row) throw new SwitchboardError("not_found", `no send ${id}`);
      return {
        id: row.id,
        type: row.type,
        status: row.status,
        recipients: row.total,
        processed: row.processed,
        createdAt: row.created_at,
      };
    },

    /**
     * Sends one digest whose window has ended, in the scheduled task's transaction: closing the
     * digest (a conditional delete of its generation) commits with the notification it makes
     * and the task marked done, so it is sent once, also when the task runs again after a crash.
     * Returns the outbox rows to publish after the commit.
     */
    async sendDigest(
      trx: Transaction<Database>,
      digest: { digestId: string; generation: string },
    ): Promise<string[]> {
      const gone = await trx
        .deleteFrom("notification_digests")
        .where("id", "=", digest.digestId)
        .where("generation", "=", digest.generation)
        .executeTakeFirst();
      if (Number(gone.numDeletedRows) !== 1) return []; // sent already
      const items = await trx
        .selectFrom("notification_digest_items")
        .selectAll()
        .where("generation", "=", digest.generation)
        .orderBy("created_at")
        .execute();
      const first = items[0];
      if (!first) return [];
      const recipient = (await users.recipients(trx, [first.user_id])).get(first.user_id);
      if (!recipient) return [];
      const template = await templates.current(DIGEST_TYPE, trx);
      const messages = await compose(
        trx,
        recipient,
        {
          type: DIGEST_TYPE,
          template,
          data: {
            count: items.length,
            type: first.type,
            firstTitle: first.title,
            lines: items.map((i) => `${i.title}: ${i.body}`).join("\n"),
            items: items.map((i) => ({ title: i.title, body: i.body })),
          },
          priority: "normal",
          category: template.category,
          channels: template.defaultChannels,
          dedupeKey: `digest:${digest.generation}`,
          sendId: null,
        },
        composeOptions(deps.clock()),
      );
      return outbox.enqueue(trx, messages);
    },
  };
}

export type Sends = ReturnType<typeof createSends>;
