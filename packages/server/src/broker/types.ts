import type { Member, PresenceMember, Publication, StreamPosition } from "@switchboard/protocol";

/** How long a channel's history lives; set per namespace. */
export interface HistoryOptions {
  /** Publications kept; 0 keeps none (offsets still advance, recovery only works with nothing missed). */
  size: number;
  /** Publications older than this are dropped. */
  ttlMs: number;
}

export interface PublishInput {
  event: string;
  data: unknown;
  from?: { user: string };
  /** Idempotency key: a repeat on the same channel within `idempotencyTtlMs` publishes nothing. */
  key?: string;
  history: HistoryOptions;
  /**
   * `data` is known to serialize (it was parsed from JSON or just serialized, as the outbox's
   * is): the memory broker then measures it only if its history is read by size, instead of
   * serializing it once more on every publish to check.
   */
  serializes?: boolean;
}

export interface PublishResult extends StreamPosition {
  /** True when `key` was seen before: nothing was published and the first offset is returned. */
  duplicate: boolean;
}

export interface HistoryQuery {
  /** Return publications after this position; absent: the latest `limit` publications. */
  since?: StreamPosition;
  /** Without `since`: the latest publications with an offset below this one (paging back). */
  before?: number;
  limit: number;
  /** Stop adding publications past this many serialized bytes (at least one is returned). */
  maxBytes?: number;
}

export interface HistoryResult extends StreamPosition {
  publications: Publication[];
  /**
   * With `since`: true when the stream still has the same epoch and every publication after
   * `since.offset` (up to `limit`) is in `publications`. Without `since`: always true.
   */
  complete: boolean;
  /** Publications this reply left out (byte cap or `limit`) are there: page on. */
  more: boolean;
}

/** What a node receives for a channel it subscribed to. */
export type BrokerEvent =
  | { kind: "publication"; channel: string; epoch: string; publication: Publication }
  | {
      kind: "signal";
      channel: string;
      event: string;
      data: unknown;
      ts: number;
      from?: { user: string };
    }
  | { kind: "join"; channel: string; member: Member }
  | { kind: "leave"; channel: string; member: Member }
  /**
   * Who may read the channel changed (a conversation transferred, requeued, resolved): every
   * node re-checks its subscribers' access and drops those who lost it. Travels on the
   * channel's own pub/sub, so it reaches exactly the nodes that hold the channel.
   */
  | { kind: "revoke"; channel: string }
  /** The node may have missed events (its pub/sub link was re-established): check continuity. */
  | { kind: "resync"; channel: string };

export type BrokerEventHandler = (event: BrokerEvent) => void;

export interface PresenceChange {
  /** True when this was the user's first connection on the channel (others should see `join`). */
  joined?: boolean;
  /** True when this was the user's last connection on the channel (others should see `leave`). */
  left?: boolean;
  member?: Member;
}

/**
 * Everything that differs between one node and a cluster. One broker instance per node;
 * the memory broker's nodes share one in-process hub, the Redis broker's share a Redis.
 *
 * Guarantees every implementation must keep (see broker.contract.ts):
 * - offsets on a channel are 1, 2, 3… with no gap or repeat within one epoch, whichever node publishes;
 * - events for a channel reach every subscribed node in offset order;
 * - a repeated idempotency key returns the first offset and fans out nothing;
 * - history is bounded by size and TTL; a lost stream gets a new epoch.
 */
export interface Broker {
  /** Identifies this node (presence entries, logs). */
  readonly nodeId: string;
  /** Where this node's events arrive. Set once, before any subscribe. */
  onEvent(handler: BrokerEventHandler): void;
  /** Start receiving a channel's events on this node (idempotent). */
  subscribe(channel: string): Promise<void>;
  /** Stop receiving a channel's events on this node (idempotent). */
  unsubscribe(channel: string): Promise<void>;

  /** Assign the next offset, append to history, fan out to every subscribed node. */
  publish(channel: string, input: PublishInput): Promise<PublishResult>;
  /** Fan out an ephemeral event (signal, join, leave): no offset, no history. */
  broadcast(event: Exclude<BrokerEvent, { kind: "publication" | "resync" }>): Promise<void>;
  /**
   * The channel's current position. Reads never create a stream: a channel nobody published on
   * is at offset 0 under an epoch of the moment (any epoch's offset 1 follows offset 0).
   */
  position(channel: string): Promise<StreamPosition>;
  history(channel: string, query: HistoryQuery, options: HistoryOptions): Promise<HistoryResult>;

  /** Record one connection of a member on a channel. */
  presenceAdd(channel: string, connectionId: string, member: Member): Promise<PresenceChange>;
  /** Remove one connection; says whether the member left altogether. */
  presenceRemove(channel: string, connectionId: string): Promise<PresenceChange>;
  /** Members (one entry per user, with their connection count). */
  presence(channel: string): Promise<PresenceMember[]>;
  /** Cheap count of distinct users present (what a viewer counter asks for). */
  presenceCount(channel: string): Promise<number>;

  /** Whether the broker's dependencies are reachable (readiness). */
  ready(): Promise<boolean>;
  /** Release timers and connections; removes this node's presence entries. */
  close(): Promise<void>;
}

export const IDEMPOTENCY_TTL_MS = 2 * 60 * 1000;

/** A stream that retains no history (size 0) is forgotten this long after its last publish. */
export const EMPTY_STREAM_TTL_MS = 5 * 60 * 1000;

/** Who publishes. Idempotency keys live in one space per publisher (see `publisherKey`). */
export type Publisher = { kind: "module" } | { kind: "server" } | { kind: "user"; user: string };

/**
 * The broker key for a publisher's idempotency key. Modules' keys are predictable
 * (`stock:{sku}:v{n}`); were they shared with clients, anyone allowed to publish on the channel
 * could send one first and the real event would be dropped as a repeat on every node. So each
 * publisher has its own space: modules (the outbox), the API key, and each user. The user's id
 * is length-prefixed so no user id/key split can collide with another's.
 */
export function publisherKey(publisher: Publisher, key: string): string {
  switch (publisher.kind) {
    case "module":
      return `m:${key}`;
    case "server":
      return `s:${key}`;
    case "user":
      return `u${publisher.user.length}:${publisher.user}:${key}`;
  }
}
