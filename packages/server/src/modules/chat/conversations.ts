import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { assertParticipant, isSupervisor } from "./access.js";
import { type ChatDeps, conversationChannel, Moved, now } from "./deps.js";
import { priorityNumber, toConversation } from "./mapping.js";
import type { ChatConversationRow } from "./migrations.js";
import { assertOpenConversations, lockUser } from "./quotas.js";
import type { Routing } from "./routing.js";
import type { Conversation, OpenConversationInput } from "./schema.js";

export function createConversations(deps: ChatDeps, routing: Routing) {
  const { db, outbox } = deps;

  async function load(id: string): Promise<ChatConversationRow> {
    const row = await db
      .selectFrom("chat_conversations")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no conversation ${id}`);
    return row;
  }

  async function view(row: ChatConversationRow): Promise<Conversation> {
    const receipts = await db
      .selectFrom("chat_receipts")
      .selectAll()
      .where("conversation_id", "=", row.id)
      .execute();
    let queuePosition: number | undefined;
    if (row.status === "waiting") {
      const queue = await routing.loadQueue();
      const index = queue.findIndex((c) => c.id === row.id);
      if (index >= 0) queuePosition = index + 1;
    }
    return toConversation(row, { receipts, ...(queuePosition !== undefined && { queuePosition }) });
  }

  async function event(
    row: ChatConversationRow,
    name: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    const ids = await db.transaction().execute((trx) =>
      outbox.enqueue(trx, [
        {
          channel: conversationChannel(row.id),
          event: name,
          data: { conversationId: row.id, ...data },
          key: `chat:${row.id}:${name}:${ulid()}`,
        },
      ]),
    );
    await outbox.flush(ids);
  }

  async function releaseAgent(agentId: string): Promise<void> {
    await db
      .updateTable("chat_agents")
      .set((eb) => ({ active_count: eb("active_count", "-", 1), updated_at: now() }))
      .where("user_id", "=", agentId)
      .where("active_count", ">", 0)
      .execute();
  }

  return {
    load,
    view,

    async open(identity: Identity, input: OpenConversationInput): Promise<Conversation> {
      const onBehalf = input.customerId !== undefined && (identity.server || isStaff(identity));
      if (input.customerId !== undefined && !onBehalf) {
        throw new SwitchboardError(
          "forbidden",
          "only staff or the API key open conversations for someone else",
        );
      }
      const at = now();
      const row: ChatConversationRow = {
        id: ulid(),
        customer_id: onBehalf ? (input.customerId as string) : identity.user,
        customer_name: onBehalf ? null : (identity.name ?? null),
        subject: input.subject ?? null,
        skills: JSON.stringify(input.skills ?? []),
        priority: priorityNumber(input.priority),
        vip: !onBehalf && identity.vip ? 1 : 0,
        customer_value: onBehalf ? 0 : (identity.value ?? 0),
        tags: JSON.stringify(input.tags ?? []),
        metadata: JSON.stringify(input.metadata ?? {}),
        status: "waiting",
        agent_id: null,
        queued_at: at,
        assigned_at: null,
        resolved_at: null,
        rating: null,
        last_seq: 0,
        bot_muted: 0,
        version: 1,
        created_at: at,
        updated_at: at,
      };
      if (onBehalf) {
        await db.insertInto("chat_conversations").values(row).execute();
      } else {
        // A customer's own conversations are capped (staff opening one for them are not).
        await db.transaction().execute(async (trx) => {
          await lockUser(trx, deps.dialect, `chat-open:${row.customer_id}`);
          await assertOpenConversations(
            trx,
            row.customer_id,
            deps.config.chat.maxOpenConversations,
          );
          await trx.insertInto("chat_conversations").values(row).execute();
        });
      }
      await routing.route();
      return view(await load(row.id));
    },

    async get(identity: Identity, id: string): Promise<Conversation> {
      const row = await load(id);
      assertParticipant(identity, row);
      return view(row);
    },

    async list(
      identity: Identity,
      query: {
        status?: ChatConversationRow["status"];
        mine?: boolean;
        limit: number;
        cursor?: string;
      },
    ) {
      let q = db
        .selectFrom("chat_conversations")
        .selectAll()
        .orderBy("id", "desc")
        .limit(query.limit + 1);
      if (!isStaff(identity) && !identity.server) q = q.where("customer_id", "=", identity.user);
      else if (query.mine) q = q.where("agent_id", "=", identity.user);
      else if (!isSupervisor(identity)) {
        // agents see the queue and their own conversations, not other agents' chats
        q = q.where((eb) =>
          eb.or([eb("status", "=", "waiting"), eb("agent_id", "=", identity.user)]),
        );
      }
      if (query.status) q = q.where("status", "=", query.status);
      if (query.cursor) q = q.where("id", "<", query.cursor);
      const rows = await q.execute();
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((r) => toConversation(r)),
        ...(rows.length > query.limit && { nextCursor: page.at(-1)?.id }),
      };
    },

    async claim(identity: Identity, id: string): Promise<Conversation> {
      if (!isStaff(identity))
        throw new SwitchboardError("forbidden", "only agents claim conversations");
      await load(id);
      await routing.claim(identity.user, id);
      await routing.publishQueue();
      return view(await load(id));
    },

    /** Hands an active conversation to another agent (its agent or a supervisor may). */
    async transfer(
      identity: Identity,
      id: string,
      toAgent: string,
      note?: string,
    ): Promise<Conversation> {
      const row = await load(id);
      if (!(isSupervisor(identity) || (isStaff(identity) && row.agent_id === identity.user))) {
        throw new SwitchboardError(
          "forbidden",
          "only the assigned agent or a supervisor transfers a conversation",
        );
      }
      if (row.status !== "active" || !row.agent_id)
        throw new SwitchboardError("conflict", "only an active conversation can be transferred");
      if (row.agent_id === toAgent)
        throw new SwitchboardError("conflict", "the conversation is already with that agent");
      const from = row.agent_id;
      const at = now();
      try {
        const ids = await db.transaction().execute(async (trx) => {
          const target = await trx
            .updateTable("chat_agents")
            .set((eb) => ({
              active_count: eb("active_count", "+", 1),
              last_assigned_at: at,
              updated_at: at,
            }))
            .where("user_id", "=", toAgent)
            .where("status", "!=", "offline")
            .where((eb) => eb("active_count", "<", eb.ref("capacity")))
            .executeTakeFirst();
          if (Number(target.numUpdatedRows) !== 1)
            throw new Moved("the target agent is offline or full");
          const moved = await trx
            .updateTable("chat_conversations")
            .set((eb) => ({
              agent_id: toAgent,
              assigned_at: at,
              updated_at: at,
              version: eb("version", "+", 1),
            }))
            .where("id", "=", id)
            .where("agent_id", "=", from)
            .where("status", "=", "active")
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) !== 1)
            throw new Moved("the conversation changed meanwhile");
          await trx
            .updateTable("chat_agents")
            .set((eb) => ({ active_count: eb("active_count", "-", 1), updated_at: at }))
            .where("user_id", "=", from)
            .where("active_count", ">", 0)
            .execute();
          return outbox.enqueue(trx, [
            {
              channel: conversationChannel(id),
              event: "transferred",
              data: { conversationId: id, from, to: toAgent, ...(note && { note }), at },
              key: `chat:${id}:transferred:${at}`,
            },
          ]);
        });
        await outbox.flush(ids);
      } catch (error) {
        if (error instanceof Moved) throw new SwitchboardError("conflict", error.message);
        throw error;
      }
      await routing.route();
      return view(await load(id));
    },

    /** Ends a conversation; the customer may rate it (also after an agent resolved it). */
    async resolve(identity: Identity, id: string, rating?: number): Promise<Conversation> {
      const row = await load(id);
      assertParticipant(identity, row);
      const isCustomer = row.customer_id === identity.user && !identity.server;
      if (rating !== undefined && !isCustomer)
        throw new SwitchboardError("forbidden", "only the customer rates a conversation");
      const at = now();
      if (row.status === "resolved" || row.status === "archived") {
        if (rating === undefined)
          throw new SwitchboardError("conflict", "the conversation is already resolved");
        await db
          .updateTable("chat_conversations")
          .set({ rating, updated_at: at })
          .where("id", "=", id)
          .execute();
      } else {
        const done = await db
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
        if (Number(done.numUpdatedRows) !== 1)
          throw new SwitchboardError("conflict", "the conversation changed meanwhile; retry");
        if (row.status === "active" && row.agent_id) await releaseAgent(row.agent_id);
      }
      const after = await load(id);
      await event(after, "status", {
        status: after.status,
        ...(after.rating !== null && { rating: after.rating }),
        by: identity.server ? "server" : identity.user,
        at,
      });
      await routing.route(); // an agent may have freed up
      return view(after);
    },

    /** Puts an agent's conversations back in the queue (they went offline or disconnected too long). */
    async requeueAgent(agentId: string, reason: "offline" | "disconnected"): Promise<number> {
      const rows = await db
        .selectFrom("chat_conversations")
        .selectAll()
        .where("agent_id", "=", agentId)
        .where("status", "=", "active")
        .execute();
      let requeued = 0;
      for (const row of rows) {
        const at = now();
        const r = await db
          .updateTable("chat_conversations")
          .set((eb) => ({
            status: "waiting",
            agent_id: null,
            assigned_at: null,
            updated_at: at,
            version: eb("version", "+", 1),
          }))
          .where("id", "=", row.id)
          .where("agent_id", "=", agentId)
          .where("status", "=", "active")
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) continue;
        await releaseAgent(agentId);
        requeued++;
        await event(row, "status", {
          status: "waiting",
          requeued: true,
          reason,
          previousAgent: agentId,
          at,
        });
      }
      if (requeued) await routing.route();
      return requeued;
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

export type Conversations = ReturnType<typeof createConversations>;
