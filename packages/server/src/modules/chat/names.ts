/**
 * What a client of the chat module needs at run time without zod: channel names and its signal
 * (`@switchboard/server/names/chat`). The payload schemas are in contract.ts, which re-exports
 * all of this.
 */

/** Where a conversation happens: its customer, its agent and supervisors. */
export const conversationChannel = (id: string) => `conversation:${id}`;
/**
 * Agents' room: the general queue (conversations about no team), every agent's load, and (by
 * presence) who is connected.
 */
export const STAFF_CHAT_CHANNEL = "staff:chat";
/** The chat module's namespace of team queues (its policy: who is in which team). */
export const CHAT_QUEUE_NAMESPACE = "chat-queue";
/** One team's waiting conversations (event `queue`): only that team's members and admins. */
export const teamQueueChannel = (teamId: string) => `${CHAT_QUEUE_NAMESPACE}:team:${teamId}`;
/**
 * Teams' waiting conversations offered to the general pool while nobody of their team is online
 * (fallback `pool`), event `queue`: only agents in no team (the pool) and admins.
 */
export const POOL_QUEUE_CHANNEL = `${CHAT_QUEUE_NAMESPACE}:pool`;
/** The one signal clients send on conversation:{id}. */
export const TYPING_SIGNAL = "typing";
/** The bot's user id: its streamed answer arrives as `bot_delta` signals from this user. */
export const BOT_USER = "bot";
/** The bot's streamed text (sent by the server only: clients may not send it). */
export const BOT_DELTA_SIGNAL = "bot_delta";
/** Everything conversation:{id} carries without an offset; any other event must have one. */
export const CONVERSATION_SIGNALS = [TYPING_SIGNAL, BOT_DELTA_SIGNAL] as const;

/**
 * Durable domain events the chat module emits (payloads in contract.ts). Aggregate:
 * `conversation:{id}` (one conversation's messages arrive in order).
 */
/** On user:{sub}: the user's unread counts (UnreadEvent). */
export const CHAT_UNREAD_EVENT = "chat_unread";

export const CHAT_EVENTS = {
  messageCreated: "chat.message_created",
  /** An agent took a conversation from the queue (auto-assigned or claimed). */
  conversationAssigned: "chat.conversation_assigned",
  /** A conversation ended (resolved by its agent or customer). */
  conversationResolved: "chat.conversation_resolved",
  /** The customer rated a conversation (1..5). */
  conversationRated: "chat.conversation_rated",
} as const;
