import { randomInt } from "node:crypto";
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { textFrame, type WriteBatcher } from "../../gateway/wire.js";
import type { PusherApp } from "./config.js";

/** What this socket holds on one channel. */
export interface HeldChannel {
  /** The Pusher channel name. */
  name: string;
  /** Its Switchboard channel (`pusher:{app}:{name}`). */
  channel: string;
  /** The presence member this socket is, on a presence channel. */
  userId?: string;
  /** True once subscription_succeeded went out (events before it are not sent). */
  ready: boolean;
  /** Counted in the channel's occupancy / presence in the broker (to give back on leave). */
  occupied?: boolean;
  present?: boolean;
  /** On the app's presence subscriptions (channels.ts `membersOf`), which decide member webhooks. */
  listed?: boolean;
}

/** A Pusher socket id: two random integers, `1234.5678`, unique enough across a cluster. */
export function newSocketId(): string {
  return `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
}

const CLOSE_GRACE_MS = 2000;

/** One Pusher WebSocket connection: its app, channels, liveness and client-event budget. */
export class PusherSocket {
  readonly id = newSocketId();
  readonly channels = new Map<string, HeldChannel>();
  lastSeenAt: number;
  /** When the server sent a ping that has not been answered yet. */
  pingedAt?: number;
  /** The signed-in user (pusher:signin). */
  user?: string;
  closing = false;
  /** Counted in the app's connections (to give back on close). */
  counted = false;
  /** Frames of one socket are handled in order (a subscribe's broker work is async). */
  queue: Promise<void> = Promise.resolve();
  private tokens: number;
  private tokensAt: number;
  private readonly raw: Socket;

  constructor(
    readonly ws: WebSocket,
    readonly app: PusherApp,
    private readonly batcher: WriteBatcher,
    now: number,
  ) {
    // Frames go to the TCP socket already framed, as the native gateway writes them: a fan-out
    // builds one buffer for every subscriber (compression is off).
    this.raw = (ws as unknown as { _socket: Socket })._socket;
    this.lastSeenAt = now;
    this.tokens = app.clientEventsPerSecond;
    this.tokensAt = now;
  }

  get buffered(): number {
    return this.raw.writableLength;
  }

  /** Writes an already-framed message; false when the socket is closing or gone. */
  write(frame: Buffer): boolean {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return false;
    this.batcher.queue(this.raw, frame);
    return true;
  }

  send(message: { event: string; channel?: string; data?: unknown }): void {
    this.write(textFrame(Buffer.from(JSON.stringify(message))));
  }

  /** Pusher's error event; with `close`, the socket closes with the same code after it. */
  error(code: number, message: string, close = false): void {
    this.send({ event: "pusher:error", data: { code, message } });
    if (close) this.close(code, message);
  }

  /**
   * One client event's worth of budget, refilled at the app's `clientEventsPerSecond` (burst: one
   * second's); read on every event, so a change of the app's rate holds for open sockets at once.
   */
  takeClientEvent(now: number): boolean {
    const rate = this.app.clientEventsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.batcher.flush(this.raw); // queued frames go before the close frame
    this.closing = true;
    const ws = this.ws;
    try {
      ws.close(code, reason.slice(0, 120));
    } catch {
      ws.terminate();
    }
    setTimeout(() => {
      if (ws.readyState !== ws.CLOSED) ws.terminate();
    }, CLOSE_GRACE_MS).unref();
  }
}
