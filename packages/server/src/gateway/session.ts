import type { Socket } from "node:net";
import { CloseCode, type ServerFrame } from "@switchboard/protocol";
import type { WebSocket } from "ws";
import type { Identity } from "../auth/identity.js";
import type { Metrics } from "../metrics.js";
import type { Namespace } from "./namespaces.js";
import { textFrame, type WriteBatcher } from "./wire.js";

/** One channel subscription of one session. */
export interface Subscription {
  channel: string;
  namespace: Namespace;
  /** Stream position of the last publication this session was sent. */
  epoch: string;
  offset: number;
  /** False while subscribing: live publications wait in `pending` until history is sent. */
  ready: boolean;
  pending: { epoch: string; offset: number; frame: Buffer }[];
  /** Whether this connection counts in the channel's presence. */
  present: boolean;
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

/** How long a closing socket may take to flush its close frame before it is cut. */
const CLOSE_GRACE_MS = 2000;

/** One WebSocket connection: its identity, subscriptions, limits and liveness. */
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

  /** The TCP socket under the WebSocket: frames are written to it directly, already framed. */
  private readonly raw: Socket;

  constructor(
    readonly socket: WebSocket,
    private readonly host: SessionHost,
    connectionId: string,
    now: number,
  ) {
    // ws keeps its socket private; with compression off, a complete frame written here is exactly
    // what ws.send would write, minus a header built per socket and a cork per message.
    this.raw = (socket as unknown as { _socket: Socket })._socket;
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
    const payload = Buffer.from(JSON.stringify(frame));
    this.write(textFrame(payload));
    return payload.length;
  }

  /**
   * Bytes the peer has not taken: what sits in the socket's buffer, plus what this turn's batch
   * holds for it (a burst of replies in one turn is memory too, before any of it is written).
   */
  get buffered(): number {
    return this.raw.writableLength + this.host.batcher.queued(this.raw);
  }

  /**
   * Writes an already-serialized frame (the fan-out path: one buffer shared by every subscriber).
   * A socket whose unsent bytes pass the bound is dropped instead of buffering without end.
   */
  write(frame: Buffer): boolean {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.buffered > this.host.limits.slowConsumerBytes) {
      this.host.onSlowConsumer(this);
      return false;
    }
    this.host.batcher.queue(this.raw, frame);
    return true;
  }

  /** Says why (a `disconnect` frame), then closes; a peer that does not finish the close is cut. */
  close(code: number, reason: string, reconnect: boolean): void {
    if (this.closing) return;
    const socket = this.socket;
    if (socket.readyState === socket.OPEN && this.buffered <= this.host.limits.slowConsumerBytes) {
      this.send({ type: "disconnect", code, reason, reconnect });
    }
    this.host.batcher.flush(this.raw); // everything we queued goes before the close frame
    this.closing = true;
    try {
      socket.close(code, reason.slice(0, 120));
    } catch {
      socket.terminate();
    }
    setTimeout(() => {
      if (socket.readyState !== socket.CLOSED) socket.terminate();
    }, CLOSE_GRACE_MS).unref();
  }

  /** Cuts the connection now (slow consumer): nothing more is queued behind a full buffer. */
  drop(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    try {
      this.socket.close(CloseCode.Internal, reason);
    } catch {
      // already closing
    }
    const socket = this.socket;
    setTimeout(() => socket.terminate(), 250).unref();
  }
}
