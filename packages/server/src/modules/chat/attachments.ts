import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileTypeFromBuffer } from "file-type";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { assertParticipant } from "./access.js";
import type { Conversations } from "./conversations.js";
import { type ChatDeps, now } from "./deps.js";
import { nameForType } from "./file-names.js";
import { assertUploadQuota, lockUser } from "./quotas.js";

/** Plain text has no magic bytes: valid UTF-8 with no control characters but tab and newlines. */
function isPlainText(bytes: Buffer): boolean {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
    return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
  } catch {
    return false;
  }
}

/** What the bytes are, whatever the file is called. */
export async function detectType(bytes: Buffer): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) return detected.mime;
  return isPlainText(bytes) ? "text/plain" : undefined;
}

function safeName(name: string): string {
  const cleaned = basename(name)
    .replace(/[^\w.\- ()]/g, "_")
    .slice(0, 200);
  return cleaned || "file";
}

export function createAttachments(deps: ChatDeps, conversations: Conversations) {
  const { db, config } = deps;
  const root = config.chat.attachmentDir ?? join(config.dataDir, "attachments");
  const allowed = new Set(config.chat.attachmentTypes);

  return {
    /** Checks the bytes against the allowed types (by content, never by name) and stores them. */
    async store(identity: Identity, conversationId: string, filename: string, bytes: Buffer) {
      const conversation = await conversations.load(conversationId);
      assertParticipant(identity, conversation);
      if (conversation.status !== "waiting" && conversation.status !== "active") {
        throw new SwitchboardError("conflict", "the conversation is closed");
      }
      if (bytes.length === 0) throw new SwitchboardError("bad_request", "the file is empty");
      if (bytes.length > config.chat.attachmentMaxBytes) {
        throw new SwitchboardError(
          "too_large",
          `files are limited to ${config.chat.attachmentMaxBytes} bytes`,
        );
      }
      const mime = await detectType(bytes);
      if (!mime || !allowed.has(mime)) {
        throw new SwitchboardError(
          "bad_request",
          `this kind of file is not accepted${mime ? ` (${mime})` : ""}`,
          {
            details: { detected: mime ?? "unknown", allowed: [...allowed] },
          },
        );
      }
      const id = ulid();
      const dir = join(root, conversationId);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, id), bytes, { mode: 0o600 });
      const row = {
        id,
        conversation_id: conversationId,
        uploader_id: identity.server ? "server" : identity.user,
        filename: nameForType(safeName(filename), mime),
        mime,
        size: bytes.length,
        created_at: now(),
      };
      try {
        await db.transaction().execute(async (trx) => {
          // The API key (the operator's backend) has no quota; everyone else, staff included, does.
          if (!identity.apiKey) {
            await lockUser(trx, deps.dialect, `chat-upload:${row.uploader_id}`);
            await assertUploadQuota(trx, row.uploader_id, row.size, config.chat);
          }
          await trx.insertInto("chat_attachments").values(row).execute();
        });
      } catch (error) {
        await rm(join(dir, id), { force: true });
        throw error;
      }
      return { id, name: row.filename, mime, size: row.size };
    },

    /** Where a participant may read an attachment from. */
    async locate(identity: Identity, id: string) {
      const row = await db
        .selectFrom("chat_attachments")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (!row) throw new SwitchboardError("not_found", `no attachment ${id}`);
      assertParticipant(identity, await conversations.load(row.conversation_id));
      return {
        path: join(root, row.conversation_id, row.id),
        mime: row.mime,
        name: row.filename,
        size: row.size,
      };
    },

    /** Removes the files of deleted conversations (retention). */
    async removeConversations(ids: string[]): Promise<void> {
      for (const id of ids) await rm(join(root, id), { recursive: true, force: true });
    },
  };
}

export type Attachments = ReturnType<typeof createAttachments>;
