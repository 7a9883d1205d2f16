import type {
  HistoryReplyFrame,
  Member,
  PresenceMember,
  StreamPosition,
} from "@switchboard/protocol";
import type { CommandBody, CommandType, ReplyByCommand } from "./commands.js";
import type { ConnectionState } from "./connection_types.js";
import type { PresenceState } from "./presence.js";

/** A publication (or an ephemeral signal, which has no offset) delivered on a channel. */
export interface ChannelMessage {
  channel: string;
  event: string;
  data: unknown;
  /** Position in the channel's stream; absent for signals. */
  offset?: number;
  epoch?: string;
  /** Server time (ms since epoch) when it was accepted. */
  ts: number;
  /** The publishing user, when published over a socket. */
  from?: { user: string };
}

export type SubscriptionStatus = "subscribing" | "subscribed" | "unsubscribed";

export interface SubscriptionSnapshot {
  status: SubscriptionStatus;
  position: StreamPosition | undefined;
  lastMessage: ChannelMessage | undefined;
  presence: PresenceState;
  typing: readonly string[];
}

export interface SubscriptionEvents {
  /** Each publication once, in offset order (recovered ones first), and every signal. */
  message: ChannelMessage;
  subscribed: { epoch: string; offset: number; recovered: boolean };
  /** After a resubscribe, the publications missed meanwhile were delivered (count may be 0). */
  recovered: { publications: number; position: StreamPosition };
  /**
   * After a resubscribe, the server could not replay what was missed (history trimmed, or the
   * stream was reset): reload the channel's state from its snapshot, then continue from `position`.
   */
  gap: { position: StreamPosition; previous: StreamPosition };
  join: Member;
  leave: Member;
  /** The live member list changed (only when subscribed with `presence: true`). */
  presence: readonly PresenceMember[];
  /** The users typing right now changed. */
  typing: readonly string[];
  error: Error;
  /** The subscription ended: released by the app, or ended by the server (`code`: revoked, …). */
  unsubscribed: { code: string; reason: string };
  /** Anything in `snapshot` changed. */
  change: SubscriptionSnapshot;
}

export interface PublishOptions {
  /**
   * Idempotency key: the server applies a key once per channel within 2 minutes and answers
   * repeats with the first offset, so retries (yours or the SDK's after a reconnect) are safe.
   */
  key?: string;
}

export interface PublishResult {
  epoch: string;
  offset: number;
  /** True when the key had been seen and nothing new was published. */
  duplicate: boolean;
}

export interface HistoryOptions {
  /** What came after this position (page forwards). */
  since?: StreamPosition;
  /** The latest publications below this offset (page backwards); not with `since`. */
  before?: number;
  limit?: number;
}

export type HistoryResult = Omit<HistoryReplyFrame, "type" | "id">;

/** What a Subscription needs from its client. */
export interface SubscriptionHost {
  readonly state: ConnectionState;
  readonly userId: string | undefined;
  request<T extends CommandType>(
    body: Extract<CommandBody, { type: T }>,
  ): Promise<ReplyByCommand[T]>;
  publish(
    channel: string,
    event: string,
    data: unknown,
    options?: PublishOptions,
  ): Promise<PublishResult>;
  signal(channel: string, event: string, data: unknown): Promise<void>;
  presence(channel: string): Promise<PresenceState>;
  history(channel: string, options?: HistoryOptions): Promise<HistoryResult>;
  /** The subscription ended; forget it so a later subscribe() starts afresh. */
  release(subscription: object): void;
  /** Feeds the client-wide `message` event. */
  delivered(message: ChannelMessage): void;
}
