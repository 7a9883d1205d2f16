import type { Socket } from "node:net";
import { CloseCode, type ServerFrame } from "@switchboard/protocol";
import type { WebSocket } from "ws";
import type { Identity } from "../auth/identity.js";
import type { Metrics } from "../metrics.js";
import type { Namespace } from "./namespaces.js";
import { TokenBucket } from "./rate-limit.js";
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

export interface SessionLimits {
  ratePerSecond: number;
  rateBurst: number;
  rateLimitCloseMs: number;
  slowConsumerBytes: number;
}

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

  /** The TCP socket under the WebSocket: frames are written to it directly, already framed. */
  private readonly raw: Socket;

  constructor(
    readonly socket: WebSocket,
    private readonly batcher: WriteBatcher,
    connectionId: string,
    private readonly limits: SessionLimits,
    private readonly metrics: Metrics,
    private readonly onSlowConsumer: (session: Session) => void,
    now: number,
  ) {
    // ws keeps its socket private; with compression off, a complete frame written here is exactly
    // what ws.send would write, minus a header built per socket and a cork per message.
    this.raw = (socket as unknown as { _socket: Socket })._socket;
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
    this.write(textFrame(Buffer.from(JSON.stringify(frame))));
  }

  /**
   * Bytes the peer has not taken: what sits in the socket's buffer. (This turn's batch is not
   * counted: it is the server's own burst, not the client falling behind.)
   */
  get buffered(): number {
    return this.raw.writableLength;
  }

  /**
   * Writes an already-serialized frame (the fan-out path: one buffer shared by every subscriber).
   * A socket whose unsent bytes pass the bound is dropped instead of buffering without end.
   */
  write(frame: Buffer): boolean {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.buffered > this.limits.slowConsumerBytes) {
      this.onSlowConsumer(this);
      return false;
    }
    this.batcher.queue(this.raw, frame);
    return true;
  }

  /** Says why (a `disconnect` frame), then closes; a peer that does not finish the close is cut. */
  close(code: number, reason: string, reconnect: boolean): void {
    if (this.closing) return;
    const socket = this.socket;
    if (socket.readyState === socket.OPEN && this.buffered <= this.limits.slowConsumerBytes) {
      this.send({ type: "disconnect", code, reason, reconnect });
    }
    this.batcher.flush(this.raw); // everything we queued goes before the close frame
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
