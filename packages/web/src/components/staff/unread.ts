import type { Conversation } from "@switchboard/server/contracts/chat";

/**
 * How many messages of a conversation `user` has not read: those after their read receipt.
 * (My own messages move my receipt forward as I send them, so they never count.)
 */
export function unreadOf(
  c: Pick<Conversation, "lastSeq" | "receipts">,
  user: string | undefined,
): number {
  const read = c.receipts.find((r) => r.userId === user)?.readSeq ?? 0;
  return Math.max(0, c.lastSeq - read);
}
