import type { Member, PresenceMember, Publication, StreamPosition } from "@switchboard/protocol";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { SwitchboardError } from "../errors.js";
import { ulid } from "../ids.js";
import { selectHistory } from "./history.js";
import { newEpoch } from "./memory.js";
import { RedisKeys, type ScriptedRedis, unavailable } from "./redis-keys.js";
import { RedisPresence } from "./redis-presence.js";
import { PRESENCE_ADD, PRESENCE_REMOVE, PUBLISH, READ_STREAM } from "./redis-scripts.js";
import {
  type Broker,
  type BrokerEvent,
  type BrokerEventHandler,
  EMPTY_STREAM_TTL_MS,
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

/**
 * The broker for many nodes: offsets, history and idempotency keys live in Redis (atomic Lua),
 * fan-out rides Redis pub/sub, presence lives in hashes with per-node heartbeats so a dead
 * node's members are removed by the survivors.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  private readonly cmd: ScriptedRedis;
  private readonly sub: Redis;
  private readonly keys: RedisKeys;
  private readonly presenceStore: RedisPresence;
  private readonly metaTtlMs: number;
  private readonly logger: Logger | undefined;
  private readonly channels = new Set<string>();
  private handler: BrokerEventHandler = () => {};
  private readonly heartbeat: NodeJS.Timeout;
  private subscriberWasReady = false;
  private closed = false;

  private constructor(options: RedisBrokerOptions) {
    this.nodeId = options.nodeId ?? `node-${ulid()}`;
    this.keys = new RedisKeys(options.prefix ?? "sb:");
    const nodeTtlMs = options.nodeTtlMs ?? 10_000;
    this.metaTtlMs = options.streamMetaTtlMs ?? 24 * 60 * 60 * 1000;
    this.logger = options.logger?.child({ component: "redis-broker", node: this.nodeId });
    const common = {
      // Fail fast while Redis is away: a publish must error, never wait in a queue and vanish.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
    };
    this.cmd = new Redis(options.url, {
      ...common,
      // A command whose reply was lost with the link may well have run (a publish stored, an
      // offset taken): sending it again on the next link would do it twice. Fail it instead
      // (`unavailable`); the caller retries with an idempotency key, or not. Presence repairs
      // itself (redis-presence.ts reconciles after any failure).
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
    }) as ScriptedRedis;
    this.cmd.defineCommand("sbPublish", { numberOfKeys: 3, lua: PUBLISH });
    this.cmd.defineCommand("sbReadStream", { numberOfKeys: 2, lua: READ_STREAM });
    this.cmd.defineCommand("sbPresenceAdd", { numberOfKeys: 3, lua: PRESENCE_ADD });
    this.cmd.defineCommand("sbPresenceRemove", { numberOfKeys: 3, lua: PRESENCE_REMOVE });
    // The subscriber queues SUBSCRIBEs while reconnecting and re-subscribes by itself afterwards.
    this.presenceStore = new RedisPresence({
      cmd: this.cmd,
      keys: this.keys,
      nodeId: this.nodeId,
      nodeTtlMs,
      logger: this.logger,
      announceLeave: (channel, member) => this.broadcast({ kind: "leave", channel, member }),
      announceJoin: (channel, member) => this.broadcast({ kind: "join", channel, member }),
    });
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
      Math.max(500, Math.floor(nodeTtlMs / 3)),
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
      await this.sub.subscribe(this.keys.pubsub(channel));
    } catch (error) {
      this.channels.delete(channel);
      throw unavailable(error);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.channels.delete(channel)) return;
    try {
      await this.sub.unsubscribe(this.keys.pubsub(channel));
    } catch (error) {
      this.logger?.warn({ err: error, channel }, "unsubscribe failed");
    }
  }

  async publish(channel: string, input: PublishInput): Promise<PublishResult> {
    this.assertOpen();
    try {
      const [epoch, offset, duplicate] = await this.cmd.sbPublish(
        this.keys.channel(channel, "meta"),
        this.keys.channel(channel, "hist"),
        this.keys.channel(channel, `idem:${input.key ?? ""}`),
        JSON.stringify(input.event),
        JSON.stringify(input.data ?? null),
        input.from ? JSON.stringify(input.from) : "",
        input.history.size,
        Math.max(1, input.history.ttlMs),
        // A stream that keeps no history is forgotten in minutes.
        input.history.size > 0 ? this.metaTtlMs : Math.min(this.metaTtlMs, EMPTY_STREAM_TTL_MS),
        newEpoch(),
        IDEMPOTENCY_TTL_MS,
        this.keys.pubsub(channel),
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
      await this.cmd.publish(this.keys.pubsub(event.channel), JSON.stringify(event));
    } catch (error) {
      throw unavailable(error);
    }
  }

  async position(channel: string): Promise<StreamPosition> {
    const [epoch, offset] = await this.readStream(channel, ["pos", 0, 0, 0, 0, ""]);
    return epoch === "" ? { epoch: newEpoch(), offset: 0 } : { epoch, offset: Number(offset) };
  }

  async history(
    channel: string,
    query: HistoryQuery,
    options: HistoryOptions,
  ): Promise<HistoryResult> {
    const { since, before, limit } = query;
    const maxBytes = query.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const args: (string | number)[] = since
      ? ["since", since.offset, limit, options.size, maxBytes, since.epoch]
      : before !== undefined
        ? ["before", before, limit, options.size, maxBytes, ""]
        : ["latest", 0, limit, options.size, maxBytes, ""];
    const [epoch, offset, now, oldest, ...entries] = await this.readStream(channel, args);
    const sizes = new WeakMap<Publication, number>();
    const sizeOf = (p: Publication) => sizes.get(p) ?? 0;
    if (epoch === "") return selectHistory({ epoch: newEpoch(), offset: 0 }, [], query, { sizeOf });
    const minTs = Number(now) - options.ttlMs;
    const retained: Publication[] = [];
    for (const entry of entries) {
      const p = JSON.parse(entry) as Publication;
      sizes.set(p, Buffer.byteLength(entry));
      if (p.ts >= minTs) retained.push(p);
    }
    if (options.size === 0) retained.length = 0;
    return selectHistory({ epoch, offset: Number(offset) }, retained, query, {
      sizeOf,
      oldest: Number(oldest),
    });
  }

  private async readStream(channel: string, args: (string | number)[]) {
    try {
      return await this.cmd.sbReadStream(
        this.keys.channel(channel, "meta"),
        this.keys.channel(channel, "hist"),
        ...args,
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  // ---- presence (redis-presence.ts) ----

  async presenceAdd(
    channel: string,
    connectionId: string,
    member: Member,
  ): Promise<PresenceChange> {
    this.assertOpen();
    return this.presenceStore.add(channel, connectionId, member);
  }

  async presenceRemove(channel: string, connectionId: string): Promise<PresenceChange> {
    return this.presenceStore.remove(this.nodeId, channel, connectionId);
  }

  async presence(channel: string): Promise<PresenceMember[]> {
    return this.presenceStore.members(channel);
  }

  async presenceCount(channel: string): Promise<number> {
    return this.presenceStore.count(channel);
  }

  private async beat(): Promise<void> {
    if (!this.closed) await this.presenceStore.beat();
  }

  private async reapDeadNodes(): Promise<void> {
    if (!this.closed) await this.presenceStore.reapDeadNodes();
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
      await this.presenceStore.leave();
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
