import type { ServerResponse } from "node:http";
import type { SessionLink } from "./session.js";
import type { OutFrame, WriteBatcher } from "./wire.js";

const DATA = Buffer.from("data: ");
const END = Buffer.from("\n\n");
/** How long a closing stream may take to flush its last event before it is cut. */
const CLOSE_GRACE_MS = 2000;

/** One Server-Sent Event; `data` must hold no newline (JSON.stringify never writes one). */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A session over the HTTP fallback: server → client frames are the `data:` lines of a
 * `text/event-stream` response (one protocol frame per event, the same JSON as a WebSocket text
 * frame); the stream ends with an `event: close` carrying the close code and reason, as a
 * WebSocket close frame would.
 */
export class HttpLink implements SessionLink {
  readonly kind = "http" as const;
  private ended = false;

  constructor(
    readonly res: ServerResponse,
    private readonly batcher: WriteBatcher,
  ) {}

  get open(): boolean {
    return !this.ended && !this.res.destroyed && this.res.writable;
  }

  /** What the response holds unsent, plus this turn's batch for it (memory all the same). */
  get buffered(): number {
    return this.res.writableLength + this.batcher.queued(this.res);
  }

  write(frame: OutFrame): void {
    this.batcher.queue(this.res, DATA);
    this.batcher.queue(this.res, frame.payload);
    this.batcher.queue(this.res, END);
  }

  flush(): void {
    this.batcher.flush(this.res);
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    const res = this.res;
    if (!res.destroyed) res.end(sseEvent("close", { code, reason: reason.slice(0, 120) }));
    setTimeout(() => {
      if (!res.writableFinished) res.destroy();
    }, CLOSE_GRACE_MS).unref();
  }

  drop(): void {
    this.terminate();
  }

  terminate(): void {
    this.ended = true;
    this.res.destroy();
  }
}
