import type { ConnectedFrame, Limits } from "@switchboard/protocol";
import type { Command, CommandBody, CommandType, Lane, ReplyByCommand } from "./commands.js";
import { localError, type SwitchboardError } from "./errors.js";
import { Outbox } from "./outbox.js";
import { PendingReplies } from "./pending.js";
import { TokenBucket } from "./token_bucket.js";

type Write = (frame: object) => void;

/**
 * The path of a command from the application to the wire: the offline queue, the rate pacer
 * and the table of commands waiting for a reply. It writes only while a connection is up.
 */
export class CommandPipeline {
  readonly pending = new PendingReplies();
  readonly #outbox: Outbox;
  readonly #timeoutMs: number;
  #write: Write | undefined;
  #bucket: TokenBucket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /**
   * Between `connect` written and its reply: where, and how many more, control commands may be
   * written right behind it (the SDK's resubscribes), before the server's limits are known.
   */
  #early: { write: Write; left: number } | undefined;
  /** Application commands not yet answered: queued, in flight, or waiting to be retried. */
  #unanswered = 0;
  #whenDrained: (() => void) | undefined;

  constructor(queueLimit: number, timeoutMs: number) {
    this.#outbox = new Outbox(queueLimit);
    this.#timeoutMs = timeoutMs;
  }

  /** Application commands waiting to be sent. */
  get queued(): number {
    return this.#outbox.userSize;
  }

  /** Application commands not answered yet (queued, in flight, or waiting out `rate_limited`). */
  get unanswered(): number {
    return this.#unanswered;
  }

  /** Calls `fn` once every application command has been answered (at once if none is waiting). */
  onDrained(fn: (() => void) | undefined): void {
    this.#whenDrained = fn;
    this.#checkDrained();
  }

  /** Queues a command and resolves with its reply frame. */
  request<T extends CommandType>(
    body: Extract<CommandBody, { type: T }>,
    options: { lane: Lane; resendable?: boolean; urgent?: boolean },
  ): Promise<ReplyByCommand[T]> {
    return new Promise<ReplyByCommand[T]>((resolve, reject) => {
      const counted = options.lane === "user";
      if (counted) this.#unanswered++;
      let settled = false;
      const settle = () => {
        if (settled || !counted) return;
        settled = true;
        this.#unanswered--;
        this.#checkDrained();
      };
      const command: Command = {
        body,
        lane: options.lane,
        resendable: options.resendable ?? false,
        resolve: (reply) => {
          settle();
          resolve(reply as ReplyByCommand[T]);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.enqueue(command, options.urgent ?? false);
    });
  }

  /** Whether control commands are written right behind an unanswered `connect` now. */
  get early(): boolean {
    return this.#early !== undefined;
  }

  enqueue(command: Command, urgent = false): void {
    const early = this.#early;
    if (early && command.lane === "control" && early.left > 0) {
      early.left--;
      this.#send(early.write, command);
      return;
    }
    this.#outbox.push(command, { urgent });
    this.#pump();
  }

  /**
   * Writes `connect` on a new socket, outside the queue: it must come before anything else.
   * The connection's handshake timer bounds it, so it has no reply timeout of its own.
   * `rateBurst` (the server's, as last announced; 0: none): until the reply, control commands
   * are written right behind connect, as many as the pacer would let through in one burst
   * (the server counts them against the same bucket).
   */
  handshake(
    body: Extract<CommandBody, { type: "connect" }>,
    write: Write,
    handlers: { resolve(reply: ConnectedFrame): void; reject(error: SwitchboardError): void },
    rateBurst = 0,
  ): void {
    this.pending.resetIds();
    const left = Math.floor(rateBurst * 0.8) - 1;
    this.#early = left > 0 ? { write, left } : undefined;
    const command: Command = {
      body,
      lane: "control",
      resendable: false,
      resolve: (reply) => handlers.resolve(reply as ConnectedFrame),
      reject: handlers.reject,
    };
    write({ ...body, id: this.pending.add(command, 0, () => {}) });
  }

  /** The connection is up: start writing, paced a little under the server's announced limits. */
  open(write: Write, limits: Limits): void {
    this.#early = undefined;
    this.#closed = false;
    this.#write = write;
    this.#bucket = new TokenBucket(
      limits.ratePerSecond * 0.9,
      Math.max(1, Math.floor(limits.rateBurst * 0.8)),
    );
    this.#pump();
  }

  /**
   * The socket is gone. The SDK's own commands are dropped (they are rebuilt on reconnect);
   * application commands in flight are sent again when that cannot apply them twice, and
   * rejected otherwise, because the server may or may not have applied them.
   */
  lost(): void {
    this.#early = undefined;
    this.#write = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lost = localError("connection_lost", "connection lost before the reply");
    const unsure = localError(
      "connection_lost",
      "connection lost before the reply; the command may or may not have been applied",
    );
    const resend: Command[] = [];
    for (const command of this.pending.drain()) {
      if (command.lane === "control") command.reject(lost);
      else if (command.resendable) resend.push(command);
      else command.reject(unsure);
    }
    this.#outbox.dropControl(lost);
    this.#outbox.requeue(resend);
  }

  /** The client was closed: nothing queued or in flight will ever be answered. */
  close(error: SwitchboardError): void {
    this.#early = undefined;
    this.#write = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    const unsure = localError(
      "closed",
      "client closed before the reply; the command may or may not have been applied",
    );
    for (const command of this.pending.drain()) {
      command.reject(command.lane === "control" ? error : unsure);
    }
    this.#outbox.rejectAll(error);
  }

  /** Sends a command again after the server asked us to wait (`rate_limited`). */
  retryLater(command: Command, delayMs: number): void {
    setTimeout(() => {
      if (this.#closed) command.reject(localError("closed", "client closed"));
      else if (command.lane === "control" && !this.#write) {
        command.reject(localError("connection_lost", "connection lost"));
      } else this.enqueue(command, true);
    }, delayMs);
  }

  #checkDrained(): void {
    if (this.#unanswered > 0 || !this.#whenDrained) return;
    const fn = this.#whenDrained;
    this.#whenDrained = undefined;
    fn();
  }

  #pump(): void {
    if (!this.#write || this.#timer) return;
    while (this.#outbox.size > 0) {
      const wait = this.#bucket?.take() ?? 0;
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      const command = this.#outbox.shift();
      if (!command) return;
      this.#send(this.#write, command);
    }
  }

  #send(write: Write, command: Command): void {
    const timeoutMs = this.#timeoutMs;
    const id = this.pending.add(command, timeoutMs, (c) =>
      c.reject(localError("timeout", `${c.body.type} timed out after ${timeoutMs} ms`)),
    );
    write({ ...command.body, id });
  }
}
