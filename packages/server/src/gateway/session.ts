import { CloseCode, type ServerFrame } from "@switchboard/protocol";
import type { WebSocket } from "ws";
import type { Identity } from "../auth/identity.js";
import type { Metrics } from "../metrics.js";
import type { Namespace } from "./namespaces.js";
import { TokenBucket } from "./rate-limit.js";

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

export interface SessionLimits {
  ratePerSecond: number;
  rateBurst: number;
  rateLimitCloseMs: number;
  slowConsumerBytes: number;
}

const SEND_OPTIONS = { binary: false } as const;

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
  private readonly bucket: TokenBucket;

  constructor(
    readonly socket: WebSocket,
    connectionId: string,
    private readonly limits: SessionLimits,
    private readonly metrics: Metrics,
    private readonly onSlowConsumer: (session: Session) => void,
    now: number,
  ) {
    this.connectionId = connectionId;
    this.id = connectionId;
    this.openedAt = now;
    this.lastSeenAt = now;
    this.bucket = new TokenBucket(limits.ratePerSecond, limits.rateBurst, now);
  }

  /** Returns 0 when the command may run, else milliseconds until it could. */
  takeToken(now: number): number {
    const wait = this.bucket.take(now);
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

  limitedTooLong(now: number): boolean {
    return (
      this.limitedSince !== undefined && now - this.limitedSince >= this.limits.rateLimitCloseMs
    );
  }

  send(frame: ServerFrame): void {
    this.metrics.count(this.metrics.framesOut, frame.type);
    this.write(Buffer.from(JSON.stringify(frame)));
  }

  /**
   * Writes an already-serialized frame (the fan-out path: one buffer shared by every subscriber).
   * A socket whose unsent bytes pass the bound is dropped instead of buffering without end.
   */
  write(frame: Buffer): boolean {
    if (this.closing) return false;
    if (this.socket.bufferedAmount > this.limits.slowConsumerBytes) {
      this.onSlowConsumer(this);
      return false;
    }
    this.socket.send(frame, SEND_OPTIONS);
    return true;
  }

  /** Says why (a `disconnect` frame), then closes; a peer that does not finish the close is cut. */
  close(code: number, reason: string, reconnect: boolean): void {
    if (this.closing) return;
    const socket = this.socket;
    if (
      socket.readyState === socket.OPEN &&
      socket.bufferedAmount <= this.limits.slowConsumerBytes
    ) {
      this.send({ type: "disconnect", code, reason, reconnect });
    }
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
