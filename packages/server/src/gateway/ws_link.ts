import type { Socket } from "node:net";
import { CloseCode } from "@switchboard/protocol";
import type { WebSocket } from "ws";
import type { SessionLink } from "./session.js";
import type { CompressionSettings, OutFrame, WriteBatcher } from "./wire.js";

/** How long a closing socket may take to flush its close frame before it is cut. */
const CLOSE_GRACE_MS = 2000;

/**
 * A session over a WebSocket. Frames are written to the TCP socket under it, already framed:
 * what ws.send would write, minus a header built per socket and a cork per message. With
 * permessage-deflate negotiated, large frames go compressed, each compressed once for all
 * sockets (see OutFrame).
 */
export class WsLink implements SessionLink {
  readonly kind = "websocket" as const;
  /** ws keeps its socket private; we write to it directly. */
  private readonly raw: Socket;

  constructor(
    readonly ws: WebSocket,
    private readonly batcher: WriteBatcher,
    /** Set when this client negotiated permessage-deflate. */
    private readonly compression: CompressionSettings | undefined,
  ) {
    this.raw = (ws as unknown as { _socket: Socket })._socket;
  }

  get compressed(): boolean {
    return this.compression !== undefined;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** What the socket holds unsent, plus this turn's batch for it (memory all the same). */
  get buffered(): number {
    return this.raw.writableLength + this.batcher.queued(this.raw);
  }

  write(frame: OutFrame): void {
    this.batcher.queue(
      this.raw,
      this.compression ? frame.wsCompressed(this.compression) : frame.ws,
    );
  }

  flush(): void {
    this.batcher.flush(this.raw);
  }

  close(code: number, reason: string): void {
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

  drop(reason: string): void {
    const ws = this.ws;
    try {
      ws.close(CloseCode.Internal, reason);
    } catch {
      // already closing
    }
    setTimeout(() => ws.terminate(), 250).unref();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
