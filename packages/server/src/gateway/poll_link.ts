import { CloseCode } from "@switchboard/protocol";
import { SwitchboardError } from "../errors.js";
import { sseEvent } from "./http_link.js";
import type { SessionLink } from "./session.js";
import type { OutFrame, Sink, WriteBatcher } from "./wire.js";

const DATA = Buffer.from("data: ");
const END = Buffer.from("\n\n");

/** A poll answer holds at most about this much (the rest waits for the next poll). */
const MAX_BATCH_BYTES = 256 * 1024;
/** After the close batch, or with no poll coming to fetch it, the session ends after this. */
const FINISH_GRACE_MS = 5_000;

/** Answers one held poll with a body (SSE-formatted events; "" = nothing came in time). */
export type PollAnswer = (body: string) => void;

/**
 * A session over long polling, for proxies that hold a streaming response until it ends: the
 * frames for the client wait here until it polls (POST /ws/poll), and each answer is one numbered
 * batch. The client's next poll acknowledges the batch by its number; a poll acknowledging the
 * one before gets the same batch again, so a lost answer loses nothing. A poll with nothing to
 * take is held open until frames come or the poll times out.
 */
export class PollLink implements SessionLink {
  readonly kind = "longpoll" as const;
  /** Whole events (`data: …\n\n`), as the write batcher hands them over at the end of a turn. */
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** What the batcher writes to: this turn's frames land in the queue together. */
  private readonly sink: Sink;
  /** Number of the last batch handed out. */
  private batch = 0;
  /** The last batch, until the client acknowledges it. */
  private unacked: { n: number; body: string } | undefined;
  private waiter: { answer: PollAnswer; timer: NodeJS.Timeout } | undefined;
  private closedWith: { code: number; reason: string } | undefined;
  private finished = false;
  private finishTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly batcher: WriteBatcher,
    private readonly timeoutMs: number,
    /** Called once, when the session is over (its close delivered, or given up on). */
    private readonly onFinish: () => void,
  ) {
    const link = this;
    this.sink = {
      get destroyed() {
        return link.finished;
      },
      get writable() {
        return !link.finished;
      },
      write(chunk: Buffer): boolean {
        if (link.closedWith || link.finished) return true; // after a drop: discarded
        link.queue.push(chunk);
        link.queuedBytes += chunk.length;
        link.answerWaiter();
        return true;
      },
    };
  }

  get open(): boolean {
    return this.closedWith === undefined && !this.finished;
  }

  get buffered(): number {
    return this.queuedBytes + this.batcher.queued(this.sink) + (this.unacked?.body.length ?? 0);
  }

  write(frame: OutFrame): void {
    if (!this.open) return;
    this.batcher.queue(this.sink, DATA);
    this.batcher.queue(this.sink, frame.payload);
    this.batcher.queue(this.sink, END);
  }

  /** Frames written in this turn go to a waiting poll now. */
  flush(): void {
    this.batcher.flush(this.sink);
    this.answerWaiter();
  }

  private answerWaiter(): void {
    if (this.waiter && (this.queue.length > 0 || this.closedWith)) {
      const { answer, timer } = this.waiter;
      this.waiter = undefined;
      clearTimeout(timer);
      answer(this.nextBatch());
    }
  }

  close(code: number, reason: string): void {
    if (this.closedWith || this.finished) return;
    this.flush();
    this.closeWith(code, reason);
  }

  drop(reason: string): void {
    if (this.closedWith || this.finished) return;
    // Nothing more is sent behind a full buffer: what waits is discarded, the close goes out.
    this.queue = [];
    this.queuedBytes = 0;
    this.closeWith(CloseCode.Internal, reason);
  }

  private closeWith(code: number, reason: string): void {
    this.closedWith = { code, reason: reason.slice(0, 120) };
    this.answerWaiter();
    // No poll comes to fetch the close (the client is gone): end anyway.
    this.finishTimer ??= setTimeout(() => this.finish(), this.timeoutMs + FINISH_GRACE_MS);
    this.finishTimer.unref();
  }

  terminate(): void {
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.answer("");
      this.waiter = undefined;
    }
    this.finish();
  }

  /**
   * One poll. `ack` is the number of the last batch the client received (0 before any). A newer
   * poll replaces one still held (that one is answered empty).
   */
  poll(ack: number, answer: PollAnswer): void {
    if (this.finished) throw new SwitchboardError("not_found", "no such stream: it ended");
    if (this.unacked && ack === this.unacked.n - 1) {
      answer(this.unacked.body); // the answer was lost on the way: the same batch again
      return;
    }
    if (ack !== this.batch) {
      throw new SwitchboardError(
        "bad_request",
        `ack must be ${this.batch} (the last batch received) or ${this.batch - 1}`,
      );
    }
    this.unacked = undefined;
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.answer("");
    }
    if (this.queue.length > 0 || this.closedWith) {
      this.waiter = undefined;
      answer(this.nextBatch());
      return;
    }
    const timer = setTimeout(() => {
      if (this.waiter?.timer !== timer) return;
      this.waiter = undefined;
      answer("");
    }, this.timeoutMs);
    this.waiter = { answer, timer };
  }

  /** Takes what is queued (up to a size) as the next numbered batch, with the close if it is due. */
  private nextBatch(): string {
    const n = ++this.batch;
    let body = sseEvent("batch", { n });
    let taken = 0;
    let bytes = 0;
    for (const chunk of this.queue) {
      if (taken > 0 && bytes + chunk.length > MAX_BATCH_BYTES) break;
      body += chunk.toString("utf8");
      bytes += chunk.length;
      taken++;
    }
    this.queue.splice(0, taken);
    this.queuedBytes -= bytes;
    if (this.closedWith && this.queue.length === 0) {
      body += sseEvent("close", this.closedWith);
      // The close is on its way: the session ends (a client that lost it finds the stream gone).
      queueMicrotask(() => this.finish());
    }
    this.unacked = { n, body };
    return body;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.finishTimer);
    this.queue = [];
    this.queuedBytes = 0;
    this.onFinish();
  }
}
