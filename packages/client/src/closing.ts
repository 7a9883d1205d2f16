import type { CloseOptions } from "./connection_types.js";
import type { DebugLog } from "./debug_log.js";
import type { CommandPipeline } from "./pipeline.js";
import { closeSocket, type SocketLike } from "./transport.js";

/** How long a closing socket waits for the server to answer its close frame. */
const CLOSE_HANDSHAKE_MS = 1000;
export const NORMAL_CLOSE = 1000;

/** What `close()` needs from the connection it closes. */
export interface CloseHost {
  readonly pipeline: CommandPipeline;
  readonly log: DebugLog;
  /** A connection is up or being opened, or one will be (backoff, or waiting for the network). */
  mayStillSend(): boolean;
  /**
   * Ends everything now (timers, listeners, the state `closed`, what is left rejected) and hands
   * over the socket, if there is one, for its closing handshake.
   */
  shutDown(why: string): SocketLike | undefined;
}

interface Drain {
  resolve(): void;
  done: Promise<void>;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * `close()`: unless forced, it first waits for the application's commands (queued, in flight,
 * waiting out a rate limit) to be answered, for at most `timeoutMs`, reconnecting if it has to;
 * then it closes the socket with 1000 and resolves once the server has answered the close frame.
 * A drain ends once: every command answered, time up, forced, the connection ended for good, or
 * called off by `connect()`.
 */
export class Closing {
  readonly #host: CloseHost;
  readonly #defaultTimeoutMs: number;
  #drain: Drain | undefined;
  /** The last close: resolves once its socket has closed. */
  #closed: Promise<void> = Promise.resolve();

  constructor(host: CloseHost, defaultTimeoutMs: number) {
    this.#host = host;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  get draining(): boolean {
    return this.#drain !== undefined;
  }

  /** The last close (after the state became `closed`). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  close(options: CloseOptions): Promise<void> {
    if (this.#drain) {
      if (options.force) this.finish("forced");
      return this.#drain?.done ?? this.#closed;
    }
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    const { pipeline, log } = this.#host;
    const unanswered = pipeline.unanswered;
    if (options.force || timeoutMs <= 0 || unanswered === 0 || !this.#host.mayStillSend()) {
      return this.finish(options.force ? "forced" : "nothing to wait for");
    }
    log.log("close", `closing: waiting up to ${timeoutMs} ms for ${unanswered} command(s)`, {
      unanswered,
      timeoutMs,
    });
    let resolve = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const timer = setTimeout(() => this.finish(`timed out after ${timeoutMs} ms`), timeoutMs);
    this.#drain = { resolve, done, timer };
    pipeline.onDrained(() => this.finish("every command was answered"));
    return done;
  }

  /** `connect()` during a drain: the application changed its mind (e.g. a React remount). */
  callOff(): void {
    const drain = this.#stopDrain();
    if (!drain) return;
    this.#host.log.log("close", "close called off by connect()");
    drain.resolve();
  }

  /** Closes now, whatever is still waiting. */
  finish(why: string): Promise<void> {
    // Stopped before the host rejects what is left, which would otherwise count as drained.
    const drain = this.#stopDrain();
    const socket = this.#host.shutDown(why);
    this.#closed = socket
      ? closeSocket(socket, NORMAL_CLOSE, "client closed", CLOSE_HANDSHAKE_MS)
      : Promise.resolve();
    if (drain) void this.#closed.then(drain.resolve);
    return this.#closed;
  }

  #stopDrain(): Drain | undefined {
    const drain = this.#drain;
    this.#drain = undefined;
    if (drain) clearTimeout(drain.timer);
    this.#host.pipeline.onDrained(undefined);
    return drain;
  }
}
