import type { Kysely } from "kysely";
import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import type { Database } from "../../store/schema.js";
import { isParticipant, isSupervisor } from "./access.js";
import type { ChatMessage, Conversation } from "./contract.js";
import { toConversation, toMessage } from "./mapping.js";
import type { ChatConversationRow } from "./migrations.js";
import type { ChatNote, Notes } from "./notes.js";

/** The last message of a conversation, as a list row shows it. */
export interface MessagePreview {
  conversationId: string;
  text: string;
  authorId: string;
  authorRole: ChatMessage["author"]["role"];
  hasAttachment: boolean;
  at: string;
}

export interface HistoryItem extends Conversation {
  lastMessage?: MessagePreview;
}

const CLOSED = ["resolved", "archived"] as const;
const isClosed = (c: ChatConversationRow) => c.status === "resolved" || c.status === "archived";
/** Longest preview text: a row shows one line. */
const PREVIEW_CHARS = 140;

const staffOnly = (identity: Identity) => {
  if (!identity.server && !isStaff(identity))
    throw new SwitchboardError("forbidden", "chat history is for staff only");
};

/**
 * What staff look back at: every closed conversation, whoever handled it (an agent picking up a
 * returning customer needs the chats they had with others), searchable by customer, subject and
 * message text; a closed conversation's transcript and notes, read-only. Open conversations of
 * other agents stay theirs (the live list's rule). And the last-message previews of list rows.
 */
export function createHistory(db: Kysely<Database>, notes: Notes) {
  /** May `identity` see this conversation's last message / transcript? */
  const mayRead = (identity: Identity, c: ChatConversationRow) =>
    isParticipant(identity, c) ||
    ((identity.server || isStaff(identity)) && (isClosed(c) || c.status === "waiting"));

  async function previews(ids: string[]): Promise<Map<string, MessagePreview>> {
    const out = new Map<string, MessagePreview>();
    if (ids.length === 0) return out;
    // the newest message per conversation: its seq is the conversation's last_seq
    const rows = await db
      .selectFrom("chat_messages as m")
      .innerJoin("chat_conversations as c", (j) =>
        j.onRef("c.id", "=", "m.conversation_id").onRef("c.last_seq", "=", "m.seq"),
      )
      .select([
        "m.conversation_id",
        "m.text",
        "m.author_id",
        "m.author_role",
        "m.attachment_id",
        "m.created_at",
      ])
      .where("m.conversation_id", "in", ids)
      .execute();
    for (const r of rows)
      out.set(r.conversation_id, {
        conversationId: r.conversation_id,
        text: r.text.length > PREVIEW_CHARS ? `${r.text.slice(0, PREVIEW_CHARS - 1)}…` : r.text,
        authorId: r.author_id,
        authorRole: r.author_role,
        hasAttachment: r.attachment_id !== null,
        at: r.created_at,
      });
    return out;
  }

  return {
    async search(
      identity: Identity,
      query: {
        q?: string | undefined;
        customerId?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ): Promise<{ items: HistoryItem[]; nextCursor?: string }> {
      staffOnly(identity);
      let q = db
        .selectFrom("chat_conversations")
        .selectAll()
        .where("status", "in", [...CLOSED]);
      if (query.customerId) q = q.where("customer_id", "=", query.customerId);
      const text = query.q?.trim().toLowerCase();
      if (text) {
        // `%` and `_` in the search widen it (LIKE escapes differ between SQLite and PostgreSQL)
        const like = `%${text}%`;
        q = q.where((eb) =>
          eb.or([
            eb(eb.fn("lower", ["subject"]), "like", like),
            eb(eb.fn("lower", ["customer_name"]), "like", like),
            eb(eb.fn("lower", ["customer_id"]), "like", like),
            eb.exists(
              eb
                .selectFrom("chat_messages")
                .select("chat_messages.id")
                .whereRef("chat_messages.conversation_id", "=", "chat_conversations.id")
                .where((m) => m(m.fn("lower", ["chat_messages.text"]), "like", like)),
            ),
          ]),
        );
      }
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      const last = await previews(rows.map((r) => r.id));
      return {
        items: rows.map((r) => {
          const lastMessage = last.get(r.id);
          return { ...toConversation(r), ...(lastMessage && { lastMessage }) };
        }),
        ...(nextCursor !== undefined && { nextCursor }),
      };
    },

    /** A conversation's transcript and notes for staff: closed ones, or ones they take part in. */
    async transcript(
      identity: Identity,
      id: string,
    ): Promise<{ conversation: Conversation; messages: ChatMessage[]; notes: ChatNote[] }> {
      staffOnly(identity);
      const row = await db
        .selectFrom("chat_conversations")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (!row) throw new SwitchboardError("not_found", `no conversation ${id}`);
      if (!isClosed(row) && !isParticipant(identity, row) && !isSupervisor(identity))
        throw new SwitchboardError("forbidden", "this chat is open with another agent");
      const messages = await db
        .selectFrom("chat_messages")
        .selectAll()
        .where("conversation_id", "=", id)
        .orderBy("seq", "asc")
        .limit(1000)
        .execute();
      return {
        conversation: toConversation(row),
        messages: messages.map((m) => toMessage(m)),
        notes: await notes.list(identity, id),
      };
    },

    /** Last-message previews of the conversations `identity` may see (others are left out). */
    async previews(identity: Identity, ids: string[]): Promise<MessagePreview[]> {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom("chat_conversations")
        .selectAll()
        .where("id", "in", ids)
        .execute();
      const visible = rows.filter((r) => mayRead(identity, r)).map((r) => r.id);
      return [...(await previews(visible)).values()];
    },
  };
}

export type History = ReturnType<typeof createHistory>;
