import type { Member, PresenceMember } from "@switchboard/protocol";
import type { Logger } from "pino";
import { type RedisKeys, type ScriptedRedis, unavailable } from "./redis-keys.js";
import type { PresenceChange } from "./types.js";

export interface RedisPresenceOptions {
  cmd: ScriptedRedis;
  keys: RedisKeys;
  nodeId: string;
  /** A node whose heartbeat is older than this is dead; its presence is removed. */
  nodeTtlMs: number;
  logger: Logger | undefined;
  /** Tells every node that a member left (their last connection was on a dead node). */
  announceLeave: (channel: string, member: Member) => Promise<void>;
}

/**
 * Presence across nodes: members in a hash per channel, distinct users in another (a count is
 * one HLEN), and each node's connections in a set of its own. Every node beats a heartbeat key;
 * the survivors remove the members of a node whose heartbeat expired (kill -9, a lost host) and
 * announce their `leave`.
 */
export class RedisPresence {
  constructor(private readonly o: RedisPresenceOptions) {}

  /** The keys both presence scripts take: members, distinct users, the node's connections. */
  private scriptKeys(nodeId: string, channel: string): [string, string, string] {
    const { keys } = this.o;
    return [
      keys.channel(channel, "presence"),
      keys.channel(channel, "users"),
      keys.node(nodeId, "conns"),
    ];
  }

  async add(channel: string, connectionId: string, member: Member): Promise<PresenceChange> {
    try {
      const r = await this.o.cmd.sbPresenceAdd(
        ...this.scriptKeys(this.o.nodeId, channel),
        connectionId,
        JSON.stringify(member),
        member.user,
        `${channel}\n${connectionId}`,
      );
      return r === 0 ? { member } : { joined: r === 1, member };
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Removes one connection of `nodeId` (this node's, or a dead one's). */
  async remove(nodeId: string, channel: string, connectionId: string): Promise<PresenceChange> {
    try {
      const r = await this.o.cmd.sbPresenceRemove(
        ...this.scriptKeys(nodeId, channel),
        connectionId,
        `${channel}\n${connectionId}`,
      );
      if (!r) return {};
      return { left: Number(r[1]) === 1, member: JSON.parse(r[0]) as Member };
    } catch (error) {
      throw unavailable(error);
    }
  }

  async members(channel: string): Promise<PresenceMember[]> {
    let values: string[];
    try {
      values = await this.o.cmd.hvals(this.o.keys.channel(channel, "presence"));
    } catch (error) {
      throw unavailable(error);
    }
    const members = new Map<string, PresenceMember>();
    for (const v of values) {
      const member = JSON.parse(v) as Member;
      const m = members.get(member.user);
      if (m) m.connections += 1;
      else members.set(member.user, { ...member, connections: 1 });
    }
    return [...members.values()];
  }

  async count(channel: string): Promise<number> {
    try {
      return await this.o.cmd.hlen(this.o.keys.channel(channel, "users"));
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Says this node is alive for another `nodeTtlMs`. */
  async beat(): Promise<void> {
    const { cmd, keys, nodeId, nodeTtlMs } = this.o;
    if (cmd.status !== "ready") return;
    try {
      await cmd
        .multi()
        .sadd(keys.nodes, nodeId)
        .set(keys.node(nodeId, "alive"), Date.now(), "PX", nodeTtlMs)
        .exec();
    } catch (error) {
      this.o.logger?.warn({ err: error }, "heartbeat failed");
    }
  }

  /** Removes the presence of nodes whose heartbeat expired; one survivor does it (a lock). */
  async reapDeadNodes(): Promise<void> {
    const { cmd, keys, nodeId } = this.o;
    if (cmd.status !== "ready") return;
    try {
      const nodes = await cmd.smembers(keys.nodes);
      for (const node of nodes) {
        if (node === nodeId) continue;
        if (await cmd.exists(keys.node(node, "alive"))) continue;
        const lock = await cmd.set(keys.node(node, "reaping"), nodeId, "PX", 30_000, "NX");
        if (lock !== "OK") continue;
        const removed = await this.removeNode(node);
        await cmd.srem(keys.nodes, node);
        this.o.logger?.info({ deadNode: node, removed }, "removed presence of a dead node");
      }
    } catch (error) {
      this.o.logger?.warn({ err: error }, "reaping dead nodes failed");
    }
  }

  /** This node goes away cleanly: its members leave now rather than when its heartbeat expires. */
  async leave(): Promise<void> {
    const { cmd, keys, nodeId } = this.o;
    if (cmd.status !== "ready") return;
    await this.removeNode(nodeId);
    await cmd.multi().srem(keys.nodes, nodeId).del(keys.node(nodeId, "alive")).exec();
  }

  private async removeNode(node: string): Promise<number> {
    const { cmd, keys } = this.o;
    const entries = await cmd.smembers(keys.node(node, "conns"));
    for (const entry of entries) {
      const split = entry.indexOf("\n");
      const channel = entry.slice(0, split);
      const change = await this.remove(node, channel, entry.slice(split + 1));
      if (change.left && change.member) await this.o.announceLeave(channel, change.member);
    }
    await cmd.del(keys.node(node, "conns"));
    return entries.length;
  }
}
