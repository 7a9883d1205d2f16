import { useEffect, useState } from "react";
import { api } from "../../app/api.js";
import { useSession } from "../../app/session.js";

/** The last message of a conversation (GET /api/chat/previews). */
export interface MessagePreview {
  conversationId: string;
  text: string;
  authorId: string;
  authorRole: "customer" | "agent" | "bot" | "system";
  hasAttachment: boolean;
  at: string;
}

/**
 * Last-message previews of the listed conversations, read again whenever one of them moves
 * (`version`: their ids with their last sequence numbers), so a row shows what was said last.
 */
export function usePreviews(
  list: readonly { id: string; lastSeq?: number; updatedAt?: string }[],
): Map<string, MessagePreview> {
  const token = useSession()?.token ?? null;
  const [previews, setPreviews] = useState(new Map<string, MessagePreview>());
  const ids = list.map((c) => c.id).slice(0, 100);
  const version = list.map((c) => `${c.id}:${c.lastSeq ?? ""}:${c.updatedAt ?? ""}`).join(",");
  useEffect(() => {
    if (ids.length === 0) return;
    let live = true;
    void api<{ items: MessagePreview[] }>(
      token,
      "GET",
      `/api/chat/previews?ids=${ids.map(encodeURIComponent).join(",")}`,
    ).then(
      (r) => {
        if (live) setPreviews(new Map(r.items.map((p) => [p.conversationId, p])));
      },
      () => undefined, // a row without a preview still shows its subject
    );
    return () => {
      live = false;
    };
  }, [token, version]);
  return previews;
}

/** "You: On the bench now" / "Alice: Is it done?" / "📎 photo". */
export function previewText(p: MessagePreview, me: string | undefined, customer: string): string {
  const who =
    p.authorId === me
      ? "You"
      : p.authorRole === "customer"
        ? customer
        : p.authorRole === "bot"
          ? "Assistant"
          : "Staff";
  const text = p.text || (p.hasAttachment ? "sent an attachment" : "");
  return `${who}: ${text}`;
}
