import type { Member, PresenceMember, StreamPosition } from "@switchboard/protocol";
import type { Logger } from "pino";
import { ulid } from "ulid";
import { RedisBroker } from "./redis.js";
import type {
  Broker,
  BrokerEvent,
  BrokerEventHandler,
  HistoryOptions,
  HistoryQuery,
  HistoryResult,
  PresenceChange,
  PublishInput,
  PublishResult,
} from "./types.js";

/**
 * Several Redis instances as one broker (`REDIS_URL` lists them, comma-separated): each channel
 * lives on one of them, chosen by a hash of its name that every node computes alike, and all of
 * the channel's state goes there (offsets, history, idempotency keys, presence, pub/sub). A
 * single Redis tops out at one core; with k of them a cluster's publications spread over k
 * cores (docs/performance.md, the scale-out model, says when that is needed).
 *
 * Each shard is a full RedisBroker with the same node id: it keeps its own heartbeat, so a dead
 * node's presence is reaped on every shard by the survivors. Every guarantee of the Broker
 * contract is per channel, so it holds as it does on one Redis. The list must be the same, in
 * the same order, on every node (a channel must hash to the same shard everywhere).
 */
export class ShardedBroker implements Broker {
  private constructor(
    readonly nodeId: string,
    private readonly shards: RedisBroker[],
  ) {}

  static async connect(
    urls: string[],
    options: { prefix?: string; nodeId?: string; nodeTtlMs?: number; logger?: Logger },
    waitMs = 5000,
  ): Promise<ShardedBroker> {
    const nodeId = options.nodeId ?? `node-${ulid()}`;
    const shards = await Promise.all(
      urls.map((url) => RedisBroker.connect({ ...options, url, nodeId }, waitMs)),
    );
    return new ShardedBroker(nodeId, shards);
  }

  get size(): number {
    return this.shards.length;
  }

  /** The shard index of a channel: FNV-1a over its UTF-16 code units, mod the shard count. */
  shardIndexOf(channel: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < channel.length; i++) {
      hash ^= channel.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return (hash >>> 0) % this.shards.length;
  }

  private of(channel: string): RedisBroker {
    return this.shards[this.shardIndexOf(channel)] as RedisBroker;
  }

  onEvent(handler: BrokerEventHandler): void {
    for (const shard of this.shards) shard.onEvent(handler);
  }

  subscribe(channel: string): Promise<void> {
    return this.of(channel).subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.of(channel).unsubscribe(channel);
  }

  publish(channel: string, input: PublishInput): Promise<PublishResult> {
    return this.of(channel).publish(channel, input);
  }

  broadcast(event: Exclude<BrokerEvent, { kind: "publication" | "resync" }>): Promise<void> {
    return this.of(event.channel).broadcast(event);
  }

  position(channel: string): Promise<StreamPosition> {
    return this.of(channel).position(channel);
  }

  history(channel: string, query: HistoryQuery, options: HistoryOptions): Promise<HistoryResult> {
    return this.of(channel).history(channel, query, options);
  }

  presenceAdd(channel: string, connectionId: string, member: Member): Promise<PresenceChange> {
    return this.of(channel).presenceAdd(channel, connectionId, member);
  }

  presenceRemove(channel: string, connectionId: string): Promise<PresenceChange> {
    return this.of(channel).presenceRemove(channel, connectionId);
  }

  presence(channel: string): Promise<PresenceMember[]> {
    return this.of(channel).presence(channel);
  }

  presenceCount(channel: string): Promise<number> {
    return this.of(channel).presenceCount(channel);
  }

  /** Ready when every shard is: a channel on a missing shard could not be served. */
  async ready(): Promise<boolean> {
    const all = await Promise.all(this.shards.map((s) => s.ready()));
    return all.every(Boolean);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
