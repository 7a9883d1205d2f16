import {
  CloseCode,
  type ConnectedFrame,
  type DisconnectFrame,
  PROTOCOL_NAME,
} from "@switchboard/protocol";
import type { CommandBody, CommandType, Lane, ReplyByCommand } from "./commands.js";
import type { ConnectionEvents, ConnectionSink, ConnectionState } from "./connection_types.js";
import { Emitter } from "./emitter.js";
import { localError, toError } from "./errors.js";
import { dispatchFrame, parseServerFrame } from "./inbound.js";
import { LivenessWatchdog } from "./liveness.js";
import { browserSaysOffline, watchNetwork } from "./network.js";
import type { ResolvedOptions } from "./options.js";
import { CommandPipeline } from "./pipeline.js";
import { ABNORMAL, decideAfterClose } from "./reconnect_policy.js";
import { TokenRefresher } from "./refresher.js";
import { RetryTimer } from "./retry_timer.js";
import { TokenSource } from "./token.js";
import { abandonSocket, resolveWebSocket, type SocketLike, sendJson } from "./transport.js";

/**
 * One logical connection across many sockets: the state machine, reconnects with backoff,
 * liveness, token refresh and the command pipeline (queue → pacer → pending replies).
 * Every socket gets a generation number; callbacks from an older socket are ignored, which is
 * what keeps a late `close` event from tearing down its replacement.
 */
export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  readonly #opts: ResolvedOptions;
  readonly #sink: ConnectionSink;
  /** The token cache; `token.set()` replaces the token for the next connect or refresh. */
  readonly token: TokenSource;
  readonly #pipeline: CommandPipeline;
  readonly #watchdog = new LivenessWatchdog(() =>
    this.#end(this.#gen, ABNORMAL, "liveness timeout: no frame from the server", true),
  );
  readonly #refresher: TokenRefresher;
  #state: ConnectionState = "disconnected";
  #socket: SocketLike | undefined;
  #gen = 0;
  readonly #retry: RetryTimer;
  #info: ConnectedFrame | undefined;
  #serverDisconnect: DisconnectFrame | undefined;
  #usedCachedToken = false;
  #retriedAuth = false;
  /** The server's `retryAfterMs` on a refused connect: the next attempt waits at least this. */
  #retryAfterMs: number | undefined;
  #offline = false;
  #stopNetwork: (() => void) | undefined;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ResolvedOptions, sink: ConnectionSink) {
    this.#opts = options;
    this.#sink = sink;
    this.token = new TokenSource(options.token);
    this.#pipeline = new CommandPipeline(options.queueLimit, options.commandTimeoutMs);
    this.#retry = new RetryTimer(options.reconnect);
    this.#refresher = new TokenRefresher({
      token: this.token,
      beforeMs: options.refreshBeforeMs,
      send: async (token) => {
        await this.request({ type: "refresh", token }, { lane: "control", urgent: true });
      },
      onError: (error) => this.events.emit("error", toError(error)),
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The server's `connected` reply for the current (or last) connection. */
  get info(): ConnectedFrame | undefined {
    return this.#info;
  }

  get queued(): number {
    return this.#pipeline.queued;
  }

  connect(): void {
    if (this.#state === "connecting" || this.#state === "connected" || this.#retry.pending) return;
    this.#stopNetwork ??= watchNetwork({
      online: () => this.#onOnline(),
      offline: () => this.#onOffline(),
      visible: () => this.#onVisible(),
    });
    this.#retry.reset();
    // Listeners are off while closed, so a remembered offline state may be stale;
    // navigator.onLine is checked again when the socket is opened.
    this.#offline = false;
    void this.#open();
  }

  close(): void {
    if (this.#state === "closed") return;
    const hadSocket = this.#socket !== undefined || this.#state !== "disconnected";
    this.#gen++;
    this.#teardown("client closed", true);
    this.#stopNetwork?.();
    this.#stopNetwork = undefined;
    this.#pipeline.close(localError("closed", "client closed"));
    this.#sink.lost();
    this.#setState("closed");
    const info = { code: 1000, reason: "client closed", willReconnect: false };
    if (hadSocket) this.events.emit("disconnected", info);
  }

  /**
   * Sends a command, or queues it while offline. Control commands are only accepted while
   * connected: the subscription layer re-issues them itself after a reconnect.
   */
  request<T extends CommandType>(
    body: Extract<CommandBody, { type: T }>,
    options: { lane: Lane; resendable?: boolean; urgent?: boolean },
  ): Promise<ReplyByCommand[T]> {
    if (this.#state === "closed") return Promise.reject(localError("closed", "client is closed"));
    if (options.lane === "control" && this.#state !== "connected") {
      return Promise.reject(localError("not_connected", "not connected"));
    }
    return this.#pipeline.request(body, options);
  }

  async #open(): Promise<void> {
    const gen = ++this.#gen;
    if (this.#offline || browserSaysOffline()) {
      this.#waitForOnline();
      return;
    }
    this.#setState("connecting");
    let socket: SocketLike;
    let token: string;
    try {
      this.#usedCachedToken = this.token.willReuse(Date.now(), this.#opts.refreshBeforeMs);
      token = await this.token.get({ marginMs: this.#opts.refreshBeforeMs });
      const WebSocketImpl = await resolveWebSocket(this.#opts.WebSocket);
      if (gen !== this.#gen) return;
      socket = new WebSocketImpl(this.#opts.url, PROTOCOL_NAME);
    } catch (error) {
      if (gen !== this.#gen) return;
      this.events.emit("error", toError(error));
      this.#end(gen, ABNORMAL, `could not open a connection: ${toError(error).message}`);
      return;
    }
    this.#socket = socket;
    socket.onopen = () => this.#onOpen(gen, token);
    socket.onmessage = (event: { data: unknown }) => this.#onMessage(gen, event.data);
    socket.onclose = (event: { code: number; reason: string }) =>
      this.#end(gen, event.code, event.reason);
    // A close event always follows an error; handling it there keeps one code path.
    socket.onerror = () => {};
    this.#handshakeTimer = setTimeout(
      () => this.#end(gen, ABNORMAL, "connect timed out", true),
      this.#opts.commandTimeoutMs,
    );
  }

  #onOpen(gen: number, token: string): void {
    if (gen !== this.#gen) return;
    const body = { type: "connect" as const, token, client: this.#opts.client };
    this.#pipeline.handshake(body, (f) => this.#write(f), {
      resolve: (reply) => this.#onConnected(gen, reply),
      reject: (error) => {
        if (gen !== this.#gen) return;
        this.events.emit("error", error);
        // e.g. a token signed by a key the server's key set does not have yet: it says when
        this.#retryAfterMs = error.retryAfterMs;
        const code = error.code === "unauthorized" ? CloseCode.Unauthorized : CloseCode.Internal;
        this.#end(gen, code, error.message);
      },
    });
  }

  #onConnected(gen: number, frame: ConnectedFrame): void {
    if (gen !== this.#gen) return;
    clearTimeout(this.#handshakeTimer);
    this.#info = frame;
    this.#retry.reset();
    this.#retriedAuth = false;
    this.#retryAfterMs = undefined;
    if (frame.ping > 0) this.#watchdog.start(frame.ping * 1000 + this.#opts.livenessGraceMs);
    this.#refresher.schedule(frame.exp);
    this.#setState("connected");
    this.#sink.connected(frame);
    this.events.emit("connected", frame);
    this.#pipeline.open((f) => this.#write(f), frame.limits);
  }

  #onMessage(gen: number, data: unknown): void {
    if (gen !== this.#gen) return;
    this.#watchdog.touch();
    const frame = parseServerFrame(data);
    if (!frame) return;
    dispatchFrame(frame, {
      pipeline: this.#pipeline,
      pong: () => this.#write({ type: "pong" }),
      refresh: () => void this.#refresher.refresh(),
      disconnect: (f) => {
        this.#serverDisconnect = f;
      },
      channel: (f) => this.#sink.frame(f),
      error: (e) => this.events.emit("error", e),
    });
  }

  /** The one place a socket ends: decides whether and when to try again. */
  #end(gen: number, code: number, reason: string, forced = false): void {
    if (gen !== this.#gen || this.#state === "closed") return;
    this.#gen++;
    const decision = decideAfterClose({
      code,
      reason,
      forced,
      ...(this.#serverDisconnect && { server: this.#serverDisconnect }),
      usedCachedToken: this.#usedCachedToken,
      retriedAuth: this.#retriedAuth,
      attempt: this.#retry.attempt,
      maxAttempts: this.#opts.reconnect.maxAttempts,
    });
    this.#teardown(reason, false);
    if (decision.freshToken) this.token.invalidate();
    if (decision.spendsAuthRetry) this.#retriedAuth = true;
    this.#pipeline.lost();
    this.#sink.lost();
    const { willReconnect } = decision;
    this.events.emit("disconnected", {
      code: decision.code,
      reason: decision.reason,
      willReconnect,
    });
    if (willReconnect) this.#scheduleReconnect();
    else this.#setState("disconnected");
  }

  #teardown(reason: string, graceful: boolean): void {
    this.#retry.cancel();
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#watchdog.stop();
    this.#refresher.stop();
    this.#serverDisconnect = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) abandonSocket(socket, 1000, reason, graceful);
  }

  #scheduleReconnect(): void {
    if (this.#offline || browserSaysOffline()) {
      this.#waitForOnline();
      return;
    }
    // Between attempts the client is disconnected (what a user should see); `connecting` is
    // the attempt itself, set when the next socket opens.
    this.#setState("disconnected");
    this.#retry.schedule(() => void this.#open(), this.#retryAfterMs);
    this.#retryAfterMs = undefined;
  }

  #waitForOnline(): void {
    this.#offline = true;
    this.#setState("disconnected");
  }

  #onOnline(): void {
    const waiting = this.#offline || this.#retry.pending;
    this.#offline = false;
    if (this.#state === "closed" || !waiting) return;
    // A new network is a new situation: the old backoff says nothing about it.
    this.#retry.cancel();
    this.#retry.reset();
    void this.#open();
  }

  #onOffline(): void {
    this.#offline = true;
    if (this.#state === "closed" || this.#state === "disconnected") return;
    if (this.#socket) {
      this.#end(this.#gen, ABNORMAL, "browser went offline", true);
      return;
    }
    // Waiting out a backoff or fetching a token: there is nothing to close, just stop trying.
    this.#gen++;
    this.#teardown("browser went offline", false);
    this.#waitForOnline();
  }

  #onVisible(): void {
    if (this.#state === "connected" && this.#watchdog.isStale()) {
      this.#retry.reset();
      this.#end(this.#gen, ABNORMAL, "liveness timeout: connection went stale", true);
    } else {
      // The user is looking again: do not make them wait out a long backoff.
      this.#retry.fireNow();
    }
  }

  #write(frame: object): void {
    if (this.#socket) sendJson(this.#socket, frame, (e) => this.events.emit("error", e));
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.events.emit("state", state);
  }
}
