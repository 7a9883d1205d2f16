import type { ServerFrame } from "@switchboard/protocol";
import type { Identity } from "../auth/identity.js";
import type { Metrics } from "../metrics.js";
import type { Namespace } from "./namespaces.js";
import { OutFrame, type WriteBatcher } from "./wire.js";

/** One channel subscription of one session. */
export interface Subscription {
  channel: string;
  namespace: Namespace;
  /** Stream position of the last publication this session was sent. */
  epoch: string;
  offset: number;
  /** False while subscribing: live publications wait in `pending` until history is sent. */
  ready: boolean;
  pending: { epoch: string; offset: number; frame: OutFrame }[];
  /** Whether this connection counts in the channel's presence. */
  present: boolean;
  /** Asked to track presence (`presence: true`): receives `presence_count` signals. */
  tracksPresence?: true;
}

/**
 * What every session of a gateway shares. One object per gateway, so that a session holds one
 * reference instead of four (memory per idle connection is a headline figure).
 */
export interface SessionHost {
  readonly batcher: WriteBatcher;
  readonly limits: SessionLimits;
  readonly metrics: Metrics;
  onSlowConsumer(session: Session): void;
}

export interface SessionLimits {
  ratePerSecond: number;
  rateBurst: number;
  rateLimitCloseMs: number;
  slowConsumerBytes: number;
  maxNewChannelsPerMinute: number;
}

/** A history reply costs one token per this many bytes beyond its first (it is charged by size). */
export const HISTORY_BYTES_PER_TOKEN = 16 * 1024;
const CHANNEL_WINDOW_MS = 60_000;

/**
 * How a session's frames reach its client: a WebSocket (ws_link.ts) or the HTTP fallback's
 * event stream (http_link.ts). Everything above this line is the same for both.
 */
export interface SessionLink {
  readonly kind: "websocket" | "http" | "longpoll";
  /** Whether frames can still be written. */
  readonly open: boolean;
  /** Bytes written that the peer has not taken yet. */
  readonly buffered: number;
  /** Queues one frame (sent when this event-loop turn ends). */
  write(frame: OutFrame): void;
  /** Sends what is queued now. */
  flush(): void;
  /** Ends after what was queued, saying why; a peer that does not finish the close is cut. */
  close(code: number, reason: string): void;
  /** Ends now (slow consumer): nothing more is queued behind a full buffer. */
  drop(reason: string): void;
  /** Cuts the connection without a word. */
  terminate(): void;
}

/** One client connection (WebSocket or HTTP fallback): identity, subscriptions, limits, liveness. */
export class Session {
  /** Unique per socket (presence entries); `id` may be resumed by a later socket. */
  readonly connectionId: string;
  id: string;
  identity?: Identity;
  readonly subscriptions = new Map<string, Subscription>();
  readonly openedAt: number;
  lastSeenAt: number;
  /** The `exp` for which a refresh request was already sent. */
  refreshRequestedFor?: number;
  limitedSince?: number;
  private lastLimitedAt?: number;
  closing = false;
  /** A connect command is in flight: later frames wait for it instead of being refused. */
  connecting = false;
  /** Commands of one session run in order: a publish after a subscribe sees the subscription. */
  queue: Promise<void> = Promise.resolve();
  /** Per-connection token bucket (`ratePerSecond`, at most `rateBurst`), kept inline. */
  private tokens: number;
  private tokensAt: number;
  /** Channels named outside this session's subscriptions in the current minute (the new-channel cap). */
  private channelWindowAt = 0;
  private channelsInWindow = 0;

  constructor(
    readonly link: SessionLink,
    private readonly host: SessionHost,
    connectionId: string,
    now: number,
  ) {
    this.connectionId = connectionId;
    this.id = connectionId;
    this.openedAt = now;
    this.lastSeenAt = now;
    this.tokens = host.limits.rateBurst;
    this.tokensAt = now;
  }

  /** Returns 0 when the command may run, else milliseconds until it could. */
  takeToken(now: number): number {
    const { ratePerSecond: rate, rateBurst: burst } = this.host.limits;
    this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    let wait = 0;
    if (this.tokens >= 1) this.tokens -= 1;
    else wait = Math.ceil(((1 - this.tokens) * 1000) / rate);
    if (wait > 0) {
      this.limitedSince ??= now;
      this.lastLimitedAt = now;
    } else if (this.lastLimitedAt !== undefined && now - this.lastLimitedAt > 1000) {
      // A second without hitting the limit ends the episode; a token trickling through does not.
      this.limitedSince = undefined;
      this.lastLimitedAt = undefined;
    }
    return wait;
  }

  /**
   * Charges a command by its size after the fact (a history reply): the bucket may go into debt,
   * and the next command that checks `debtWait` waits for it. Commands of one burst are admitted
   * on arrival, so size-charged ones check the debt when they run.
   */
  charge(tokens: number): void {
    if (tokens > 0) this.tokens -= tokens;
  }

  /** Milliseconds until the bucket is out of debt; 0 when it is not in debt. */
  debtWait(now: number): number {
    const { ratePerSecond: rate, rateBurst: burst } = this.host.limits;
    this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    return this.tokens < 0 ? Math.ceil((-this.tokens * 1000) / rate) : 0;
  }

  /**
   * Counts one channel this session names without holding it; returns 0 when within the cap,
   * else milliseconds until the minute ends. Each new name can cost the broker state (a
   * subscription, a lookup): one connection must not walk through millions of them.
   */
  takeChannel(now: number): number {
    if (now - this.channelWindowAt >= CHANNEL_WINDOW_MS) {
      this.channelWindowAt = now;
      this.channelsInWindow = 0;
    }
    if (this.channelsInWindow >= this.host.limits.maxNewChannelsPerMinute)
      return this.channelWindowAt + CHANNEL_WINDOW_MS - now;
    this.channelsInWindow++;
    return 0;
  }

  limitedTooLong(now: number): boolean {
    return (
      this.limitedSince !== undefined &&
      now - this.limitedSince >= this.host.limits.rateLimitCloseMs
    );
  }

  /** Serializes and writes one frame; returns its size in bytes. */
  send(frame: ServerFrame): number {
    this.host.metrics.count(this.host.metrics.framesOut, frame.type);
    const out = OutFrame.json(frame);
    this.write(out);
    return out.payload.length;
  }

  /**
   * Bytes the peer has not taken: what sits in the socket's buffer, plus what this turn's batch
   * holds for it (a burst of replies in one turn is memory too, before any of it is written).
   */
  get buffered(): number {
    return this.link.buffered;
  }

  /**
   * Writes an already-serialized frame (the fan-out path: one frame shared by every subscriber).
   * A connection whose unsent bytes pass the bound is dropped instead of buffering without end.
   */
  write(frame: OutFrame): boolean {
    if (this.closing || !this.link.open) return false;
    if (this.link.buffered > this.host.limits.slowConsumerBytes) {
      this.host.onSlowConsumer(this);
      return false;
    }
    this.link.write(frame);
    return true;
  }

  /** Says why (a `disconnect` frame), then closes; a peer that does not finish the close is cut. */
  close(code: number, reason: string, reconnect: boolean): void {
    if (this.closing) return;
    if (this.link.open && this.buffered <= this.host.limits.slowConsumerBytes) {
      this.send({ type: "disconnect", code, reason, reconnect });
    }
    this.link.flush(); // everything we queued goes before the close
    this.closing = true;
    this.link.close(code, reason);
  }

  /** Cuts the connection now (slow consumer): nothing more is queued behind a full buffer. */
  drop(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.link.drop(reason);
  }
}
