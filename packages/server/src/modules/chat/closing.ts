import type { Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { now, whoOf } from "../../platform/kit/actor.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import type { OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { assertParticipant } from "./access.js";
import {
  CHAT_EVENTS,
  type ChatConversationRated,
  type ChatConversationResolved,
  type Conversation,
  conversationChannel,
  type StatusEvent,
} from "./contract.js";
import type { ChatDeps } from "./deps.js";
import type { ChatConversationRow } from "./migrations.js";
import { revokeConversationAccess } from "./revoke.js";
import type { Routing } from "./routing.js";

/** The `status` event of a conversation, for the outbox. */
function statusMessage(id: string, data: Omit<StatusEvent, "conversationId">): OutboxMessage {
  return {
    channel: conversationChannel(id),
    event: "status",
    data: { conversationId: id, ...data },
    key: `chat:${id}:status:${ulid()}`,
  };
}

/** Gives an agent back the slot a conversation held. */
async function releaseAgent(trx: Transaction<Database>, agentId: string, at: string) {
  await trx
    .updateTable("chat_agents")
    .set((eb) => ({ active_count: eb("active_count", "-", 1), updated_at: at }))
    .where("user_id", "=", agentId)
    .where("active_count", ">", 0)
    .execute();
}

/**
 * How conversations end or go back to the queue. Each change is one transaction: the
 * conversation's conditional update, the agent's slot, and the outbox row that announces it. A
 * crash anywhere leaves all three as they were, or all three done.
 */
export function createClosing(
  deps: ChatDeps,
  routing: Routing,
  load: (id: string) => Promise<ChatConversationRow>,
  view: (row: ChatConversationRow) => Promise<Conversation>,
) {
  const { db, outbox } = deps;

  /** Puts an agent's conversations back in the queue (they went offline or disconnected too long). */
  async function requeueAgent(
    agentId: string,
    reason: "offline" | "disconnected",
  ): Promise<number> {
    const rows = await db
      .selectFrom("chat_conversations")
      .select("id")
      .where("agent_id", "=", agentId)
      .where("status", "=", "active")
      .execute();
    let requeued = 0;
    for (const { id } of rows) {
      const at = now();
      let ids: string[];
      try {
        ids = await db.transaction().execute(async (trx) => {
          const moved = await trx
            .updateTable("chat_conversations")
            .set((eb) => ({
              status: "waiting",
              agent_id: null,
              assigned_at: null,
              updated_at: at,
              version: eb("version", "+", 1),
            }))
            .where("id", "=", id)
            .where("agent_id", "=", agentId)
            .where("status", "=", "active")
            .executeTakeFirst();
          expectOne(moved);
          deps.crashPoint("chat.requeue.after-status");
          await releaseAgent(trx, agentId, at);
          return outbox.enqueue(trx, [
            statusMessage(id, {
              status: "waiting",
              requeued: true,
              reason,
              previousAgent: agentId,
              at,
            }),
          ]);
        });
      } catch (error) {
        if (error instanceof ConditionalMiss) continue; // resolved or requeued meanwhile
        throw error;
      }
      await outbox.flush(ids);
      deps.unreadChanged?.([agentId]);
      await revokeConversationAccess(deps, id);
      requeued++;
    }
    if (requeued) await routing.route();
    return requeued;
  }

  /** Durable `chat.conversation_resolved`, in the resolve's commit (metrics' response times). */
  async function emitResolved(trx: Transaction<Database>, row: ChatConversationRow, at: string) {
    let firstResponseMs: number | undefined;
    if (row.agent_id && row.assigned_at) {
      const first = await trx
        .selectFrom("chat_messages")
        .select("created_at")
        .where("conversation_id", "=", row.id)
        .where("author_id", "=", row.agent_id)
        .where("author_role", "=", "agent")
        .where("created_at", ">=", row.assigned_at)
        .orderBy("seq")
        .limit(1)
        .executeTakeFirst();
      if (first)
        firstResponseMs = Math.max(0, Date.parse(first.created_at) - Date.parse(row.assigned_at));
    }
    const payload: ChatConversationResolved = {
      conversationId: row.id,
      customerId: row.customer_id,
      agentId: row.agent_id,
      ...(firstResponseMs !== undefined && { firstResponseMs }),
      durationMs: Math.max(0, Date.parse(at) - Date.parse(row.created_at)),
      at,
    };
    await deps.events.emit(trx, {
      type: CHAT_EVENTS.conversationResolved,
      aggregate: conversationChannel(row.id),
      payload,
    });
  }

  /** Durable `chat.conversation_rated` when the customer gave a rating with this call. */
  async function emitRated(
    trx: Transaction<Database>,
    row: ChatConversationRow,
    rating: number | undefined,
    at: string,
  ) {
    if (rating === undefined) return;
    const payload: ChatConversationRated = {
      conversationId: row.id,
      customerId: row.customer_id,
      agentId: row.agent_id,
      rating,
      at,
    };
    await deps.events.emit(trx, {
      type: CHAT_EVENTS.conversationRated,
      aggregate: conversationChannel(row.id),
      payload,
    });
  }

  return {
    requeueAgent,

    /**
     * Requeues the active conversations of agents who are offline: none exist unless a crash
     * came between an agent going offline and their conversations' requeue (separate
     * transactions). The routing job runs it, so such a crash heals by itself.
     */
    async requeueOrphans(): Promise<number> {
      const orphans = await db
        .selectFrom("chat_conversations")
        .innerJoin("chat_agents", "chat_agents.user_id", "chat_conversations.agent_id")
        .select("chat_agents.user_id")
        .distinct()
        .where("chat_conversations.status", "=", "active")
        .where("chat_agents.status", "=", "offline")
        .execute();
      let requeued = 0;
      for (const { user_id } of orphans) requeued += await requeueAgent(user_id, "offline");
      return requeued;
    },

    /** Ends a conversation; the customer may rate it (also after an agent resolved it). */
    async resolve(identity: Identity, id: string, rating?: number): Promise<Conversation> {
      const row = await load(id);
      assertParticipant(identity, row);
      const isCustomer = row.customer_id === identity.user && !identity.server;
      if (rating !== undefined && !isCustomer)
        throw new SwitchboardError("forbidden", "only the customer rates a conversation");
      const closed = row.status === "resolved" || row.status === "archived";
      if (closed && rating === undefined)
        throw new SwitchboardError("conflict", "the conversation is already resolved");
      const at = now();
      const finalRating = rating ?? row.rating;
      const announced = statusMessage(id, {
        status: closed ? row.status : "resolved",
        ...(finalRating !== null && { rating: finalRating }),
        by: whoOf(identity),
        at,
      });
      let ids: string[];
      try {
        ids = await db.transaction().execute(async (trx) => {
          if (closed) {
            await trx
              .updateTable("chat_conversations")
              .set({ rating, updated_at: at })
              .where("id", "=", id)
              .execute();
            await emitRated(trx, row, rating, at);
            return outbox.enqueue(trx, [announced]);
          }
          const done = await trx
            .updateTable("chat_conversations")
            .set((eb) => ({
              status: "resolved",
              resolved_at: at,
              updated_at: at,
              version: eb("version", "+", 1),
              ...(rating !== undefined && { rating }),
            }))
            .where("id", "=", id)
            .where("status", "=", row.status)
            .where("version", "=", row.version)
            .executeTakeFirst();
          expectOne(done, "the conversation changed meanwhile; retry");
          deps.crashPoint("chat.resolve.after-status");
          if (row.status === "active" && row.agent_id) await releaseAgent(trx, row.agent_id, at);
          await emitResolved(trx, row, at);
          await emitRated(trx, row, rating, at);
          return outbox.enqueue(trx, [announced]);
        });
      } catch (error) {
        if (error instanceof ConditionalMiss) throw new SwitchboardError("conflict", error.message);
        throw error;
      }
      await outbox.flush(ids);
      deps.unreadChanged?.([row.agent_id]);
      if (!closed) await revokeConversationAccess(deps, id);
      const after = await load(id);
      await routing.route(); // an agent may have freed up
      return view(after);
    },

    /** Archives resolved conversations past the archive delay and deletes those past retention. */
    async retention(): Promise<{ archived: number; deleted: string[] }> {
      const day = 24 * 60 * 60 * 1000;
      const archiveBefore = new Date(
        Date.now() - deps.config.chat.archiveAfterDays * day,
      ).toISOString();
      const deleteBefore = new Date(
        Date.now() - deps.config.chat.retentionDays * day,
      ).toISOString();
      const archived = await db
        .updateTable("chat_conversations")
        .set({ status: "archived", updated_at: now() })
        .where("status", "=", "resolved")
        .where("resolved_at", "<", archiveBefore)
        .executeTakeFirst();
      const doomed = await db
        .selectFrom("chat_conversations")
        .select("id")
        .where("status", "=", "archived")
        .where("resolved_at", "<", deleteBefore)
        .execute();
      const ids = doomed.map((d) => d.id);
      if (ids.length) {
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom("chat_receipts").where("conversation_id", "in", ids).execute();
          await trx.deleteFrom("chat_messages").where("conversation_id", "in", ids).execute();
          await trx.deleteFrom("chat_attachments").where("conversation_id", "in", ids).execute();
          await trx.deleteFrom("chat_conversations").where("id", "in", ids).execute();
        });
      }
      return { archived: Number(archived.numUpdatedRows), deleted: ids };
    },
  };
}
