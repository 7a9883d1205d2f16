import {
  CloseCode,
  type ConnectedFrame,
  DEFAULT_LIMITS,
  type DisconnectFrame,
  PROTOCOL_NAME,
} from "@switchboard/protocol";
import { Closing, NORMAL_CLOSE } from "./closing.js";
import type { CommandBody, CommandType, Lane, ReplyByCommand } from "./commands.js";
import type {
  CloseOptions,
  ConnectionEvents,
  ConnectionSink,
  ConnectionState,
} from "./connection_types.js";
import { DebugLog } from "./debug_log.js";
import { Emitter } from "./emitter.js";
import { localError, toError } from "./errors.js";
import { HttpSocket } from "./http_socket.js";
import { dispatchFrame, parseServerFrame } from "./inbound.js";
import { LivenessWatchdog } from "./liveness.js";
import { browserSaysOffline, watchNetwork } from "./network.js";
import type { ResolvedOptions } from "./options.js";
import { CommandPipeline } from "./pipeline.js";
import { ABNORMAL, decideAfterClose } from "./reconnect_policy.js";
import { TokenRefresher } from "./refresher.js";
import { RetryTimer } from "./retry_timer.js";
import { TokenSource } from "./token.js";
import {
  abandonSocket,
  resolveWebSocket,
  type SocketLike,
  sendJson,
  webSocketAvailable,
} from "./transport.js";
import { TransportChooser, type TransportName } from "./transport_choice.js";

/** How long a WebSocket probe (while on the HTTP fallback) may take to open. */
const PROBE_TIMEOUT_MS = 10_000;

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
  readonly #log: DebugLog;
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
  readonly #closing: Closing;
  readonly #transports: TransportChooser;
  /** The transport of the current socket, and whether that socket got through (opened). */
  #kind: TransportName | undefined;
  #opened = false;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;
  #probe: SocketLike | undefined;

  constructor(options: ResolvedOptions, sink: ConnectionSink) {
    this.#opts = options;
    this.#sink = sink;
    this.#log = new DebugLog(options.logger);
    this.token = new TokenSource(options.token);
    this.#pipeline = new CommandPipeline(options.queueLimit, options.commandTimeoutMs);
    this.#retry = new RetryTimer(options.reconnect);
    this.#transports = new TransportChooser(options.transports, options.upgradeAfterMs);
    this.#refresher = new TokenRefresher({
      token: this.token,
      beforeMs: options.refreshBeforeMs,
      send: async (token) => {
        await this.request({ type: "refresh", token }, { lane: "control", urgent: true });
      },
      onError: (error) => this.events.emit("error", toError(error)),
    });
    this.#closing = new Closing(
      {
        pipeline: this.#pipeline,
        log: this.#log,
        mayStillSend: () => this.#mayStillSend(),
        shutDown: (why) => this.#shutDown(why),
      },
      options.closeTimeoutMs,
    );
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

  /** The transport of the current connection (undefined while not connected). */
  get transport(): TransportName | undefined {
    return this.#state === "connected" ? this.#kind : undefined;
  }

  connect(): void {
    this.#closing.callOff();
    if (this.#state === "connecting" || this.#state === "connected" || this.#retry.pending) return;
    this.#stopNetwork ??= watchNetwork({
      online: () => this.#onOnline(),
      offline: () => this.#onOffline(),
      back: (why) => this.#onPageBack(why),
    });
    this.#retry.reset();
    // Listeners are off while closed, so a remembered offline state may be stale;
    // navigator.onLine is checked again when the socket is opened.
    this.#offline = false;
    void this.#open();
  }

  /** See Closing: drains (unless forced or out of time), then closes with 1000. */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#state === "closed") return this.#closing.closed;
    return this.#closing.close(options);
  }

  /**
   * Whether commands still have a way out: a connection is up or being opened, or one will be
   * (a backoff wait, or the network coming back). Not after a close the client must not retry.
   */
  #mayStillSend(): boolean {
    return (
      this.#state === "connected" ||
      this.#state === "connecting" ||
      this.#retry.pending ||
      this.#offline
    );
  }

  #shutDown(why: string): SocketLike | undefined {
    const hadSocket = this.#socket !== undefined || this.#state !== "disconnected";
    this.#gen++;
    const socket = this.#teardown();
    this.#stopNetwork?.();
    this.#stopNetwork = undefined;
    const left = this.#pipeline.unanswered;
    this.#pipeline.close(localError("closed", "client closed"));
    this.#sink.lost();
    const rejected = left > 0 ? `: ${left} command(s) rejected` : "";
    this.#log.log("close", `closed (${why})${rejected}`, { code: NORMAL_CLOSE, rejected: left });
    this.#setState("closed");
    const info = { code: NORMAL_CLOSE, reason: "client closed", willReconnect: false };
    if (hadSocket) this.events.emit("disconnected", info);
    return socket;
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
    if (this.#closing.draining && options.lane === "user") {
      return Promise.reject(localError("closed", "client is closing"));
    }
    this.checkLiveness("about to send");
    if (options.lane === "control" && this.#state !== "connected" && !this.#pipeline.early) {
      return Promise.reject(localError("not_connected", "not connected"));
    }
    return this.#pipeline.request(body, options);
  }

  /**
   * Replaces the connection now if it has been silent for longer than the server's ping allows.
   * Called before anything is sent: right after a machine wakes up, the application may write
   * before the watchdog's timer has had a chance to run, and a command written into a dead
   * socket is lost with it.
   */
  checkLiveness(why: string): boolean {
    if (this.#state !== "connected" || !this.#watchdog.isStale()) return false;
    this.#log.log("reconnect", `${why}: the connection went stale, replacing it`);
    this.#retry.reset();
    this.#end(this.#gen, ABNORMAL, "liveness timeout: connection went stale", true);
    return true;
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
    if (
      this.#transports.current === "websocket" &&
      !webSocketAvailable(this.#opts.WebSocket) &&
      this.#transports.allowed.some((t) => t !== "websocket")
    ) {
      this.#transports.failed("websocket");
      this.#log.log("transport", `no WebSocket here: using ${this.#transports.current}`);
    }
    const kind = this.#transports.current;
    this.#kind = kind;
    this.#opened = false;
    try {
      this.#usedCachedToken = this.token.willReuse(Date.now(), this.#opts.refreshBeforeMs);
      token = await this.token.get({ marginMs: this.#opts.refreshBeforeMs });
      if (kind !== "websocket") {
        if (gen !== this.#gen) return;
        socket = new HttpSocket(this.#opts.url, kind === "longpoll" ? "poll" : "stream");
      } else {
        const WebSocketImpl = await resolveWebSocket(this.#opts.WebSocket);
        if (gen !== this.#gen) return;
        socket = new WebSocketImpl(this.#opts.url, PROTOCOL_NAME);
      }
    } catch (error) {
      if (gen !== this.#gen) return;
      this.events.emit("error", toError(error));
      this.#end(gen, ABNORMAL, `could not open a connection: ${toError(error).message}`);
      return;
    }
    this.#log.log("transport", `opening over ${kind}`, { transport: kind });
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
    this.#opened = true;
    const body = { type: "connect" as const, token, client: this.#opts.client };
    this.#pipeline.handshake(
      body,
      (f) => this.#write(f),
      {
        resolve: (reply) => this.#onConnected(gen, reply),
        reject: (error) => {
          if (gen !== this.#gen) return;
          this.events.emit("error", error);
          // e.g. a token signed by a key the server's key set does not have yet: it says when
          this.#retryAfterMs = error.retryAfterMs;
          const code = error.code === "unauthorized" ? CloseCode.Unauthorized : CloseCode.Internal;
          this.#end(gen, code, error.message);
        },
      },
      // Over a WebSocket the frames arrive in order, so resubscribes can go right behind
      // connect; the fallback's POSTs are sent once connected, as before.
      this.#kind === "websocket" ? (this.#info?.limits.rateBurst ?? DEFAULT_LIMITS.rateBurst) : 0,
    );
    if (this.#pipeline.early) this.#sink.handshaking?.();
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
    this.#scheduleProbe(gen);
    this.#sink.connected(frame);
    this.events.emit("connected", frame);
    this.#pipeline.open((f) => this.#write(f), frame.limits);
  }

  #onMessage(gen: number, data: unknown): void {
    if (gen !== this.#gen) return;
    this.#watchdog.touch();
    const frame = parseServerFrame(data);
    if (!frame) return;
    if (this.#log.enabled) this.#log.frame("in", frame);
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
    // A socket that never got through (or never got an answer to connect) says nothing about the
    // server and everything about the way there: try the other transport next.
    if (this.#kind && this.#state === "connecting" && (!this.#opened || forced)) {
      // Not refused, just never answered in time (forced by the handshake timer): for an event
      // stream, the mark of a proxy that buffers it.
      this.#transports.failed(this.#kind, forced);
      this.#log.log(
        "transport",
        `${this.#kind} did not get through; next: ${this.#transports.current}`,
      );
    }
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
    const socket = this.#teardown();
    if (socket) abandonSocket(socket, NORMAL_CLOSE, reason, false);
    if (decision.freshToken) this.token.invalidate();
    if (decision.spendsAuthRetry) this.#retriedAuth = true;
    this.#pipeline.lost();
    this.#sink.lost();
    const { willReconnect } = decision;
    this.#log.log(
      "reconnect",
      `socket ended (${decision.code} ${decision.reason}): ${willReconnect ? "will reconnect" : "not reconnecting"}`,
      {
        code: decision.code,
        reason: decision.reason,
        willReconnect,
        freshToken: decision.freshToken,
      },
    );
    this.events.emit("disconnected", {
      code: decision.code,
      reason: decision.reason,
      willReconnect,
    });
    if (willReconnect) this.#scheduleReconnect();
    else {
      this.#setState("disconnected");
      // A draining close has nothing left to wait for.
      if (this.#closing.draining) this.#closing.finish("the connection ended for good");
    }
  }

  /** Stops every timer of the current connection and detaches its socket, which it returns. */
  #teardown(): SocketLike | undefined {
    this.#retry.cancel();
    this.#stopProbe();
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#watchdog.stop();
    this.#refresher.stop();
    this.#serverDisconnect = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    return socket;
  }

  #scheduleReconnect(): void {
    if (this.#offline || browserSaysOffline()) {
      this.#waitForOnline();
      return;
    }
    // Between attempts the client is disconnected (what a user should see); `connecting` is
    // the attempt itself, set when the next socket opens.
    this.#setState("disconnected");
    const delay = this.#retry.schedule(() => void this.#open(), this.#retryAfterMs);
    this.#retryAfterMs = undefined;
    this.#log.log("reconnect", `next attempt in ${delay} ms (attempt ${this.#retry.attempt})`, {
      delayMs: delay,
      attempt: this.#retry.attempt,
    });
  }

  #waitForOnline(): void {
    this.#offline = true;
    this.#log.log("reconnect", "offline: waiting for the network to come back");
    this.#setState("disconnected");
  }

  #onOnline(): void {
    const waiting = this.#offline || this.#retry.pending;
    this.#offline = false;
    if (this.#state === "closed" || !waiting) return;
    // A new network is a new situation: the old backoff says nothing about it.
    this.#log.log("reconnect", "online: connecting now");
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
    this.#teardown();
    this.#waitForOnline();
  }

  #onPageBack(why: string): void {
    if (!this.checkLiveness(why) && this.#retry.pending) {
      // The user is looking again: do not make them wait out a long backoff.
      this.#log.log("reconnect", `${why}: retrying now instead of waiting`);
      this.#retry.fireNow();
    }
  }

  /** On the fallback: in a while, see whether a WebSocket gets through now. */
  #scheduleProbe(gen: number): void {
    const kind = this.#kind;
    const after = kind && this.#transports.probeAfter(kind);
    if (after === undefined) return;
    this.#probeTimer = setTimeout(() => void this.#runProbe(gen), after);
  }

  async #runProbe(gen: number): Promise<void> {
    if (gen !== this.#gen || !webSocketAvailable(this.#opts.WebSocket)) return;
    let probe: SocketLike;
    try {
      const WebSocketImpl = await resolveWebSocket(this.#opts.WebSocket);
      if (gen !== this.#gen) return;
      probe = new WebSocketImpl(this.#opts.url, PROTOCOL_NAME);
    } catch {
      this.#transports.probeFailed();
      this.#scheduleProbe(gen);
      return;
    }
    this.#probe = probe;
    const failed = () => {
      if (this.#probe !== probe) return;
      this.#stopProbe();
      this.#transports.probeFailed();
      this.#log.log("transport", `WebSocket probe failed: staying on ${this.#kind}`);
      this.#scheduleProbe(gen);
    };
    this.#probeTimer = setTimeout(failed, PROBE_TIMEOUT_MS);
    probe.onerror = () => {};
    probe.onclose = failed;
    probe.onopen = () => {
      if (this.#probe !== probe || gen !== this.#gen) return;
      this.#stopProbe();
      this.#transports.upgraded();
      this.#log.log("transport", "WebSocket gets through again: switching to it");
      this.#retry.reset();
      // Subscriptions recover across the switch, as across any reconnect.
      this.#end(gen, NORMAL_CLOSE, "switching to WebSocket", true);
    };
  }

  #stopProbe(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    const probe = this.#probe;
    this.#probe = undefined;
    if (probe) abandonSocket(probe, NORMAL_CLOSE, "probe", true);
  }

  #write(frame: object): void {
    if (!this.#socket) return;
    if (this.#log.enabled) this.#log.frame("out", frame);
    sendJson(this.#socket, frame, (e) => this.events.emit("error", e));
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#log.log("state", `${this.#state} → ${state}`, { from: this.#state, to: state });
    this.#state = state;
    this.events.emit("state", state);
  }
}
