/**
 * What a client of the chat module needs at run time without zod: channel names and its signal
 * (`@switchboard/server/names/chat`). The payload schemas are in contract.ts, which re-exports
 * all of this.
 */

/** Where a conversation happens: its customer, its agent and supervisors. */
export const conversationChannel = (id: string) => `conversation:${id}`;
/** Agents' room: the queue and loads, and (by presence) who is connected. */
export const STAFF_CHAT_CHANNEL = "staff:chat";
/** The one signal clients send on conversation:{id}. */
export const TYPING_SIGNAL = "typing";

/**
 * Durable domain events the chat module emits (payloads in contract.ts). Aggregate:
 * `conversation:{id}` (one conversation's messages arrive in order).
 */
export const CHAT_EVENTS = {
  messageCreated: "chat.message_created",
} as const;
