/**
 * `chat.read` on the in-process bus (events.local): a participant read a conversation up to a
 * message, after the receipt committed. Live-only (lost on a crash): notifications uses it to
 * cancel a chat reply's waiting grace at once; the grace task still checks the receipt itself.
 */
export interface ChatRead {
  conversationId: string;
  userId: string;
  /** The receipt's read position after this read (never moves back). */
  upTo: number;
}

declare module "../../events.js" {
  interface DomainEvents {
    "chat.read": ChatRead;
  }
}
