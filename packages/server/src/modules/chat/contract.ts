/**
 * The chat module's wire contract: what it publishes and answers, for clients to import
 * (`@switchboard/server/contracts/chat`). Only zod and the protocol here: it is bundled into
 * browsers. Its zod-free part (channel names) is names.ts, re-exported here.
 */
import { pageSchema } from "@switchboard/protocol";
import { z } from "zod";

export * from "./names.js";

/**
 * Token claims chat reads for routing. Only your backend sets them (it signs the token): `vip`
 * customers are served first; `value` (e.g. lifetime spend) makes a customer sooner.
 */
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];

export const chatClaimsSchema = z.object({
  vip: z.boolean().optional(),
  value: z.number().nonnegative().max(1e12).optional(),
  /** The queue priority of this customer's conversations (a signed claim: they cannot pick it). */
  priority: z.enum(PRIORITIES).optional(),
});
export type ChatClaims = z.infer<typeof chatClaimsSchema>;

/** Where a bot answer came from. */
export const sourceSchema = z.looseObject({
  title: z.string(),
  file: z.string(),
  score: z.number().optional(),
});

/** What a message carries besides its text: the bot's sources and confidence, a handover. */
export const messageMetaSchema = z.looseObject({
  responder: z.string().optional(),
  sources: z.array(sourceSchema).optional(),
  confidence: z.number().optional(),
  handover: z.boolean().optional(),
});

export const messageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    author: z.object({ id: z.string(), role: z.enum(["customer", "agent", "bot", "system"]) }),
    text: z.string(),
    attachment: z
      .object({ id: z.string(), name: z.string(), mime: z.string(), size: z.number() })
      .optional(),
    meta: messageMetaSchema,
    createdAt: z.string(),
  })
  .describe("ChatMessage");
export type ChatMessage = z.infer<typeof messageSchema>;

/** What a conversation can be about: a catalog product or inventory item, an order, an appointment. */
export const ABOUT_TYPES = ["product", "order", "appointment"] as const;
export const aboutSchema = z.object({
  type: z.enum(ABOUT_TYPES),
  id: z.string().min(1).max(200),
});
export type About = z.infer<typeof aboutSchema>;

/**
 * The item a conversation is about, as both sides see it. Live: subscribe to `channel` (the
 * item's own channel: `product:{sku}` carries `stock` and `price`, `order:{id}` its status) and
 * read this again on its events.
 */
export const itemContextSchema = z
  .object({
    type: z.enum(ABOUT_TYPES),
    id: z.string(),
    name: z.string(),
    price: z.object({ amountMinor: z.number().int(), currency: z.string() }).optional(),
    stock: z
      .object({ available: z.number().int(), inStock: z.boolean(), lowStock: z.boolean() })
      .optional(),
    status: z.string().optional().describe("The order's or appointment's status"),
    progress: z.number().optional(),
    startsAt: z.string().optional(),
    teamId: z.string().optional(),
    /** Where the web app shows the item: for the customer, and in the staff console. */
    links: z.object({ customer: z.string(), staff: z.string() }),
    /** The channel whose events change it (absent: it does not change live). */
    channel: z.string().optional(),
  })
  .describe("ChatItemContext");
export type ItemContext = z.infer<typeof itemContextSchema>;

export const teamSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    members: z.array(z.string()),
    resources: z.array(z.string()).describe("Appointment resources the team owns"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe("ChatTeam");
export type Team = z.infer<typeof teamSchema>;

/** On user:{sub} (event `chat_unread`): unread messages per conversation and in all. */
export const unreadEventSchema = z
  .object({
    total: z.number().int(),
    conversations: z.record(z.string(), z.number().int()),
    /** +1 per snapshot of this user: keep the highest (two can cross on the way). */
    version: z.number().int(),
  })
  .describe("ChatUnread");
export type Unread = z.infer<typeof unreadEventSchema>;

/** The staff coach's answer (POST /api/chat/coach without streaming; `meta` + `done` with it). */
export const coachAnswerSchema = z
  .object({
    text: z.string(),
    sources: z.array(
      z.object({
        kind: z.enum(["figure", "passage"]).optional(),
        title: z.string(),
        file: z.string(),
        value: z.union([z.number(), z.string()]).optional(),
        score: z.number().optional(),
      }),
    ),
    confidence: z.number(),
    model: z.string().describe("`builtin`, or `<provider>:<model>`"),
    cannotAnswer: z.array(z.string()).describe("What it has no figures for"),
  })
  .describe("CoachAnswer");
export type CoachAnswer = z.infer<typeof coachAnswerSchema>;

export const conversationSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    customerName: z.string().optional(),
    subject: z.string().optional(),
    about: aboutSchema.optional(),
    teamId: z.string().optional().describe("The team it is routed to (the item's owner)"),
    skills: z.array(z.string()),
    priority: z.enum(PRIORITIES),
    vip: z.boolean(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    status: z.enum(["waiting", "active", "resolved", "archived"]),
    agentId: z.string().optional(),
    queuedAt: z.string(),
    assignedAt: z.string().optional(),
    resolvedAt: z.string().optional(),
    rating: z.number().optional(),
    lastSeq: z.number().int(),
    /** 1-based place in the queue while waiting. */
    queuePosition: z.number().int().optional(),
    receipts: z.array(
      z.object({ userId: z.string(), deliveredSeq: z.number().int(), readSeq: z.number().int() }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe("Conversation");
export type Conversation = z.infer<typeof conversationSchema>;

export const agentSchema = z
  .object({
    userId: z.string(),
    name: z.string().optional(),
    status: z.enum(["online", "busy", "offline"]),
    skills: z.array(z.string()),
    capacity: z.number().int(),
    activeCount: z.number().int(),
  })
  .describe("ChatAgent");
export type Agent = z.infer<typeof agentSchema>;

export const conversationPageSchema = pageSchema(conversationSchema);
export type ConversationPage = z.infer<typeof conversationPageSchema>;
export const messagePageSchema = z.object({
  items: z.array(messageSchema),
  hasMore: z.boolean().describe("Older (or, with `after`, newer) messages remain"),
});
export type MessagePage = z.infer<typeof messagePageSchema>;
export const receiptsSchema = z.object({
  deliveredSeq: z.number().int(),
  readSeq: z.number().int(),
});

// Events on conversation:{id} (besides `message`, a ChatMessage).
export const assignedEventSchema = z.object({
  conversationId: z.string(),
  agentId: z.string(),
  agentName: z.string(),
  how: z.enum(["auto", "claim"]),
  at: z.string(),
});
export const transferredEventSchema = z.object({
  conversationId: z.string(),
  from: z.string(),
  to: z.string(),
  note: z.string().optional(),
  at: z.string(),
});
export const statusEventSchema = z.object({
  conversationId: z.string(),
  status: z.enum(["waiting", "active", "resolved", "archived"]),
  rating: z.number().optional(),
  by: z.string().optional(),
  requeued: z.boolean().optional(),
  reason: z.enum(["offline", "disconnected"]).optional(),
  previousAgent: z.string().optional(),
  at: z.string(),
});
export const receiptEventSchema = z.object({
  conversationId: z.string(),
  userId: z.string(),
  upTo: z.number().int(),
  at: z.string(),
});
export const queuePositionEventSchema = z.object({
  position: z.number().int(),
  waiting: z.number().int(),
});
/** A piece of a bot answer streamed as a signal (no offset), before the stored `message`. */
export const botDeltaSchema = z.object({
  conversationId: z.string(),
  messageId: z.string(),
  index: z.number().int(),
  delta: z.string(),
});
/** One waiting conversation as the staff queues show it. */
export const queueEntrySchema = z.object({
  id: z.string(),
  subject: z.string().optional(),
  teamId: z.string().optional(),
  priority: z.enum(PRIORITIES),
  vip: z.boolean(),
  skills: z.array(z.string()),
  waitedMs: z.number(),
  score: z.number(),
});
/**
 * On staff:chat (event `queue`): the general queue (conversations about no team), in order, and
 * every agent's load. Teams' conversations are on their team's channel only.
 */
export const staffQueueEventSchema = z.object({
  waiting: z.array(queueEntrySchema),
  /** How many conversations wait in all queues, teams' included (a count only: signals). */
  total: z.number().int(),
  agents: z.array(agentSchema),
});
/**
 * On chat-queue:team:{teamId} and chat-queue:pool (event `queue`): that queue's waiting
 * conversations, in order (an empty list when the last one left).
 */
export const teamQueueEventSchema = z.object({
  waiting: z.array(queueEntrySchema),
});

/** Every event, by channel, with its payload (what a client can validate against). */
export const chatEvents = {
  conversation: {
    message: messageSchema,
    assigned: assignedEventSchema,
    transferred: transferredEventSchema,
    status: statusEventSchema,
    delivered: receiptEventSchema,
    read: receiptEventSchema,
    queue: queuePositionEventSchema,
    bot_delta: botDeltaSchema,
  },
  staffChat: { queue: staffQueueEventSchema },
  teamQueue: { queue: teamQueueEventSchema },
  poolQueue: { queue: teamQueueEventSchema },
} as const;

export type AssignedEvent = z.infer<typeof assignedEventSchema>;
export type TransferredEvent = z.infer<typeof transferredEventSchema>;
export type StatusEvent = z.infer<typeof statusEventSchema>;
export type ReceiptEvent = z.infer<typeof receiptEventSchema>;
export type QueuePositionEvent = z.infer<typeof queuePositionEventSchema>;
export type BotDelta = z.infer<typeof botDeltaSchema>;
export type StaffQueueEvent = z.infer<typeof staffQueueEventSchema>;
export type QueueEntry = z.infer<typeof queueEntrySchema>;
export type TeamQueueEvent = z.infer<typeof teamQueueEventSchema>;

/** Durable event `chat.message_created` (CHAT_EVENTS.messageCreated): one stored message. */
export const chatMessageCreatedSchema = z.object({
  conversationId: z.string(),
  customerId: z.string(),
  messageId: z.string(),
  seq: z.number().int(),
  authorId: z.string(),
  authorRole: z.enum(["customer", "agent", "bot", "system"]),
  text: z.string(),
  attachmentId: z.string().optional(),
  at: z.string(),
});
export type ChatMessageCreated = z.infer<typeof chatMessageCreatedSchema>;

/** Durable event `chat.conversation_assigned`: an agent took it; `waitedMs` it spent queued. */
export const chatConversationAssignedSchema = z.object({
  conversationId: z.string(),
  customerId: z.string(),
  agentId: z.string(),
  how: z.enum(["auto", "claim"]),
  waitedMs: z.number().int().nonnegative(),
  at: z.string(),
});
export type ChatConversationAssigned = z.infer<typeof chatConversationAssignedSchema>;

/**
 * Durable event `chat.conversation_resolved`: it ended. `firstResponseMs` from its assignment to
 * its agent's first message (absent when the agent never wrote); `durationMs` from its creation.
 */
export const chatConversationResolvedSchema = z.object({
  conversationId: z.string(),
  customerId: z.string(),
  agentId: z.string().nullable(),
  firstResponseMs: z.number().int().nonnegative().optional(),
  durationMs: z.number().int().nonnegative(),
  at: z.string(),
});
export type ChatConversationResolved = z.infer<typeof chatConversationResolvedSchema>;

/** Durable event `chat.conversation_rated`: the customer's rating (1..5), once per rating given. */
export const chatConversationRatedSchema = z.object({
  conversationId: z.string(),
  customerId: z.string(),
  agentId: z.string().nullable(),
  rating: z.number().int().min(1).max(5),
  at: z.string(),
});
export type ChatConversationRated = z.infer<typeof chatConversationRatedSchema>;
