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
  /** Tells every node that a member is back (this node put its presence back after a reap). */
  announceJoin: (channel: string, member: Member) => Promise<void>;
}

/**
 * Presence across nodes: members in a hash per channel, distinct users in another (a count is
 * one HLEN), and each node's connections in a set of its own. Every node beats a heartbeat key;
 * the survivors remove the members of a node whose heartbeat expired (kill -9, a lost host) and
 * announce their `leave`.
 *
 * Each node also keeps what Redis should hold for it (`local`: its live connections' entries),
 * and makes Redis agree again (`reconcile`) whenever the two may have drifted: a presence write
 * that failed (a removal during an outage would leave a ghost member for the node's life), a
 * heartbeat gap of a TTL or more, or finding itself gone from the node set (a survivor reaped it
 * while its link was cut: its members would stay absent with their sockets open).
 */
export class RedisPresence {
  /** `${channel}\n${connectionId}` → member, for this node's present connections. */
  private readonly local = new Map<string, Member>();
  private dirty = false;
  private lastBeatAt = Date.now();
  private reconciling: Promise<void> | undefined;

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
    const entry = `${channel}\n${connectionId}`;
    this.local.set(entry, member);
    try {
      return await this.addEntry(entry, member);
    } catch (error) {
      // The caller treats the subscribe as failed; whether Redis stored it is unknown.
      if (this.local.get(entry) === member) this.local.delete(entry);
      this.dirty = true;
      throw unavailable(error);
    }
  }

  private async addEntry(entry: string, member: Member): Promise<PresenceChange> {
    const split = entry.indexOf("\n");
    const r = await this.o.cmd.sbPresenceAdd(
      ...this.scriptKeys(this.o.nodeId, entry.slice(0, split)),
      entry.slice(split + 1),
      JSON.stringify(member),
      member.user,
      entry,
    );
    return r === 0 ? { member } : { joined: r === 1, member };
  }

  /** Removes one connection of `nodeId` (this node's, or a dead one's). */
  async remove(nodeId: string, channel: string, connectionId: string): Promise<PresenceChange> {
    const entry = `${channel}\n${connectionId}`;
    const own = nodeId === this.o.nodeId;
    if (own) this.local.delete(entry);
    try {
      return await this.removeEntry(nodeId, entry);
    } catch (error) {
      // Left in Redis for now: the reconcile after the outage removes it (and announces `leave`).
      if (own) this.dirty = true;
      throw unavailable(error);
    }
  }

  private async removeEntry(nodeId: string, entry: string): Promise<PresenceChange> {
    const split = entry.indexOf("\n");
    const r = await this.o.cmd.sbPresenceRemove(
      ...this.scriptKeys(nodeId, entry.slice(0, split)),
      entry.slice(split + 1),
      entry,
    );
    if (!r) return {};
    return { left: Number(r[1]) === 1, member: JSON.parse(r[0]) as Member };
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

  /**
   * Says this node is alive for another `nodeTtlMs`, and puts Redis right about this node's
   * presence when it may have drifted (see the class comment).
   */
  async beat(): Promise<void> {
    const { cmd, keys, nodeId, nodeTtlMs } = this.o;
    if (cmd.status !== "ready") {
      this.dirty = true;
      return;
    }
    try {
      const replies = await cmd
        .multi()
        .sadd(keys.nodes, nodeId)
        .set(keys.node(nodeId, "alive"), Date.now(), "PX", nodeTtlMs)
        .exec();
      const now = Date.now();
      const missing = Number(replies?.[0]?.[1] ?? 0) === 1;
      if (missing || now - this.lastBeatAt >= nodeTtlMs) this.dirty = true;
      this.lastBeatAt = now;
    } catch (error) {
      this.dirty = true;
      this.o.logger?.warn({ err: error }, "heartbeat failed");
      return;
    }
    if (this.dirty) await this.reconcile();
  }

  /**
   * Makes this node's presence in Redis what its live connections say: entries Redis has but no
   * connection holds are removed (`leave`), connections Redis lost are added back (`join`).
   * Each step re-checks `local` right before it is sent: a subscribe or close racing with the
   * reconcile is sent after it on the same connection, so it wins.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.runReconcile().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async runReconcile(): Promise<void> {
    const { cmd, keys, nodeId } = this.o;
    this.dirty = false;
    try {
      const stored = new Set(await cmd.smembers(keys.node(nodeId, "conns")));
      let removed = 0;
      let added = 0;
      const ghosts = [...stored].filter((entry) => !this.local.has(entry));
      for (let i = 0; i < ghosts.length; i += 500) {
        await Promise.all(
          ghosts.slice(i, i + 500).map(async (entry) => {
            if (this.local.has(entry)) return; // subscribed again meanwhile
            const change = await this.removeEntry(nodeId, entry);
            removed++;
            if (change.left && change.member)
              await this.o.announceLeave(entry.slice(0, entry.indexOf("\n")), change.member);
          }),
        );
      }
      const lost = [...this.local.keys()].filter((entry) => !stored.has(entry));
      for (let i = 0; i < lost.length; i += 500) {
        await Promise.all(
          lost.slice(i, i + 500).map(async (entry) => {
            const member = this.local.get(entry);
            if (!member) return; // closed meanwhile
            const change = await this.addEntry(entry, member);
            if (change.joined !== undefined) added++;
            if (change.joined)
              await this.o.announceJoin(entry.slice(0, entry.indexOf("\n")), member);
          }),
        );
      }
      if (removed || added)
        this.o.logger?.info({ removed, added }, "presence reconciled with live connections");
    } catch (error) {
      this.dirty = true;
      this.o.logger?.warn({ err: error }, "presence reconcile failed; will retry");
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
      if (node === this.o.nodeId) this.local.delete(entry);
      const change = await this.removeEntry(node, entry);
      if (change.left && change.member)
        await this.o.announceLeave(entry.slice(0, entry.indexOf("\n")), change.member);
    }
    await cmd.del(keys.node(node, "conns"));
    return entries.length;
  }
}
