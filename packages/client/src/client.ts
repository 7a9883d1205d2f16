import { type ConnectedFrame, isValidChannel, type StreamPosition } from "@switchboard/protocol";
import { Connection } from "./connection.js";
import type {
  ChannelFrame,
  CloseOptions,
  ConnectionState,
  DisconnectInfo,
} from "./connection_types.js";
import { Emitter } from "./emitter.js";
import { SwitchboardError } from "./errors.js";
import { idempotencyKey } from "./ids.js";
import { resolveOptions, type SwitchboardOptions } from "./options.js";
import type { PresenceState } from "./presence.js";
import { Subscription } from "./subscription.js";
import type {
  ChannelMessage,
  HistoryOptions,
  HistoryResult,
  PublishOptions,
  PublishResult,
  SubscriptionHost,
} from "./subscription_types.js";
import type { TokenProvider } from "./token.js";
import type { TransportName } from "./transport_choice.js";

export interface ClientEvents {
  state: ConnectionState;
  /** A connection was established (the server's `connected` reply). */
  connected: ConnectedFrame;
  /** A socket ended; `willReconnect` says whether the SDK will try again by itself. */
  disconnected: DisconnectInfo;
  error: Error;
  /** Every message delivered on any channel. */
  message: ChannelMessage;
}

export interface SubscribeOptions {
  /**
   * `true`: keep a live member list (`members`, `presence` events). `false`: subscribe without
   * being counted in the channel's presence. Absent: counted, list not tracked.
   */
  presence?: boolean;
  /** Resume from a position saved earlier (e.g. in storage), instead of from now. */
  recover?: StreamPosition;
  /**
   * The events this channel may carry as signals (no offset: typing…). When set, any other event
   * arriving without an offset is dropped: someone allowed to signal cannot pass one off as a
   * message, a receipt or a status. Absent: every signal is delivered.
   */
  signals?: readonly string[];
}

/**
 * The Switchboard client: one logical connection that survives network changes, server
 * restarts and expiring tokens, with channels that recover what they missed.
 */
export class Switchboard {
  readonly #events = new Emitter<ClientEvents>();
  readonly #connection: Connection;
  readonly #subscriptions = new Map<string, Subscription>();
  /** Subscriptions whose subscribe went right behind this socket's `connect`. */
  readonly #early = new Set<Subscription>();
  readonly #host: SubscriptionHost;

  constructor(options: SwitchboardOptions) {
    this.#connection = new Connection(resolveOptions(options), {
      handshaking: () => {
        for (const subscription of this.#subscriptions.values())
          if (subscription._connected(true)) this.#early.add(subscription);
      },
      connected: () => {
        for (const subscription of this.#subscriptions.values())
          if (!this.#early.has(subscription)) subscription._connected();
        this.#early.clear();
      },
      lost: () => {
        this.#early.clear();
        for (const subscription of this.#subscriptions.values()) subscription._lost();
      },
      frame: (frame) => this.#onChannelFrame(frame),
    });
    const events = this.#connection.events;
    events.on("state", (s) => this.#events.emit("state", s));
    events.on("connected", (f) => this.#events.emit("connected", f));
    events.on("disconnected", (d) => this.#events.emit("disconnected", d));
    events.on("error", (e) => this.#events.emit("error", e));
    this.#host = this.#makeHost();
  }

  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** The authenticated user of the current (or last) connection. */
  get user(): { id: string; name?: string; role: string } | undefined {
    const info = this.#connection.info;
    return info && { ...info.user, role: info.role };
  }

  /** The server's `connected` reply: session id, ping interval, limits, token expiry. */
  get connection(): ConnectedFrame | undefined {
    return this.#connection.info;
  }

  /**
   * How the current connection reaches the server: `"websocket"`, `"http"` (the fallback's event
   * stream, when WebSocket does not get through) or `"longpoll"` (the fallback's long polls, when
   * a proxy holds the event stream back). Undefined while not connected.
   */
  get transport(): TransportName | undefined {
    return this.#connection.transport;
  }

  /** Application commands waiting for a connection (or for the rate pacer). */
  get queued(): number {
    return this.#connection.queued;
  }

  on<K extends keyof ClientEvents>(event: K, fn: (payload: ClientEvents[K]) => void): () => void {
    return this.#events.on(event, fn);
  }

  /**
   * Replaces the token (or token callback). The next connect, reconnect or refresh uses it; the
   * current connection is left as it is (call `close()` then `connect()` to switch users now).
   */
  setToken(token: TokenProvider): void {
    this.#connection.token.set(token);
  }

  /** Starts connecting (idempotent). Reconnects happen by themselves until `close()`. */
  connect(): this {
    this.#connection.connect();
    return this;
  }

  /**
   * Closes the connection, gracefully: commands already issued (sent, or queued while offline)
   * are answered first, reconnecting if need be, for at most `timeoutMs` (the `closeTimeoutMs`
   * option, 5 s by default); new ones are refused meanwhile. What is still unanswered then is
   * rejected, and the socket is closed with 1000. `{ force: true }` skips the wait. Resolves once
   * the socket has closed; never rejects. A `connect()` during the wait calls the close off.
   *
   * Subscriptions are kept: a later `connect()` resubscribes them and recovers what was
   * published meanwhile.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#connection.close(options);
  }

  /**
   * Subscribes to a channel, or returns the existing subscription (counted: call
   * `unsubscribe()` once per `subscribe()`; the server subscription ends with the last one).
   */
  subscribe(channel: string, options: SubscribeOptions = {}): Subscription {
    if (!isValidChannel(channel)) {
      throw new SwitchboardError("bad_request", `invalid channel name "${channel}"`);
    }
    const existing = this.#subscriptions.get(channel);
    if (existing) return existing._retain(options);
    const subscription = new Subscription(this.#host, channel, options);
    this.#subscriptions.set(channel, subscription);
    subscription._retain(options);
    subscription._connected();
    return subscription;
  }

  getSubscription(channel: string): Subscription | undefined {
    return this.#subscriptions.get(channel);
  }

  subscriptions(): Subscription[] {
    return [...this.#subscriptions.values()];
  }

  /**
   * Publishes to a channel and resolves with its offset once the server acknowledged it.
   * Issued while offline, it is queued and given an idempotency key (unless it has one), so the
   * SDK can resend it after a reconnect without it ever being applied twice. A publish without a
   * key that was in flight when the connection dropped is rejected instead (it may or may not
   * have been applied): pass `key` to make every retry safe.
   */
  async publish(
    channel: string,
    event: string,
    data: unknown,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    // A connection that went silent while the machine slept is replaced before anything is
    // written into it; the publish then waits for the new one, with a key.
    this.#connection.checkLiveness("about to publish");
    const key = options.key ?? (this.state === "connected" ? undefined : idempotencyKey());
    const reply = await this.#connection.request(
      { type: "publish", channel, event, data, ...(key !== undefined && { key }) },
      { lane: "user", resendable: key !== undefined },
    );
    return { epoch: reply.epoch, offset: reply.offset, duplicate: reply.duplicate === true };
  }

  /** Sends an ephemeral event (no offset, no history), e.g. typing indicators. */
  async signal(channel: string, event: string, data: unknown): Promise<void> {
    await this.#connection.request({ type: "signal", channel, event, data }, { lane: "user" });
  }

  async presence(channel: string): Promise<PresenceState> {
    const reply = await this.#connection.request(
      { type: "presence", channel },
      { lane: "user", resendable: true },
    );
    return { members: reply.members, count: reply.count };
  }

  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const {
      type: _type,
      id: _id,
      ...result
    } = await this.#connection.request(
      { type: "history", channel, ...options },
      { lane: "user", resendable: true },
    );
    return result;
  }

  /**
   * A channel's history page by page: a reply stops at the server's byte cap (or `limit`) and
   * says `more`; this asks for the next page until there is none (at most `maxPages`). With
   * `since`, pages go forwards; without, from the newest backwards (each page oldest first).
   */
  async *historyPages(
    channel: string,
    options: HistoryOptions & { maxPages?: number } = {},
  ): AsyncGenerator<HistoryResult> {
    const { maxPages = 1000, ...query } = options;
    let next: HistoryOptions = query;
    for (let page = 0; page < maxPages; page++) {
      const reply = await this.history(channel, next);
      yield reply;
      const pubs = reply.publications;
      if (!reply.more || pubs.length === 0) return;
      next = query.since
        ? {
            ...query,
            since: { epoch: reply.epoch, offset: (pubs.at(-1) as { offset: number }).offset },
          }
        : { ...query, before: (pubs[0] as { offset: number }).offset };
    }
  }

  /** Calls a module method over the socket (same handlers as the REST API). */
  async rpc<T = unknown>(method: string, params?: unknown): Promise<T> {
    const reply = await this.#connection.request(
      { type: "rpc", method, params: params ?? null },
      { lane: "user" },
    );
    return reply.data as T;
  }

  #onChannelFrame(frame: ChannelFrame): void {
    // Frames for a channel we no longer hold (released, the server's unsubscribe still on its
    // way) are dropped: nobody asked for them.
    this.#subscriptions.get(frame.channel)?._frame(frame);
  }

  #makeHost(): SubscriptionHost {
    const client = this;
    return {
      get state() {
        return client.state;
      },
      get userId() {
        return client.#connection.info?.user.id;
      },
      request: (body) => this.#connection.request(body, { lane: "control" }),
      publish: (channel, event, data, options) => this.publish(channel, event, data, options),
      signal: (channel, event, data) => this.signal(channel, event, data),
      presence: (channel) => this.presence(channel),
      history: (channel, options) => this.history(channel, options),
      release: (subscription) => {
        if (this.#subscriptions.get((subscription as Subscription).channel) === subscription) {
          this.#subscriptions.delete((subscription as Subscription).channel);
        }
      },
      delivered: (message) => this.#events.emit("message", message),
    };
  }
}
