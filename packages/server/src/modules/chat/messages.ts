import { ulid } from "ulid";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { assertParticipant, authorRole } from "./access.js";
import type { Conversations } from "./conversations.js";
import { type ChatDeps, conversationChannel, now } from "./deps.js";
import { toMessage } from "./mapping.js";
import type { AuthorRole, ChatConversationRow, ChatMessageRow } from "./migrations.js";
import type { ChatMessage, MessageInput } from "./schema.js";

export interface NewMessage {
  id?: string;
  authorId: string;
  authorRole: AuthorRole;
  text: string;
  attachmentId?: string;
  clientId?: string;
  meta?: Record<string, unknown>;
}

export function createMessages(
  deps: ChatDeps,
  conversations: Conversations,
  onCustomerMessage: (c: ChatConversationRow, m: ChatMessage) => void,
) {
  const { db, outbox } = deps;

  async function attachmentOf(id: string | null) {
    if (!id) return undefined;
    return db
      .selectFrom("chat_attachments")
      .select(["id", "filename", "mime", "size"])
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** Stores a message with the next sequence number and announces it, in one transaction. */
  async function append(conversationId: string, m: NewMessage): Promise<ChatMessage> {
    const at = now();
    const id = m.id ?? ulid();
    const { row, ids } = await db.transaction().execute(async (trx) => {
      const next = await trx
        .updateTable("chat_conversations")
        .set((eb) => ({ last_seq: eb("last_seq", "+", 1), updated_at: at }))
        .where("id", "=", conversationId)
        .where("status", "in", ["waiting", "active"])
        .returning("last_seq")
        .executeTakeFirst();
      if (!next) throw new SwitchboardError("conflict", "the conversation is closed");
      const row: ChatMessageRow = {
        id,
        conversation_id: conversationId,
        seq: next.last_seq,
        author_id: m.authorId,
        author_role: m.authorRole,
        text: m.text,
        attachment_id: m.attachmentId ?? null,
        client_id: m.clientId ?? null,
        meta: JSON.stringify(m.meta ?? {}),
        created_at: at,
      };
      await trx.insertInto("chat_messages").values(row).execute();
      const attachment = await (m.attachmentId
        ? trx
            .selectFrom("chat_attachments")
            .select(["id", "filename", "mime", "size"])
            .where("id", "=", m.attachmentId)
            .executeTakeFirst()
        : undefined);
      const ids = await outbox.enqueue(trx, [
        {
          channel: conversationChannel(conversationId),
          event: "message",
          data: toMessage(row, attachment),
          key: `chat:${conversationId}:m${row.seq}`,
        },
      ]);
      return { row, ids };
    });
    await outbox.flush(ids);
    return toMessage(row, await attachmentOf(row.attachment_id));
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
    const user = identity.server ? "server" : identity.user;
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
      const conversation = await conversations.load(conversationId);
      assertParticipant(identity, conversation);
      const author = identity.server ? "server" : identity.user;
      if (input.clientId) {
        const seen = await db
          .selectFrom("chat_messages")
          .selectAll()
          .where("conversation_id", "=", conversationId)
          .where("author_id", "=", author)
          .where("client_id", "=", input.clientId)
          .executeTakeFirst();
        if (seen) return toMessage(seen, await attachmentOf(seen.attachment_id));
      }
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
      const role = authorRole(identity, conversation);
      const message = await append(conversationId, {
        authorId: author,
        authorRole: role,
        text: input.text,
        ...(input.attachmentId && { attachmentId: input.attachmentId }),
        ...(input.clientId && { clientId: input.clientId }),
      });
      if (role === "customer") onCustomerMessage(conversation, message);
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
      const rows = await q.limit(query.limit + 1).execute();
      const page = rows.slice(0, query.limit);
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
        hasMore: rows.length > query.limit,
      };
    },

    delivered: (identity: Identity, id: string, upTo: number) =>
      receipt(identity, id, "delivered", upTo),
    read: (identity: Identity, id: string, upTo: number) => receipt(identity, id, "read", upTo),
  };
}

export type Messages = ReturnType<typeof createMessages>;
