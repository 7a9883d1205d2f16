import type { Kysely } from "kysely";
import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { now, whoOf } from "../../platform/kit/actor.js";
import type { MigrationSet } from "../../store/migrations.js";
import type { ChatDeps } from "./deps.js";

/**
 * Private notes: what staff write about a conversation for each other ("refund approved by
 * Sam"). They are not messages: another table, another channel (`staff:notes:{id}`, staff-only
 * by the core `staff:*` policy), never on `conversation:{id}` and never in the transcript, so no
 * path exists by which the customer reads one.
 */
export interface ChatNoteRow {
  id: string;
  conversation_id: string;
  author_id: string;
  author_name: string | null;
  text: string;
  created_at: string;
}

declare module "../../store/schema.js" {
  interface Database {
    chat_notes: ChatNoteRow;
  }
}

export const notesMigrations: MigrationSet = {
  "chat/010_private_notes": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("chat_notes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("conversation_id", "text", (c) =>
          c.notNull().references("chat_conversations.id").onDelete("cascade"),
        )
        .addColumn("author_id", "text", (c) => c.notNull())
        .addColumn("author_name", "text")
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("chat_notes_conversation")
        .on("chat_notes")
        .columns(["conversation_id", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("chat_notes").execute();
    },
  },
};

/** Where staff hear a conversation's new notes live. */
export const notesChannel = (conversationId: string) => `staff:notes:${conversationId}`;
export const NOTE_EVENT = "note";

export interface ChatNote {
  id: string;
  conversationId: string;
  author: { id: string; name?: string };
  text: string;
  createdAt: string;
}

const toNote = (r: ChatNoteRow): ChatNote => ({
  id: r.id,
  conversationId: r.conversation_id,
  author: { id: r.author_id, ...(r.author_name !== null && { name: r.author_name }) },
  text: r.text,
  createdAt: r.created_at,
});

/** Staff only (agents, admins, the API key); a customer is refused even on their own chat. */
function assertStaff(identity: Identity): void {
  if (!identity.server && !isStaff(identity))
    throw new SwitchboardError("forbidden", "private notes are for staff only");
}

export function createNotes(deps: Pick<ChatDeps, "db" | "outbox">) {
  const { db, outbox } = deps;

  async function conversationExists(id: string): Promise<void> {
    const row = await db
      .selectFrom("chat_conversations")
      .select("id")
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no conversation ${id}`);
  }

  return {
    async add(identity: Identity, conversationId: string, text: string): Promise<ChatNote> {
      assertStaff(identity);
      await conversationExists(conversationId);
      const row: ChatNoteRow = {
        id: ulid(),
        conversation_id: conversationId,
        author_id: whoOf(identity),
        author_name: identity.name ?? null,
        text,
        created_at: now(),
      };
      const note = toNote(row);
      const ids = await db.transaction().execute(async (trx) => {
        await trx.insertInto("chat_notes").values(row).execute();
        return outbox.enqueue(trx, [
          {
            channel: notesChannel(conversationId),
            event: NOTE_EVENT,
            data: note,
            key: `chat:${conversationId}:note:${row.id}`,
          },
        ]);
      });
      await outbox.flush(ids);
      return note;
    },

    async list(identity: Identity, conversationId: string): Promise<ChatNote[]> {
      assertStaff(identity);
      await conversationExists(conversationId);
      const rows = await db
        .selectFrom("chat_notes")
        .selectAll()
        .where("conversation_id", "=", conversationId)
        .orderBy("id", "asc")
        .limit(500)
        .execute();
      return rows.map(toNote);
    },
  };
}

export type Notes = ReturnType<typeof createNotes>;
