import {
  type About,
  type Agent,
  type ChatMessage,
  type Conversation,
  PRIORITIES,
  type Priority,
} from "./contract.js";
import type {
  ChatAgentRow,
  ChatConversationRow,
  ChatMessageRow,
  ChatReceiptRow,
} from "./migrations.js";

export function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export const priorityName = (n: number): Priority =>
  PRIORITIES[Math.min(Math.max(n, 0), 3)] as Priority;
export const priorityNumber = (p: Priority | undefined): number => (p ? PRIORITIES.indexOf(p) : 1);

export function toAgent(row: ChatAgentRow): Agent {
  return {
    userId: row.user_id,
    ...(row.name !== null && { name: row.name }),
    status: row.status,
    skills: parseJson<string[]>(row.skills, []),
    capacity: row.capacity,
    activeCount: row.active_count,
  };
}

export function toConversation(
  row: ChatConversationRow,
  extra: { receipts?: ChatReceiptRow[]; queuePosition?: number } = {},
): Conversation {
  return {
    id: row.id,
    customerId: row.customer_id,
    ...(row.customer_name !== null && { customerName: row.customer_name }),
    ...(row.subject !== null && { subject: row.subject }),
    ...(row.about_type !== null &&
      row.about_id !== null && {
        about: { type: row.about_type as About["type"], id: row.about_id },
      }),
    ...(row.team_id !== null && { teamId: row.team_id }),
    skills: parseJson<string[]>(row.skills, []),
    priority: priorityName(row.priority),
    vip: row.vip === 1,
    tags: parseJson<string[]>(row.tags, []),
    metadata: parseJson<Record<string, unknown>>(row.metadata, {}),
    status: row.status,
    ...(row.agent_id !== null && { agentId: row.agent_id }),
    queuedAt: row.queued_at,
    ...(row.assigned_at !== null && { assignedAt: row.assigned_at }),
    ...(row.resolved_at !== null && { resolvedAt: row.resolved_at }),
    ...(row.rating !== null && { rating: row.rating }),
    lastSeq: row.last_seq,
    ...(extra.queuePosition !== undefined && { queuePosition: extra.queuePosition }),
    receipts: (extra.receipts ?? []).map((r) => ({
      userId: r.user_id,
      deliveredSeq: r.delivered_seq,
      readSeq: r.read_seq,
    })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toMessage(
  row: ChatMessageRow,
  attachment?: { id: string; filename: string; mime: string; size: number },
  /** The meta the row was written from (a fresh message): not parsed back from its JSON. */
  meta?: Record<string, unknown>,
): ChatMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    author: { id: row.author_id, role: row.author_role },
    text: row.text,
    ...(attachment && {
      attachment: {
        id: attachment.id,
        name: attachment.filename,
        mime: attachment.mime,
        size: attachment.size,
      },
    }),
    meta: meta ?? parseJson<Record<string, unknown>>(row.meta, {}),
    createdAt: row.created_at,
  };
}
