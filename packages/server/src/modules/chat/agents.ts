import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import { type Agent, STAFF_CHAT_CHANNEL } from "./contract.js";
import type { Conversations } from "./conversations.js";
import type { ChatDeps } from "./deps.js";
import { toAgent } from "./mapping.js";
import type { Routing } from "./routing.js";
import type { AgentInput } from "./schema.js";

const DEFAULT_CAPACITY = 3;

export function createAgents(deps: ChatDeps, routing: Routing, conversations: Conversations) {
  const { db } = deps;

  return {
    async set(identity: Identity, input: AgentInput): Promise<Agent> {
      if (!isStaff(identity) || identity.server)
        throw new SwitchboardError("forbidden", "only agents and admins have an agent status");
      const at = now();
      const existing = await db
        .selectFrom("chat_agents")
        .selectAll()
        .where("user_id", "=", identity.user)
        .executeTakeFirst();
      const values = {
        name: input.name ?? identity.name ?? existing?.name ?? null,
        status: input.status,
        skills: JSON.stringify(input.skills ?? (existing ? JSON.parse(existing.skills) : [])),
        capacity: input.capacity ?? existing?.capacity ?? DEFAULT_CAPACITY,
        last_seen_at: at,
        updated_at: at,
      };
      await db
        .insertInto("chat_agents")
        .values({ user_id: identity.user, active_count: 0, last_assigned_at: null, ...values })
        .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
        .execute();
      if (input.status === "offline") await conversations.requeueAgent(identity.user, "offline");
      await routing.route();
      const row = await db
        .selectFrom("chat_agents")
        .selectAll()
        .where("user_id", "=", identity.user)
        .executeTakeFirstOrThrow();
      return toAgent(row);
    },

    async get(identity: Identity): Promise<Agent> {
      const row = await db
        .selectFrom("chat_agents")
        .selectAll()
        .where("user_id", "=", identity.user)
        .executeTakeFirst();
      if (!row)
        throw new SwitchboardError(
          "not_found",
          "no agent status yet: PUT /api/chat/agents/me first",
        );
      return toAgent(row);
    },

    async list(identity: Identity): Promise<Agent[]> {
      if (!isStaffOrServer(identity)) throw new SwitchboardError("forbidden", "staff only");
      return (await db.selectFrom("chat_agents").selectAll().orderBy("user_id").execute()).map(
        toAgent,
      );
    },

    /**
     * Agents are "connected" while they have a socket subscribed to staff:chat (presence, which
     * spans every node). One whose sockets are all gone past the grace period is set offline and
     * their conversations go back to the queue.
     */
    async sweepPresence(): Promise<number> {
      const present = new Set((await deps.broker.presence(STAFF_CHAT_CHANNEL)).map((m) => m.user));
      const at = now();
      if (present.size) {
        await db
          .updateTable("chat_agents")
          .set({ last_seen_at: at })
          .where("user_id", "in", [...present])
          .where("status", "!=", "offline")
          .execute();
      }
      const cutoff = new Date(Date.now() - deps.config.chat.agentGraceMs).toISOString();
      const gone = await db
        .selectFrom("chat_agents")
        .select("user_id")
        .where("status", "!=", "offline")
        .where("last_seen_at", "<", cutoff)
        .execute();
      let requeued = 0;
      for (const { user_id } of gone) {
        if (present.has(user_id)) continue;
        const r = await db
          .updateTable("chat_agents")
          .set({ status: "offline", updated_at: at })
          .where("user_id", "=", user_id)
          .where("status", "!=", "offline")
          .where("last_seen_at", "<", cutoff)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1)
          requeued += await conversations.requeueAgent(user_id, "disconnected");
      }
      return requeued;
    },
  };
}

export type Agents = ReturnType<typeof createAgents>;
