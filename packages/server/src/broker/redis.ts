import type { Member, PresenceMember, Publication, StreamPosition } from "@switchboard/protocol";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { SwitchboardError } from "../errors.js";
import { ulid } from "../ids.js";
import { selectHistory } from "./history.js";
import { newEpoch } from "./memory.js";
import { PRESENCE_ADD, PRESENCE_REMOVE, PUBLISH, READ_STREAM } from "./redis-scripts.js";
import {
  type Broker,
  type BrokerEvent,
  type BrokerEventHandler,
  type HistoryOptions,
  type HistoryQuery,
  type HistoryResult,
  IDEMPOTENCY_TTL_MS,
  type PresenceChange,
  type PublishInput,
  type PublishResult,
} from "./types.js";

export interface RedisBrokerOptions {
  url: string;
  /** Prefix of every key and pub/sub channel (several apps, or tests, can share one Redis). */
  prefix?: string;
  nodeId?: string;
  logger?: Logger;
  /** A node whose heartbeat is older than this is dead; its presence is removed. */
  nodeTtlMs?: number;
  /** A stream with no publish for this long is forgotten (its epoch with it). */
  streamMetaTtlMs?: number;
}

interface Scripts {
  sbPublish(...args: (string | number)[]): Promise<[string, number, number]>;
  sbReadStream(...args: (string | number)[]): Promise<[string, number, string, string[]?]>;
  sbPresenceAdd(...args: (string | number)[]): Promise<number>;
  sbPresenceRemove(...args: (string | number)[]): Promise<[string, number] | null>;
}

type ScriptedRedis = Redis & Scripts;

function unavailable(error: unknown): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  return new SwitchboardError("unavailable", "broker (Redis) unavailable; retry", {
    details: { reason: error instanceof Error ? error.message : String(error) },
  });
}

/**
 * The broker for many nodes: offsets, history and idempotency keys live in Redis (atomic Lua),
 * fan-out rides Redis pub/sub, presence lives in hashes with per-node heartbeats so a dead
 * node's members are removed by the survivors.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  private readonly cmd: ScriptedRedis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly nodeTtlMs: number;
  private readonly metaTtlMs: number;
  private readonly logger: Logger | undefined;
  private readonly channels = new Set<string>();
  private handler: BrokerEventHandler = () => {};
  private readonly heartbeat: NodeJS.Timeout;
  private subscriberWasReady = false;
  private closed = false;

  private constructor(options: RedisBrokerOptions) {
    this.nodeId = options.nodeId ?? `node-${ulid()}`;
    this.prefix = options.prefix ?? "sb:";
    this.nodeTtlMs = options.nodeTtlMs ?? 10_000;
    this.metaTtlMs = options.streamMetaTtlMs ?? 24 * 60 * 60 * 1000;
    this.logger = options.logger?.child({ component: "redis-broker", node: this.nodeId });
    const common = {
      // Fail fast while Redis is away: a publish must error, never wait in a queue and vanish.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
    };
    this.cmd = new Redis(options.url, common) as ScriptedRedis;
    this.cmd.defineCommand("sbPublish", { numberOfKeys: 3, lua: PUBLISH });
    this.cmd.defineCommand("sbReadStream", { numberOfKeys: 2, lua: READ_STREAM });
    this.cmd.defineCommand("sbPresenceAdd", { numberOfKeys: 3, lua: PRESENCE_ADD });
    this.cmd.defineCommand("sbPresenceRemove", { numberOfKeys: 3, lua: PRESENCE_REMOVE });
    // The subscriber queues SUBSCRIBEs while reconnecting and re-subscribes by itself afterwards.
    this.sub = new Redis(options.url, {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    this.cmd.on("error", (err) =>
      this.logger?.warn({ err: err.message }, "redis command connection error"),
    );
    this.sub.on("error", (err) =>
      this.logger?.warn({ err: err.message }, "redis subscriber connection error"),
    );
    this.sub.on("message", (_channel: string, message: string) => this.onMessage(message));
    this.sub.on("ready", () => {
      // After a reconnect, pub/sub may have dropped messages: ask the gateway to check every channel.
      if (this.subscriberWasReady)
        for (const channel of this.channels) this.handler({ kind: "resync", channel });
      this.subscriberWasReady = true;
    });
    this.cmd.on("ready", () => {
      void this.beat();
    });
    this.heartbeat = setInterval(
      () => {
        void this.beat().then(() => this.reapDeadNodes());
      },
      Math.max(500, Math.floor(this.nodeTtlMs / 3)),
    );
    this.heartbeat.unref();
  }

  /**
   * Creates a broker and waits (up to `waitMs`) for both Redis connections. A Redis that is not
   * there yet is not fatal: the node starts not ready and becomes ready when Redis answers.
   */
  static async connect(options: RedisBrokerOptions, waitMs = 5000): Promise<RedisBroker> {
    const broker = new RedisBroker(options);
    const deadline = Date.now() + waitMs;
    while (
      !(broker.cmd.status === "ready" && broker.sub.status === "ready") &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (broker.cmd.status !== "ready")
      broker.logger?.warn("Redis not reachable yet; node is not ready");
    else await broker.beat();
    return broker;
  }

  // ---- keys ----
  private key(channel: string, part: string): string {
    return `${this.prefix}{${channel}}:${part}`;
  }
  private pubsub(channel: string): string {
    return `${this.prefix}pub:${channel}`;
  }
  private nodeKey(nodeId: string, part: string): string {
    return `${this.prefix}node:${nodeId}:${part}`;
  }
  private get nodesKey(): string {
    return `${this.prefix}nodes`;
  }

  onEvent(handler: BrokerEventHandler): void {
    this.handler = handler;
  }

  private onMessage(message: string): void {
    let event: BrokerEvent;
    try {
      event = JSON.parse(message) as BrokerEvent;
    } catch {
      this.logger?.error("unparseable pub/sub message");
      return;
    }
    if (this.channels.has(event.channel)) this.handler(event);
  }

  async subscribe(channel: string): Promise<void> {
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    try {
      await this.sub.subscribe(this.pubsub(channel));
    } catch (error) {
      this.channels.delete(channel);
      throw unavailable(error);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.channels.delete(channel)) return;
    try {
      await this.sub.unsubscribe(this.pubsub(channel));
    } catch (error) {
      this.logger?.warn({ err: error, channel }, "unsubscribe failed");
    }
  }

  async publish(channel: string, input: PublishInput): Promise<PublishResult> {
    this.assertOpen();
    try {
      const [epoch, offset, duplicate] = await this.cmd.sbPublish(
        this.key(channel, "meta"),
        this.key(channel, "hist"),
        this.key(channel, `idem:${input.key ?? ""}`),
        JSON.stringify(input.event),
        JSON.stringify(input.data ?? null),
        input.from ? JSON.stringify(input.from) : "",
        input.history.size,
        Math.max(1, input.history.ttlMs),
        this.metaTtlMs,
        newEpoch(),
        IDEMPOTENCY_TTL_MS,
        this.pubsub(channel),
        JSON.stringify(channel),
        input.key !== undefined ? "1" : "0",
      );
      return { epoch, offset: Number(offset), duplicate: duplicate === 1 };
    } catch (error) {
      throw unavailable(error);
    }
  }

  async broadcast(event: Exclude<BrokerEvent, { kind: "publication" | "resync" }>): Promise<void> {
    this.assertOpen();
    try {
      await this.cmd.publish(this.pubsub(event.channel), JSON.stringify(event));
    } catch (error) {
      throw unavailable(error);
    }
  }

  private async readStream(channel: string, withHistory: boolean) {
    try {
      return await this.cmd.sbReadStream(
        this.key(channel, "meta"),
        this.key(channel, "hist"),
        newEpoch(),
        this.metaTtlMs,
        withHistory ? "1" : "0",
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async position(channel: string): Promise<StreamPosition> {
    const [epoch, offset] = await this.readStream(channel, false);
    return { epoch, offset: Number(offset) };
  }

  async history(
    channel: string,
    query: HistoryQuery,
    options: HistoryOptions,
  ): Promise<HistoryResult> {
    const [epoch, offset, now, entries = []] = await this.readStream(channel, true);
    const minTs = Number(now) - options.ttlMs;
    const retained: Publication[] = [];
    for (const entry of entries.slice(-Math.max(options.size, 0) || entries.length)) {
      const p = JSON.parse(entry) as Publication;
      if (p.ts >= minTs) retained.push(p);
    }
    if (options.size === 0) retained.length = 0;
    return selectHistory({ epoch, offset: Number(offset) }, retained, query);
  }

  // ---- presence ----

  async presenceAdd(
    channel: string,
    connectionId: string,
    member: Member,
  ): Promise<PresenceChange> {
    this.assertOpen();
    try {
      const r = await this.cmd.sbPresenceAdd(
        this.key(channel, "presence"),
        this.key(channel, "users"),
        this.nodeKey(this.nodeId, "conns"),
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

  async presenceRemove(channel: string, connectionId: string): Promise<PresenceChange> {
    return this.removePresence(this.nodeId, channel, connectionId);
  }

  private async removePresence(
    nodeId: string,
    channel: string,
    connectionId: string,
  ): Promise<PresenceChange> {
    try {
      const r = await this.cmd.sbPresenceRemove(
        this.key(channel, "presence"),
        this.key(channel, "users"),
        this.nodeKey(nodeId, "conns"),
        connectionId,
        `${channel}\n${connectionId}`,
      );
      if (!r) return {};
      return { left: Number(r[1]) === 1, member: JSON.parse(r[0]) as Member };
    } catch (error) {
      throw unavailable(error);
    }
  }

  async presence(channel: string): Promise<PresenceMember[]> {
    let values: string[];
    try {
      values = await this.cmd.hvals(this.key(channel, "presence"));
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

  async presenceCount(channel: string): Promise<number> {
    try {
      return await this.cmd.hlen(this.key(channel, "users"));
    } catch (error) {
      throw unavailable(error);
    }
  }

  // ---- node liveness ----

  private async beat(): Promise<void> {
    if (this.closed || this.cmd.status !== "ready") return;
    try {
      await this.cmd
        .multi()
        .sadd(this.nodesKey, this.nodeId)
        .set(this.nodeKey(this.nodeId, "alive"), Date.now(), "PX", this.nodeTtlMs)
        .exec();
    } catch (error) {
      this.logger?.warn({ err: error }, "heartbeat failed");
    }
  }

  /** Removes the presence of nodes whose heartbeat expired (kill -9, lost host); one survivor does it. */
  private async reapDeadNodes(): Promise<void> {
    if (this.closed || this.cmd.status !== "ready") return;
    try {
      const nodes = await this.cmd.smembers(this.nodesKey);
      for (const node of nodes) {
        if (node === this.nodeId) continue;
        if (await this.cmd.exists(this.nodeKey(node, "alive"))) continue;
        const lock = await this.cmd.set(
          this.nodeKey(node, "reaping"),
          this.nodeId,
          "PX",
          30_000,
          "NX",
        );
        if (lock !== "OK") continue;
        const removed = await this.removeNodePresence(node);
        await this.cmd.srem(this.nodesKey, node);
        this.logger?.info({ deadNode: node, removed }, "removed presence of a dead node");
      }
    } catch (error) {
      this.logger?.warn({ err: error }, "reaping dead nodes failed");
    }
  }

  private async removeNodePresence(node: string): Promise<number> {
    const entries = await this.cmd.smembers(this.nodeKey(node, "conns"));
    for (const entry of entries) {
      const split = entry.indexOf("\n");
      const channel = entry.slice(0, split);
      const change = await this.removePresence(node, channel, entry.slice(split + 1));
      if (change.left && change.member)
        await this.broadcast({ kind: "leave", channel, member: change.member });
    }
    await this.cmd.del(this.nodeKey(node, "conns"));
    return entries.length;
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.cmd.status !== "ready" || this.sub.status !== "ready") return false;
    try {
      return (await this.cmd.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    try {
      if (this.cmd.status === "ready") {
        await this.removeNodePresence(this.nodeId);
        await this.cmd
          .multi()
          .srem(this.nodesKey, this.nodeId)
          .del(this.nodeKey(this.nodeId, "alive"))
          .exec();
      }
    } catch (error) {
      this.logger?.warn({ err: error }, "could not clean up presence on close");
    }
    this.closed = true;
    this.channels.clear();
    this.sub.disconnect();
    this.cmd.disconnect();
  }

  private assertOpen(): void {
    if (this.closed) throw new SwitchboardError("unavailable", "broker is closed");
  }
}
