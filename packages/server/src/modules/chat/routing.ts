import { SwitchboardError } from "../../errors.js";
import { now } from "../../platform/kit/actor.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import type { OutboxMessage } from "../../store/outbox.js";
import {
  CHAT_EVENTS,
  type ChatConversationAssigned,
  conversationChannel,
  STAFF_CHAT_CHANNEL,
} from "./contract.js";
import type { ChatDeps } from "./deps.js";
import { parseJson, priorityName, toAgent } from "./mapping.js";
import type { ChatAgentRow, ChatConversationRow } from "./migrations.js";
import { splitQueue } from "./queue-channels.js";
import type { Teams } from "./teams.js";

const PRIORITY_WEIGHT = [0, 100, 300, 1000];

/**
 * How urgent a waiting conversation is: priority, then a VIP claim, then time waited
 * (one point per 6 s, up to 10 min), then the customer's value (log scale).
 * Skills are not scored: they decide which agents may take it at all.
 */
export function queueScore(
  c: Pick<ChatConversationRow, "priority" | "vip" | "queued_at" | "customer_value">,
  at = Date.now(),
): number {
  const waitedS = Math.max(0, (at - Date.parse(c.queued_at)) / 1000);
  return (
    (PRIORITY_WEIGHT[c.priority] ?? 100) +
    (c.vip ? 500 : 0) +
    Math.min(waitedS, 3600) / 6 +
    Math.log10(1 + Math.max(0, c.customer_value)) * 50
  );
}

/** Highest score first; the older conversation wins a tie. */
export function orderQueue<
  T extends Pick<ChatConversationRow, "priority" | "vip" | "queued_at" | "customer_value" | "id">,
>(rows: T[], at = Date.now()): T[] {
  return [...rows].sort(
    (a, b) =>
      queueScore(b, at) - queueScore(a, at) ||
      a.queued_at.localeCompare(b.queued_at) ||
      a.id.localeCompare(b.id),
  );
}

function canServe(agent: ChatAgentRow, conversation: ChatConversationRow): boolean {
  const skills = new Set(parseJson<string[]>(agent.skills, []));
  return parseJson<string[]>(conversation.skills, []).every((s) => skills.has(s));
}

/** Who belongs to which teams (user → team ids), read once per routing pass. */
export type Memberships = Map<string, Set<string>>;

/**
 * Whether an agent may take a conversation by team: one about an item goes to the item's team;
 * when none of that team is online and the fallback is `pool`, to agents in no team (the general
 * pool). A conversation with no team goes to anyone.
 */
export function servesTeam(
  agentId: string,
  conversation: Pick<ChatConversationRow, "team_id">,
  memberships: Memberships,
  teamOnline: boolean,
  fallback: "pool" | "wait",
): boolean {
  const team = conversation.team_id;
  if (team === null) return true;
  const mine = memberships.get(agentId);
  if (mine?.has(team)) return true;
  return fallback === "pool" && !teamOnline && (mine === undefined || mine.size === 0);
}

/** Teams with at least one member online. */
export function teamsOnline(agents: ChatAgentRow[], memberships: Memberships): Set<string> {
  const online = new Set<string>();
  for (const a of agents) {
    if (a.status !== "online") continue;
    for (const t of memberships.get(a.user_id) ?? []) online.add(t);
  }
  return online;
}

/** Least loaded relative to capacity; then whoever got a conversation longest ago. */
function pickAgent(
  agents: ChatAgentRow[],
  conversation: ChatConversationRow,
  eligible: (agent: ChatAgentRow) => boolean = () => true,
): ChatAgentRow | undefined {
  return agents
    .filter((a) => a.active_count < a.capacity && canServe(a, conversation) && eligible(a))
    .sort(
      (a, b) =>
        a.active_count / a.capacity - b.active_count / b.capacity ||
        (a.last_assigned_at ?? "").localeCompare(b.last_assigned_at ?? "") ||
        a.user_id.localeCompare(b.user_id),
    )[0];
}

export function createRouting(deps: ChatDeps, teams: Teams) {
  const { db, outbox, logger } = deps;
  const fallback = deps.config.chat.teamFallback;
  const { queueUpdateMs } = deps.config.chat;
  let chain: Promise<unknown> = Promise.resolve();
  /** What each live queue channel last carried from this node (ids, and loads on staff:chat). */
  const lastSignatures = new Map<string, string>();
  /** The whole queue's order this node last told the waiting customers. */
  let lastOrder = "";
  let queuePending = false;
  let queueRunning = false;
  let lastQueueAt = 0;
  let queueTimer: NodeJS.Timeout | undefined;

  /**
   * Gives one conversation to one agent, or throws ConditionalMiss/SwitchboardError. Both rows change by
   * conditional updates in one transaction: never above capacity, never two agents for one
   * conversation, on any number of nodes.
   */
  async function assign(
    conversationId: string,
    agentId: string,
    how: "auto" | "claim",
    agentStatuses: string[],
  ): Promise<void> {
    const at = now();
    const ids = await db.transaction().execute(async (trx) => {
      const agent = await trx
        .updateTable("chat_agents")
        .set((eb) => ({
          active_count: eb("active_count", "+", 1),
          last_assigned_at: at,
          updated_at: at,
        }))
        .where("user_id", "=", agentId)
        .where("status", "in", agentStatuses as ("online" | "busy")[])
        .where((eb) => eb("active_count", "<", eb.ref("capacity")))
        .executeTakeFirst();
      expectOne(agent, "agent has no free capacity");
      const conversation = await trx
        .updateTable("chat_conversations")
        .set((eb) => ({
          status: "active",
          agent_id: agentId,
          assigned_at: at,
          updated_at: at,
          version: eb("version", "+", 1),
        }))
        .where("id", "=", conversationId)
        .where("status", "=", "waiting")
        .executeTakeFirst();
      expectOne(conversation, "conversation is no longer waiting");
      const taken = await trx
        .selectFrom("chat_conversations")
        .select(["queued_at", "customer_id"])
        .where("id", "=", conversationId)
        .executeTakeFirstOrThrow();
      // durable, in the assignment's commit: metrics counts queue waits from it
      await deps.events.emit(trx, {
        type: CHAT_EVENTS.conversationAssigned,
        aggregate: conversationChannel(conversationId),
        payload: {
          conversationId,
          customerId: taken.customer_id,
          agentId,
          how,
          waitedMs: Math.max(0, Date.parse(at) - Date.parse(taken.queued_at)),
          at,
        } satisfies ChatConversationAssigned,
      });
      const row = await trx
        .selectFrom("chat_agents")
        .select("name")
        .where("user_id", "=", agentId)
        .executeTakeFirstOrThrow();
      const messages: OutboxMessage[] = [
        {
          channel: conversationChannel(conversationId),
          event: "assigned",
          data: { conversationId, agentId, agentName: row.name ?? agentId, how, at },
          key: `chat:${conversationId}:assigned:${agentId}:${at}`,
        },
      ];
      return outbox.enqueue(trx, messages);
    });
    await outbox.flush(ids);
    deps.unreadChanged?.([agentId]);
  }

  async function loadQueue() {
    const waiting = await db
      .selectFrom("chat_conversations")
      .selectAll()
      .where("status", "=", "waiting")
      .orderBy("queued_at")
      .limit(1000)
      .execute();
    return orderQueue(waiting);
  }

  /**
   * Tells every waiting customer their place, and staff the queue and loads — when anything
   * changed. Coalesced: at most one round per `queueUpdateMs` on a node, and the changes that
   * arrive meanwhile go out together in one round after it (every open used to cost a round
   * to every waiting conversation).
   */
  function publishQueue(): Promise<void> {
    queuePending = true;
    if (queueRunning || queueTimer) return Promise.resolve();
    const wait = lastQueueAt + queueUpdateMs - Date.now();
    if (wait > 0) {
      scheduleQueue(wait);
      return Promise.resolve();
    }
    return runQueue();
  }

  function scheduleQueue(wait: number): void {
    if (queueTimer) return;
    queueTimer = setTimeout(() => {
      queueTimer = undefined;
      if (queuePending && !queueRunning) void runQueue();
    }, wait);
    queueTimer.unref();
  }

  async function runQueue(): Promise<void> {
    queueRunning = true;
    queuePending = false;
    lastQueueAt = Date.now();
    try {
      await publishQueueNow();
    } catch (err) {
      logger.warn({ err }, "queue not published");
    } finally {
      queueRunning = false;
      if (queuePending) scheduleQueue(Math.max(0, lastQueueAt + queueUpdateMs - Date.now()));
    }
  }

  /**
   * Each live queue gets only its own conversations (splitQueue): the general one on staff:chat
   * with the agents' loads, each team's on its team channel, the teams' offered to the pool on
   * the pool channel. A channel is published when its list changed (an emptied one gets `[]`).
   */
  async function publishQueueNow(): Promise<void> {
    const queue = await loadQueue();
    const agents = await db
      .selectFrom("chat_agents")
      .selectAll()
      .where("status", "!=", "offline")
      .execute();
    const memberships = await teams.memberships();
    const online = teamsOnline(
      agents.filter((a) => a.status === "online"),
      memberships,
    );
    const channels = splitQueue(queue, online, fallback);
    // a channel published before and empty now must hear that it emptied
    for (const channel of lastSignatures.keys())
      if (!channels.has(channel)) channels.set(channel, []);
    const signature = (channel: string, rows: ChatConversationRow[]) =>
      JSON.stringify([
        rows.map((c) => c.id),
        channel === STAFF_CHAT_CHANNEL
          ? agents.map((a) => [a.user_id, a.status, a.active_count, a.capacity])
          : [],
      ]);
    const changed = [...channels].filter(
      ([ch, rows]) => lastSignatures.get(ch) !== signature(ch, rows),
    );
    const order = JSON.stringify(queue.map((c) => c.id));
    const moved = order !== lastOrder;
    if (changed.length === 0 && !moved) return;
    lastOrder = order;
    for (const [ch, rows] of changed) lastSignatures.set(ch, signature(ch, rows));
    const at = Date.now();
    const entry = (c: ChatConversationRow) => ({
      id: c.id,
      subject: c.subject ?? undefined,
      teamId: c.team_id ?? undefined,
      priority: priorityName(c.priority),
      vip: c.vip === 1,
      skills: parseJson<string[]>(c.skills, []),
      waitedMs: at - Date.parse(c.queued_at),
      score: Math.round(queueScore(c, at)),
    });
    // every waiting customer hears their place whenever anything moved (as before the split)
    await Promise.all(
      queue.map((c, i) =>
        deps
          .publish(conversationChannel(c.id), "queue", { position: i + 1, waiting: queue.length })
          .catch((err) => logger.warn({ err }, "queue position not published")),
      ),
    );
    await Promise.all(
      changed.map(([channel, rows]) =>
        deps
          .publish(
            channel,
            "queue",
            channel === STAFF_CHAT_CHANNEL
              ? { waiting: rows.map(entry), total: queue.length, agents: agents.map(toAgent) }
              : { waiting: rows.map(entry) },
          )
          .catch((err) => {
            lastSignatures.delete(channel); // try again next round
            logger.warn({ err, channel }, "staff queue not published");
          }),
      ),
    );
  }

  /** One routing pass: best conversation to best agent, until no pair fits. */
  async function routeOnce(): Promise<number> {
    let assigned = 0;
    for (let pass = 0; pass < 10; pass++) {
      const queue = await loadQueue();
      if (queue.length === 0) break;
      const agents = await db
        .selectFrom("chat_agents")
        .selectAll()
        .where("status", "=", "online")
        .execute();
      const memberships = await teams.memberships();
      const online = teamsOnline(agents, memberships);
      let moved = false;
      for (const conversation of queue) {
        const teamOnline = conversation.team_id !== null && online.has(conversation.team_id);
        const agent = pickAgent(agents, conversation, (a) =>
          servesTeam(a.user_id, conversation, memberships, teamOnline, fallback),
        );
        if (!agent) continue;
        try {
          await assign(conversation.id, agent.user_id, "auto", ["online"]);
          agent.active_count += 1;
          agent.last_assigned_at = now();
          assigned++;
        } catch (error) {
          if (!(error instanceof ConditionalMiss)) throw error;
          moved = true; // another node or request got there first: read the state again
          break;
        }
      }
      if (!moved) break;
    }
    return assigned;
  }

  return {
    assign,
    publishQueue,
    loadQueue,
    /** Routes now; passes on one node run one at a time (across nodes, the updates keep it right). */
    route(): Promise<number> {
      const run = chain.then(async () => {
        const assigned = await routeOnce();
        await publishQueue();
        return assigned;
      });
      chain = run.catch((err) => logger.error({ err }, "routing failed"));
      return run;
    },
    /**
     * Whether an agent may see and take a conversation by team (the routing rule, read now):
     * supervisors check this separately.
     */
    async mayServe(agentId: string, conversation: ChatConversationRow): Promise<boolean> {
      if (conversation.team_id === null) return true;
      const memberships = await teams.memberships();
      const agents = await db
        .selectFrom("chat_agents")
        .selectAll()
        .where("status", "=", "online")
        .execute();
      const teamOnline = teamsOnline(agents, memberships).has(conversation.team_id);
      return servesTeam(agentId, conversation, memberships, teamOnline, fallback);
    },
    /**
     * The teams whose conversations the general pool may take now (fallback `pool` and nobody
     * of the team online): what agents in no team see of teams' queues.
     */
    async offeredToPool(): Promise<string[]> {
      if (fallback !== "pool") return [];
      const memberships = await teams.memberships();
      const agents = await db
        .selectFrom("chat_agents")
        .selectAll()
        .where("status", "=", "online")
        .execute();
      const online = teamsOnline(agents, memberships);
      const rows = await db
        .selectFrom("chat_conversations")
        .select("team_id")
        .distinct()
        .where("status", "=", "waiting")
        .where("team_id", "is not", null)
        .execute();
      return rows.flatMap((r) => (r.team_id !== null && !online.has(r.team_id) ? [r.team_id] : []));
    },
    /** An agent takes a waiting conversation themselves; of two racing agents one wins. */
    async claim(agentId: string, conversationId: string): Promise<void> {
      try {
        await assign(conversationId, agentId, "claim", ["online", "busy"]);
      } catch (error) {
        if (error instanceof ConditionalMiss) throw new SwitchboardError("conflict", error.message);
        throw error;
      }
    },
  };
}

export type Routing = ReturnType<typeof createRouting>;
