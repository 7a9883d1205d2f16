import { CompiledQuery, sql, type Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { now, whoOf } from "../../platform/kit/actor.js";
import { takePage } from "../../platform/kit/pagination.js";
import type { Dialect } from "../../store/db.js";
import { GroupCommit } from "../../store/group-commit.js";
import { valuesList } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { assertParticipant, isSupervisor } from "./access.js";
import {
  CHAT_EVENTS,
  type ChatMessage,
  type ChatMessageCreated,
  conversationChannel,
} from "./contract.js";
import type { Conversations } from "./conversations.js";
import type { ChatDeps } from "./deps.js";
import { toMessage } from "./mapping.js";
import type { AuthorRole, ChatConversationRow, ChatMessageRow } from "./migrations.js";
import type { ChatRead } from "./read-event.js";
import type { MessageInput } from "./schema.js";

export interface NewMessage {
  id?: string;
  authorId: string;
  /** Fixed role (bot, system); else worked out from the conversation for `sender`. */
  authorRole?: AuthorRole;
  /** The participant sending: the store only accepts it if they are one (checked in the same statement). */
  sender?: Identity;
  text: string;
  attachmentId?: string;
  clientId?: string;
  meta?: Record<string, unknown>;
}

const INSERT_MESSAGES =
  "insert into chat_messages (id, conversation_id, seq, author_id, author_role, text, attachment_id, client_id, meta, created_at) values ";

/**
 * One multi-row insert for a whole batch of messages (the group commit's hot path), its text
 * built once per batch size: no query builder, and the same prepared statement every time.
 */
async function insertMessages(
  trx: Transaction<Database>,
  dialect: Dialect,
  rows: ChatMessageRow[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const part = rows.slice(i, i + 200);
    const params: unknown[] = [];
    for (const r of part)
      params.push(
        r.id,
        r.conversation_id,
        r.seq,
        r.author_id,
        r.author_role,
        r.text,
        r.attachment_id,
        r.client_id,
        r.meta,
        r.created_at,
      );
    await trx.executeQuery(
      CompiledQuery.raw(INSERT_MESSAGES + valuesList(dialect, part.length, 10), params),
    );
  }
}

type Bumped = Pick<
  ChatConversationRow,
  "last_seq" | "customer_id" | "agent_id" | "status" | "bot_muted"
>;

/**
 * The next sequence number of a conversation open to `sender` (the participant check rides on
 * the same statement: no read before the write). Three fixed texts: prepared once each.
 */
function bumpSeq(
  trx: Transaction<Database>,
  dialect: Dialect,
  conversationId: string,
  at: string,
  sender: Identity | undefined,
) {
  const who = !sender || isSupervisor(sender) ? "any" : isStaff(sender) ? "staff" : "customer";
  const text = BUMP[dialect][who];
  const params =
    who === "any"
      ? [at, conversationId]
      : who === "staff"
        ? [at, conversationId, sender?.user, sender?.user]
        : [at, conversationId, sender?.user];
  return trx.executeQuery(CompiledQuery.raw(text, params) as CompiledQuery<Bumped>);
}

const BUMP = (() => {
  const text = (participant: string) => `update chat_conversations
    set last_seq = last_seq + 1, updated_at = ? where id = ? and status in ('waiting', 'active')${participant}
    returning last_seq, customer_id, agent_id, status, bot_muted`;
  const texts = {
    any: text(""),
    staff: text(" and (customer_id = ? or agent_id = ?)"),
    customer: text(" and customer_id = ?"),
  };
  const numbered = (t: string) => {
    let n = 0;
    return t.replace(/\?/g, () => `$${++n}`);
  };
  return {
    sqlite: texts,
    postgres: {
      any: numbered(texts.any),
      staff: numbered(texts.staff),
      customer: numbered(texts.customer),
    },
  } satisfies Record<Dialect, Record<"any" | "staff" | "customer", string>>;
})();

/** A retry's identity: the same author's same clientId in the same conversation. */
const tryKeyOf = (conversationId: string, authorId: string, clientId: string) =>
  `${conversationId}\n${authorId}\n${clientId}`;

/**
 * The messages already stored for the batch's clientIds, by try key: one statement for the batch
 * instead of one per message (the unique index `chat_messages_client` answers each term).
 */
async function storedTries(
  trx: Transaction<Database>,
  batch: readonly { conversationId: string; m: NewMessage }[],
): Promise<Map<string, ChatMessageRow>> {
  const stored = new Map<string, ChatMessageRow>();
  const terms = new Map<string, ReturnType<typeof sql>>();
  for (const { conversationId, m } of batch)
    if (m.clientId)
      terms.set(
        tryKeyOf(conversationId, m.authorId, m.clientId),
        sql`(conversation_id = ${conversationId} and author_id = ${m.authorId} and client_id = ${m.clientId})`,
      );
  const all = [...terms.values()];
  for (let i = 0; i < all.length; i += 100) {
    const { rows } = await sql<ChatMessageRow>`select * from chat_messages
      where ${sql.join(all.slice(i, i + 100), sql` or `)}`.execute(trx);
    for (const r of rows)
      if (r.client_id !== null)
        stored.set(tryKeyOf(r.conversation_id, r.author_id, r.client_id), r);
  }
  return stored;
}

export function createMessages(
  deps: ChatDeps,
  conversations: Conversations,
  onCustomerMessage: (
    c: Pick<ChatConversationRow, "id" | "status" | "bot_muted">,
    m: ChatMessage,
  ) => void,
) {
  const { db, outbox } = deps;

  /**
   * Stores messages with their next sequence numbers and announces them. Messages sent in the
   * same event-loop turn share one transaction (group commit): on SQLite the BEGIN/COMMIT and
   * WAL write per message cost more than the message itself. A message whose conversation is
   * closed fails alone; the others in its batch still commit.
   */
  type Appended = {
    message: ChatMessage;
    /** Absent for a retry: the message was stored before, nothing new happened. */
    conversation?: Pick<ChatConversationRow, "id" | "status" | "bot_muted">;
  };
  const appends = new GroupCommit<{ conversationId: string; m: NewMessage }, Appended | null>(
    async (batch) => {
      const at = now();
      const readers = new Set<string>();
      const { results, ids } = await db.transaction().execute(async (trx) => {
        const results: (Appended | null)[] = [];
        const announcements = [];
        const created: { type: string; aggregate: string; payload: ChatMessageCreated }[] = [];
        const rows: ChatMessageRow[] = [];
        // A retry (same author, same clientId) gets the message stored the first time. Looked up
        // here, in the write transaction, so that two tries in one batch cannot both be stored
        // (the unique index would fail the whole batch) and no read runs before the batch.
        const tries = new Map<string, Appended | null>();
        const before = await storedTries(trx, batch);
        for (const { conversationId, m } of batch) {
          const tryKey = m.clientId ? tryKeyOf(conversationId, m.authorId, m.clientId) : "";
          if (m.clientId) {
            if (tries.has(tryKey)) {
              const first = tries.get(tryKey) ?? null;
              results.push(first && { message: first.message });
              continue;
            }
            const stored = before.get(tryKey);
            if (stored) {
              const attachment = stored.attachment_id
                ? await trx
                    .selectFrom("chat_attachments")
                    .select(["id", "filename", "mime", "size"])
                    .where("id", "=", stored.attachment_id)
                    .executeTakeFirst()
                : undefined;
              const again = { message: toMessage(stored, attachment) };
              tries.set(tryKey, again);
              results.push(again);
              continue;
            }
          }
          const sender = m.sender;
          const { rows: updated } = await bumpSeq(trx, deps.dialect, conversationId, at, sender);
          const next = updated[0];
          if (!next) {
            results.push(null); // not a participant, gone, or closed: the caller finds out which
            if (m.clientId) tries.set(tryKey, null);
            continue;
          }
          const role: AuthorRole =
            m.authorRole ??
            (sender && !sender.server && next.customer_id === sender.user ? "customer" : "agent");
          const row: ChatMessageRow = {
            id: m.id ?? ulid(),
            conversation_id: conversationId,
            seq: next.last_seq,
            author_id: m.authorId,
            author_role: role,
            text: m.text,
            attachment_id: m.attachmentId ?? null,
            client_id: m.clientId ?? null,
            meta: JSON.stringify(m.meta ?? {}),
            created_at: at,
          };
          rows.push(row);
          for (const u of [next.customer_id, next.agent_id])
            if (u && u !== m.authorId) readers.add(u);
          const attachment = m.attachmentId
            ? await trx
                .selectFrom("chat_attachments")
                .select(["id", "filename", "mime", "size"])
                .where("id", "=", m.attachmentId)
                .executeTakeFirst()
            : undefined;
          const message = toMessage(row, attachment, m.meta ?? {});
          const appended = {
            message,
            conversation: { id: conversationId, status: next.status, bot_muted: next.bot_muted },
          };
          results.push(appended);
          if (m.clientId) tries.set(tryKey, appended);
          announcements.push({
            channel: conversationChannel(conversationId),
            event: "message",
            data: message,
            key: `chat:${conversationId}:m${row.seq}`,
          });
          created.push({
            type: CHAT_EVENTS.messageCreated,
            aggregate: conversationChannel(conversationId),
            payload: {
              conversationId,
              customerId: next.customer_id,
              messageId: row.id,
              seq: row.seq,
              authorId: row.author_id,
              authorRole: role,
              text: row.text,
              ...(row.attachment_id !== null && { attachmentId: row.attachment_id }),
              at,
            },
          });
        }
        if (rows.length > 0) await insertMessages(trx, deps.dialect, rows);
        if (created.length > 0) await deps.events.emitAll(trx, created);
        return { results, ids: await outbox.enqueue(trx, announcements) };
      });
      await outbox.flush(ids);
      deps.unreadChanged?.([...readers]);
      return results;
    },
  );

  async function appendChecked(conversationId: string, m: NewMessage): Promise<Appended> {
    const result = await appends.submit({ conversationId, m });
    if (result) return result;
    const conversation = await conversations.load(conversationId); // not_found
    if (m.sender) assertParticipant(m.sender, conversation); // forbidden
    throw new SwitchboardError("conflict", "the conversation is closed");
  }

  async function append(conversationId: string, m: NewMessage): Promise<ChatMessage> {
    return (await appendChecked(conversationId, m)).message;
  }

  async function receipt(
    identity: Identity,
    conversationId: string,
    kind: "delivered" | "read",
    upTo: number,
  ): Promise<{ deliveredSeq: number; readSeq: number }> {
    const conversation = await conversations.load(conversationId);
    assertParticipant(identity, conversation);
    if (upTo > conversation.last_seq)
      throw new SwitchboardError(
        "bad_request",
        `upTo is past the last message (${conversation.last_seq})`,
      );
    const at = now();
    const user = whoOf(identity);
    const ids = await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("chat_receipts")
        .values({
          conversation_id: conversationId,
          user_id: user,
          delivered_seq: 0,
          read_seq: 0,
          updated_at: at,
        })
        .onConflict((oc) => oc.columns(["conversation_id", "user_id"]).doNothing())
        .execute();
      // Receipts only move forward: a late or repeated ack changes nothing.
      const delivered = await trx
        .updateTable("chat_receipts")
        .set({ delivered_seq: upTo, updated_at: at })
        .where("conversation_id", "=", conversationId)
        .where("user_id", "=", user)
        .where("delivered_seq", "<", upTo)
        .executeTakeFirst();
      const read =
        kind === "read"
          ? await trx
              .updateTable("chat_receipts")
              .set({ read_seq: upTo, updated_at: at })
              .where("conversation_id", "=", conversationId)
              .where("user_id", "=", user)
              .where("read_seq", "<", upTo)
              .executeTakeFirst()
          : undefined;
      const messages = [];
      if (Number(delivered.numUpdatedRows) === 1) {
        messages.push({
          channel: conversationChannel(conversationId),
          event: "delivered",
          data: { conversationId, userId: user, upTo, at },
          key: `chat:${conversationId}:d:${user}:${upTo}`,
        });
      }
      if (read && Number(read.numUpdatedRows) === 1) {
        messages.push({
          channel: conversationChannel(conversationId),
          event: "read",
          data: { conversationId, userId: user, upTo, at },
          key: `chat:${conversationId}:r:${user}:${upTo}`,
        });
      }
      return outbox.enqueue(trx, messages);
    });
    await outbox.flush(ids);
    if (kind === "read") {
      deps.unreadChanged?.([user]);
      const read: ChatRead = { conversationId, userId: user, upTo };
      deps.events.local.emit("chat.read", read); // notifications cancels a waiting reply grace
    }
    const r = await db
      .selectFrom("chat_receipts")
      .selectAll()
      .where("conversation_id", "=", conversationId)
      .where("user_id", "=", user)
      .executeTakeFirstOrThrow();
    return { deliveredSeq: r.delivered_seq, readSeq: r.read_seq };
  }

  return {
    append,

    async send(
      identity: Identity,
      conversationId: string,
      input: MessageInput,
    ): Promise<ChatMessage> {
      const author = whoOf(identity);
      if (input.attachmentId) {
        const attachment = await db
          .selectFrom("chat_attachments")
          .selectAll()
          .where("id", "=", input.attachmentId)
          .executeTakeFirst();
        if (
          !attachment ||
          attachment.conversation_id !== conversationId ||
          attachment.uploader_id !== author
        ) {
          throw new SwitchboardError(
            "bad_request",
            "attachmentId is not one of your uploads to this conversation",
          );
        }
      }
      const { message, conversation } = await appendChecked(conversationId, {
        authorId: author,
        sender: identity,
        text: input.text,
        ...(input.attachmentId && { attachmentId: input.attachmentId }),
        ...(input.clientId && { clientId: input.clientId }),
      });
      if (conversation && message.author.role === "customer")
        onCustomerMessage(conversation, message);
      return message;
    },

    async list(
      identity: Identity,
      conversationId: string,
      query: { before?: number; after?: number; limit: number },
    ) {
      const conversation = await conversations.load(conversationId);
      assertParticipant(identity, conversation);
      let q = db
        .selectFrom("chat_messages")
        .selectAll()
        .where("conversation_id", "=", conversationId);
      if (query.after !== undefined) q = q.where("seq", ">", query.after).orderBy("seq", "asc");
      else {
        if (query.before !== undefined) q = q.where("seq", "<", query.before);
        q = q.orderBy("seq", "desc");
      }
      const { items: page, more } = takePage(await q.limit(query.limit + 1).execute(), query.limit);
      if (query.after === undefined) page.reverse();
      const attachmentIds = page.map((r) => r.attachment_id).filter((x): x is string => x !== null);
      const attachments = attachmentIds.length
        ? await db
            .selectFrom("chat_attachments")
            .select(["id", "filename", "mime", "size"])
            .where("id", "in", attachmentIds)
            .execute()
        : [];
      const byId = new Map(attachments.map((a) => [a.id, a]));
      return {
        items: page.map((r) =>
          toMessage(r, r.attachment_id ? byId.get(r.attachment_id) : undefined),
        ),
        hasMore: more,
      };
    },

    delivered: (identity: Identity, id: string, upTo: number) =>
      receipt(identity, id, "delivered", upTo),
    read: (identity: Identity, id: string, upTo: number) => receipt(identity, id, "read", upTo),
  };
}

export type Messages = ReturnType<typeof createMessages>;
