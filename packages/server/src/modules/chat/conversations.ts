import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import { claimsOf } from "../../platform/kit/claims.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import { assertParticipant, isSupervisor } from "./access.js";
import { createClosing } from "./closing.js";
import {
  type About,
  type Conversation,
  chatClaimsSchema,
  conversationChannel,
  type ItemContext,
} from "./contract.js";
import type { ChatDeps } from "./deps.js";
import { priorityNumber, toConversation } from "./mapping.js";
import type { ChatConversationRow } from "./migrations.js";
import { assertOpenConversations, lockUser } from "./quotas.js";
import { revokeConversationAccess } from "./revoke.js";
import type { Routing } from "./routing.js";
import type { OpenConversationInput } from "./schema.js";
import type { Subjects } from "./subjects.js";
import type { Teams } from "./teams.js";

export function createConversations(
  deps: ChatDeps,
  routing: Routing,
  teams: Teams,
  subjects: Subjects,
) {
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

  return {
    load,
    view,

    async open(identity: Identity, input: OpenConversationInput): Promise<Conversation> {
      const onBehalf = input.customerId !== undefined && isStaffOrServer(identity);
      if (input.customerId !== undefined && !onBehalf) {
        throw new SwitchboardError(
          "forbidden",
          "only staff or the API key open conversations for someone else",
        );
      }
      // Priority orders the queue: only staff, the API key or the token's signed claims set it,
      // never a customer's own request (it would jump the queue past VIPs).
      const staffOrServer = isStaffOrServer(identity);
      if (input.priority !== undefined && !staffOrServer)
        throw new SwitchboardError(
          "forbidden",
          "priority is set by staff, the API key or the token's claims, not by the customer",
        );
      const at = now();
      const claims = claimsOf(chatClaimsSchema, identity);
      const customerId = onBehalf ? (input.customerId as string) : identity.user;
      // About an item: it names its team, and the conversation goes there.
      const about = typeof input.subject === "object" ? input.subject : undefined;
      const item = about ? await subjects.resolve(identity, about, customerId) : undefined;
      const row: ChatConversationRow = {
        id: ulid(),
        customer_id: customerId,
        customer_name: onBehalf ? null : (identity.name ?? null),
        subject: typeof input.subject === "string" ? input.subject : (item?.name ?? null),
        team_id: item?.teamId ?? null,
        about_type: about?.type ?? null,
        about_id: about?.id ?? null,
        skills: JSON.stringify(input.skills ?? []),
        priority: priorityNumber(staffOrServer ? input.priority : claims.priority),
        vip: !onBehalf && claims.vip ? 1 : 0,
        customer_value: onBehalf ? 0 : (claims.value ?? 0),
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
        teamId?: string;
        limit: number;
        cursor?: string;
      },
    ) {
      let q = db.selectFrom("chat_conversations").selectAll();
      if (!isStaffOrServer(identity)) q = q.where("customer_id", "=", identity.user);
      else if (query.mine) q = q.where("agent_id", "=", identity.user);
      else if (!isSupervisor(identity)) {
        // Agents see their own conversations and the queue, not other agents' chats: team
        // members the general queue and their teams'; agents in no team (the general pool) the
        // general queue and the teams' it may take now (nobody of the team online, fallback
        // `pool`). The live queues (queue-channels.ts) follow the same rule.
        const mine = await teams.teamsOf(identity.user);
        const visible = mine.length > 0 ? mine : await routing.offeredToPool();
        q = q.where((eb) => {
          const teamsSeen =
            visible.length === 0
              ? eb("team_id", "is", null)
              : eb.or([eb("team_id", "is", null), eb("team_id", "in", visible)]);
          return eb.or([
            eb.and([eb("status", "=", "waiting"), teamsSeen]),
            eb("agent_id", "=", identity.user),
          ]);
        });
      }
      if (query.status) q = q.where("status", "=", query.status);
      if (query.teamId) q = q.where("team_id", "=", query.teamId);
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      return {
        items: rows.map((r) => toConversation(r)),
        ...(nextCursor !== undefined && { nextCursor }),
      };
    },

    /** The item a conversation is about, as it is now (name, price, stock, status). */
    async context(identity: Identity, id: string): Promise<ItemContext> {
      const row = await load(id);
      assertParticipant(identity, row);
      if (row.about_type === null || row.about_id === null)
        throw new SwitchboardError("not_found", "this conversation is not about an item");
      return subjects.resolve(
        { user: row.customer_id, role: "customer" },
        { type: row.about_type as About["type"], id: row.about_id },
        row.customer_id,
      );
    },

    async claim(identity: Identity, id: string): Promise<Conversation> {
      if (!isStaff(identity))
        throw new SwitchboardError("forbidden", "only agents claim conversations");
      const row = await load(id);
      if (!isSupervisor(identity) && !(await routing.mayServe(identity.user, row)))
        throw new SwitchboardError("forbidden", "this conversation is for another team");
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
          expectOne(target, "the target agent is offline or full");
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
          expectOne(moved, "the conversation changed meanwhile");
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
        if (error instanceof ConditionalMiss) throw new SwitchboardError("conflict", error.message);
        throw error;
      }
      deps.unreadChanged?.([from, toAgent]);
      await revokeConversationAccess(deps, id);
      await routing.route();
      return view(await load(id));
    },

    ...createClosing(deps, routing, load, view),
  };
}

export type Conversations = ReturnType<typeof createConversations>;
