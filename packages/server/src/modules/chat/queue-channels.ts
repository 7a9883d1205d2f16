import { type Identity, isStaff } from "../../auth/identity.js";

import type { ChannelPolicy, NamespaceDeclaration } from "../../gateway/namespaces.js";
import { isSupervisor } from "./access.js";
import {
  CHAT_QUEUE_NAMESPACE,
  POOL_QUEUE_CHANNEL,
  STAFF_CHAT_CHANNEL,
  teamQueueChannel,
} from "./contract.js";
import type { ChatDeps } from "./deps.js";

const HOUR = 60 * 60 * 1000;

/**
 * chat-queue:team:{teamId} and chat-queue:pool. The server alone publishes; the policy (set in
 * register, it reads memberships) decides who reads. Not under the core `staff:` namespace: its
 * policy lets every agent read every staff channel, and a team's queue is only its team's.
 */
export const chatQueueNamespace: NamespaceDeclaration = {
  name: CHAT_QUEUE_NAMESPACE,
  history: { size: 20, ttlMs: HOUR },
  presence: false,
  joinLeave: false,
  clientPublish: false,
  recoverable: true,
  signals: [],
};

/**
 * Who reads a queue channel: a team's members and admins its team channel; agents in no team
 * (the pool) and admins the pool channel. Nobody publishes (the server needs no policy).
 */
export function queueChannelPolicy(teamsOf: (user: string) => Promise<string[]>): ChannelPolicy {
  return async ({ identity, rest, action }) => {
    if (action !== "subscribe" && action !== "history") return false;
    return mayReadQueue(identity, rest, teamsOf);
  };
}

async function mayReadQueue(
  identity: Identity,
  rest: string,
  teamsOf: (user: string) => Promise<string[]>,
): Promise<boolean> {
  if (isSupervisor(identity)) return true;
  if (!isStaff(identity)) return false;
  const mine = await teamsOf(identity.user);
  if (rest === "pool") return mine.length === 0;
  return rest.startsWith("team:") && mine.includes(rest.slice("team:".length));
}

/** Rows as routing reads them: only what decides the channel. */
interface Queued {
  team_id: string | null;
}

/**
 * Which live queue each waiting conversation goes to, in queue order: no team → staff:chat (every
 * agent); a team → its team's channel, and also the pool channel while nobody of the team is
 * online and the fallback is `pool` (the agents who may then take it).
 */
export function splitQueue<T extends Queued>(
  queue: T[],
  teamsOnline: Set<string>,
  fallback: "pool" | "wait",
): Map<string, T[]> {
  const channels = new Map<string, T[]>([[STAFF_CHAT_CHANNEL, []]]);
  const add = (channel: string, row: T) => {
    const list = channels.get(channel) ?? [];
    list.push(row);
    channels.set(channel, list);
  };
  for (const row of queue) {
    if (row.team_id === null) {
      add(STAFF_CHAT_CHANNEL, row);
      continue;
    }
    add(teamQueueChannel(row.team_id), row);
    if (fallback === "pool" && !teamsOnline.has(row.team_id)) add(POOL_QUEUE_CHANNEL, row);
  }
  return channels;
}

/**
 * Tells every node that who may read a team's queue changed (members added or removed, the team
 * deleted): each re-checks its subscribers of the team channel and of the pool channel (a new
 * member leaves the pool) and drops those who lost access.
 */
export async function revokeQueueAccess(deps: ChatDeps, teamId: string): Promise<void> {
  for (const channel of [teamQueueChannel(teamId), POOL_QUEUE_CHANNEL]) {
    try {
      await deps.broker.broadcast({ kind: "revoke", channel });
    } catch (err) {
      deps.logger.warn({ err, channel }, "could not announce the queue access change");
    }
  }
}
