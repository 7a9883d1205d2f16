import { randomBytes, randomFillSync } from "node:crypto";
import type { Member, PresenceMember, Publication, StreamPosition } from "@switchboard/protocol";
import { selectHistory } from "./history.js";
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

/**
 * Random bytes drawn 3 KB at a time: the Redis broker offers a fresh epoch with every publish
 * (the script keeps it only for a new stream), and a system call for 6 bytes each time showed
 * in its profile.
 */
const epochPool = Buffer.alloc(6 * 512);
let epochPoolAt = epochPool.length;

export function newEpoch(): string {
  if (epochPoolAt + 6 > epochPool.length) {
    randomFillSync(epochPool);
    epochPoolAt = 0;
  }
  const epoch = epochPool.toString("base64url", epochPoolAt, epochPoolAt + 6);
  epochPoolAt += 6;
  return epoch;
}

interface Stream {
  epoch: string;
  offset: number;
  /** Retained publications, oldest first; `head` skips trimmed ones until the array is compacted. */
  pubs: Publication[];
  head: number;
  lastActive: number;
  /** The history options of the last publish (the sweep trims by them). */
  history: HistoryOptions;
  keys: Map<string, { offset: number; expires: number }>;
}

/** Serialized size of each stored publication (measured once, at publish: replies are capped by it). */
const sizes = new WeakMap<Publication, number>();
const sizeOf = (p: Publication) => {
  let bytes = sizes.get(p);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(p));
    sizes.set(p, bytes);
  }
  return bytes;
};

interface PresenceEntry {
  member: Member;
  nodeId: string;
}

interface ChannelPresence {
  connections: Map<string, PresenceEntry>;
  perUser: Map<string, number>;
}

export interface MemoryHubOptions {
  /** A stream with no history left and no publish for this long is forgotten (its epoch with it). */
  streamMetaTtlMs?: number;
  now?: () => number;
}

/**
 * The state every memory-broker node of one process shares. One hub is one "cluster":
 * several gateways in one process on one hub behave as several nodes on one Redis.
 */
export class MemoryHub {
  readonly streams = new Map<string, Stream>();
  readonly presence = new Map<string, ChannelPresence>();
  readonly nodes = new Set<MemoryBroker>();
  readonly now: () => number;
  private readonly metaTtlMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryHubOptions = {}) {
    this.now = options.now ?? Date.now;
    this.metaTtlMs = options.streamMetaTtlMs ?? 24 * 60 * 60 * 1000;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  node(nodeId: string = `mem-${randomBytes(4).toString("hex")}`): MemoryBroker {
    const node = new MemoryBroker(this, nodeId);
    this.nodes.add(node);
    return node;
  }

  /** The channel's stream, created by a publish (reads use `streams.get`: they never create). */
  stream(channel: string, history: HistoryOptions): Stream {
    let s = this.streams.get(channel);
    if (!s) {
      s = {
        epoch: newEpoch(),
        offset: 0,
        pubs: [],
        head: 0,
        lastActive: this.now(),
        history,
        keys: new Map(),
      };
      this.streams.set(channel, s);
    }
    return s;
  }

  deliver(event: BrokerEvent): void {
    for (const node of this.nodes) node.receive(event);
  }

  /** Drops expired history everywhere and forgets idle streams, so memory follows activity. */
  sweep(): void {
    const now = this.now();
    for (const [channel, s] of this.streams) {
      expireKeys(s, now);
      trim(s, s.history, now);
      // A stream that keeps no history is forgotten in minutes; others a day after their last publish.
      const ttl =
        s.history.size > 0 ? this.metaTtlMs : Math.min(this.metaTtlMs, EMPTY_STREAM_TTL_MS);
      if (s.pubs.length - s.head === 0 && s.keys.size === 0 && now - s.lastActive > ttl) {
        this.streams.delete(channel);
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

function expireKeys(s: Stream, now: number): void {
  for (const [key, v] of s.keys) {
    if (v.expires > now) break; // insertion order is expiry order
    s.keys.delete(key);
  }
}

function trim(s: Stream, options: HistoryOptions, now: number): void {
  const minTs = now - options.ttlMs;
  const keep = options.size;
  while (s.head < s.pubs.length) {
    const p = s.pubs[s.head]!;
    if (s.pubs.length - s.head > keep || p.ts < minTs) s.head++;
    else break;
  }
  // Compact only when the dead prefix is large, so trimming stays O(1) amortized.
  if (s.head > 64 && s.head * 2 > s.pubs.length) {
    s.pubs = s.pubs.slice(s.head);
    s.head = 0;
  }
}

export class MemoryBroker implements Broker {
  private handler: BrokerEventHandler = () => {};
  private readonly channels = new Set<string>();
  private closed = false;

  constructor(
    private readonly hub: MemoryHub,
    readonly nodeId: string,
  ) {}

  onEvent(handler: BrokerEventHandler): void {
    this.handler = handler;
  }

  receive(event: BrokerEvent): void {
    if (this.channels.has(event.channel)) this.handler(event);
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }

  async publish(channel: string, input: PublishInput): Promise<PublishResult> {
    this.assertOpen();
    const now = this.hub.now();
    const s = this.hub.stream(channel, input.history);
    expireKeys(s, now);
    if (input.key !== undefined) {
      const seen = s.keys.get(input.key);
      if (seen) return { epoch: s.epoch, offset: seen.offset, duplicate: true };
    }
    const publication: Publication = {
      offset: s.offset + 1,
      event: input.event,
      data: input.data,
      ts: now,
      ...(input.from && { from: input.from }),
    };
    // Serialized before anything is stored: a value that cannot be serialized fails the publish
    // here, instead of poisoning the channel's history for every later reader. Data known to
    // serialize is measured when a history read needs its size (sizeOf).
    if (!input.serializes) sizes.set(publication, Buffer.byteLength(JSON.stringify(publication)));
    s.offset += 1;
    s.lastActive = now;
    s.history = input.history;
    if (input.history.size > 0) s.pubs.push(publication);
    trim(s, input.history, now);
    if (input.key !== undefined) {
      s.keys.set(input.key, { offset: s.offset, expires: now + IDEMPOTENCY_TTL_MS });
    }
    this.hub.deliver({ kind: "publication", channel, epoch: s.epoch, publication });
    return { epoch: s.epoch, offset: s.offset, duplicate: false };
  }

  async broadcast(event: Exclude<BrokerEvent, { kind: "publication" | "resync" }>): Promise<void> {
    this.assertOpen();
    this.hub.deliver(event);
  }

  async position(channel: string): Promise<StreamPosition> {
    const s = this.hub.streams.get(channel);
    return s ? { epoch: s.epoch, offset: s.offset } : { epoch: newEpoch(), offset: 0 };
  }

  async history(
    channel: string,
    query: HistoryQuery,
    options: HistoryOptions,
  ): Promise<HistoryResult> {
    const s = this.hub.streams.get(channel);
    if (!s) return selectHistory({ epoch: newEpoch(), offset: 0 }, [], query, { sizeOf });
    trim(s, options, this.hub.now());
    // The retained window is the array past `head` (trimmed entries wait there for compaction).
    const retained = s.head === 0 ? s.pubs : s.pubs.slice(s.head);
    return selectHistory({ epoch: s.epoch, offset: s.offset }, retained, query, { sizeOf });
  }

  async presenceAdd(
    channel: string,
    connectionId: string,
    member: Member,
  ): Promise<PresenceChange> {
    this.assertOpen();
    let p = this.hub.presence.get(channel);
    if (!p) {
      p = { connections: new Map(), perUser: new Map() };
      this.hub.presence.set(channel, p);
    }
    if (p.connections.has(connectionId)) return { member };
    p.connections.set(connectionId, { member, nodeId: this.nodeId });
    const count = (p.perUser.get(member.user) ?? 0) + 1;
    p.perUser.set(member.user, count);
    return { joined: count === 1, member };
  }

  async presenceRemove(channel: string, connectionId: string): Promise<PresenceChange> {
    const p = this.hub.presence.get(channel);
    const entry = p?.connections.get(connectionId);
    if (!p || !entry) return {};
    p.connections.delete(connectionId);
    const count = (p.perUser.get(entry.member.user) ?? 1) - 1;
    if (count > 0) p.perUser.set(entry.member.user, count);
    else p.perUser.delete(entry.member.user);
    if (p.connections.size === 0) this.hub.presence.delete(channel);
    return { left: count === 0, member: entry.member };
  }

  async presence(channel: string): Promise<PresenceMember[]> {
    const p = this.hub.presence.get(channel);
    if (!p) return [];
    const members = new Map<string, PresenceMember>();
    for (const { member } of p.connections.values()) {
      const m = members.get(member.user);
      if (m) m.connections += 1;
      else members.set(member.user, { ...member, connections: 1 });
    }
    return [...members.values()];
  }

  async presenceCount(channel: string): Promise<number> {
    return this.hub.presence.get(channel)?.perUser.size ?? 0;
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // A node that goes away takes its presence with it; others see the leaves.
    for (const [channel, p] of this.hub.presence) {
      for (const [connectionId, entry] of p.connections) {
        if (entry.nodeId !== this.nodeId) continue;
        const change = await this.presenceRemove(channel, connectionId);
        if (change.left && change.member) {
          this.hub.deliver({ kind: "leave", channel, member: change.member });
        }
      }
    }
    this.closed = true;
    this.channels.clear();
    this.hub.nodes.delete(this);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("broker is closed");
  }
}

/** A single-node memory broker with its own hub (the default when REDIS_URL is not set). */
export function createMemoryBroker(options?: MemoryHubOptions): Broker {
  const hub = new MemoryHub(options);
  const node = hub.node();
  const close = node.close.bind(node);
  node.close = async () => {
    await close();
    hub.close();
  };
  return node;
}
