import { type PresenceMember, type StreamPosition, UnsubscribeReason } from "@switchboard/protocol";
import type { ChannelFrame } from "./connection_types.js";
import { Emitter } from "./emitter.js";
import { type FollowerHooks, StreamFollower } from "./follower.js";
import { type PresenceState, PresenceTracker } from "./presence.js";
import type {
  ChannelMessage,
  HistoryOptions,
  HistoryResult,
  PublishOptions,
  PublishResult,
  SubscriptionEvents,
  SubscriptionHost,
  SubscriptionSnapshot,
  SubscriptionStatus,
} from "./subscription_types.js";
import { TypingCoordinator } from "./typing_coordinator.js";

/**
 * One channel, shared by everyone in the app who subscribed to it (ref-counted by the client).
 * Keeps its place in the stream so that after any reconnect it resubscribes with
 * `recover: {epoch, offset}` and the application sees every publication once, in order, or a
 * `gap` event telling it to reload.
 */
export class Subscription {
  readonly channel: string;
  readonly #events = new Emitter<SubscriptionEvents>();
  readonly #host: SubscriptionHost;
  readonly #presence: PresenceTracker;
  readonly #typing: TypingCoordinator;
  readonly #follower: StreamFollower;
  /** Events accepted without an offset; undefined: any. */
  readonly #signals: readonly string[] | undefined;
  #refs = 0;
  #status: SubscriptionStatus = "subscribing";
  #snapshot: SubscriptionSnapshot;

  constructor(
    host: SubscriptionHost,
    channel: string,
    options: { presence?: boolean; recover?: StreamPosition; signals?: readonly string[] },
  ) {
    this.#host = host;
    this.channel = channel;
    this.#signals = options.signals;
    this.#presence = new PresenceTracker(
      options.presence === true,
      () => host.presence(channel),
      () => {
        this.#events.emit("presence", this.#presence.state.members);
        this.#changed();
      },
      (error) => this.#events.emit("error", error),
    );
    this.#follower = new StreamFollower(
      host,
      channel,
      {
        invisible: options.presence === false,
        position: options.recover,
        tracking: () => this.#presence.enabled,
      },
      this.#followerHooks(),
    );
    this.#typing = new TypingCoordinator(host, channel, (users) => {
      this.#events.emit("typing", users);
      this.#changed();
    });
    this.#snapshot = this.#makeSnapshot(undefined);
  }

  on<K extends keyof SubscriptionEvents>(
    event: K,
    fn: (payload: SubscriptionEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, fn);
  }

  get status(): SubscriptionStatus {
    return this.#status;
  }

  /** The last publication delivered (or the recovery point): pass it to `recover` to resume later. */
  get position(): StreamPosition | undefined {
    return this.#follower.position;
  }

  get members(): readonly PresenceMember[] {
    return this.#presence.state.members;
  }

  /** Users typing in this channel right now, excluding ourselves. */
  get typingUsers(): readonly string[] {
    return this.#typing.users;
  }

  /** An immutable view, replaced on every change (for `useSyncExternalStore`). */
  get snapshot(): SubscriptionSnapshot {
    return this.#snapshot;
  }

  publish(event: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    return this.#host.publish(this.channel, event, data, options);
  }

  signal(event: string, data: unknown): Promise<void> {
    return this.#host.signal(this.channel, event, data);
  }

  presence(): Promise<PresenceState> {
    return this.#host.presence(this.channel);
  }

  history(options: HistoryOptions = {}): Promise<HistoryResult> {
    return this.#host.history(this.channel, options);
  }

  /** Announces that the local user is typing; call on every keystroke, it throttles itself. */
  typing(): void {
    this.#typing.typing();
  }

  stopTyping(): void {
    this.#typing.stop();
  }

  /**
   * Releases one reference. The server subscription ends when the last holder releases it, so
   * two components (or React StrictMode's double mount) can share a channel safely.
   */
  unsubscribe(): void {
    if (this.#refs === 0) return;
    if (--this.#refs > 0) return;
    this.#finish({ code: "client", reason: "unsubscribed" });
    // Also when a subscribe is still in flight: the server would otherwise keep us subscribed.
    if (this.#host.state === "connected") {
      this.#host.request({ type: "unsubscribe", channel: this.channel }).catch(() => {});
    }
  }

  // ---- called by the client ----

  /** @internal */
  _retain(options: { presence?: boolean }): this {
    this.#refs++;
    if (options.presence && this.#presence.enable() && this.#status === "subscribed") {
      void this.#presence.load();
    }
    return this;
  }

  /**
   * @internal The connection is up (or, `early`, its `connect` was just written): (re)subscribe,
   * recovering from our position. Returns whether a subscribe went out.
   */
  _connected(early = false): boolean {
    return this.#refs > 0 && this.#follower.subscribe(early);
  }

  /** @internal The socket is gone; we will resubscribe on the next connection. */
  _lost(): void {
    if (this.#status === "unsubscribed") return;
    this.#follower.stop();
    this.#presence.invalidate();
    this.#setStatus("subscribing");
  }

  /** @internal */
  _frame(frame: ChannelFrame): void {
    if (this.#status === "unsubscribed") return;
    switch (frame.type) {
      case "message":
        // A state event must come with an offset (from the stream); without one it is a signal,
        // and only the signals this channel was declared to carry get through.
        if (frame.offset === undefined && this.#signals && !this.#signals.includes(frame.event))
          return;
        this.#follower.message(frame);
        return;
      case "join":
      case "leave":
        this.#events.emit(frame.type, frame.member);
        this.#presence.apply(frame.type, frame.member);
        return;
      case "unsubscribed":
        if (frame.code === UnsubscribeReason.Resubscribe) this.#follower.subscribe();
        else this.#finish({ code: frame.code, reason: frame.reason });
        return;
    }
  }

  // ---- internals ----

  #followerHooks(): FollowerHooks {
    return {
      subscribing: () => this.#setStatus("subscribing"),
      accepted: () => this.#setStatus("subscribed", false),
      deliver: (message) => {
        if (message.offset === undefined) this.#typing.signal(message);
        this.#snapshot = this.#makeSnapshot(message);
        this.#events.emit("message", message);
        this.#host.delivered(message);
        this.#events.emit("change", this.#snapshot);
      },
      subscribed: ({ epoch, offset, recovered }, outcome) => {
        this.#events.emit("subscribed", { epoch, offset, recovered });
        if (outcome.kind === "recovered") {
          const publications = outcome.publications.length;
          this.#events.emit("recovered", { publications, position: outcome.position });
        } else if (outcome.kind === "gap") {
          this.#events.emit("gap", { position: outcome.position, previous: outcome.previous });
        }
        this.#changed();
        void this.#presence.load();
      },
      failed: (error, final) => {
        this.#events.emit("error", error);
        if (final) this.#finish({ code: error.code, reason: error.message });
      },
    };
  }

  #finish(info: { code: string; reason: string }): void {
    this.#follower.stop();
    this.#presence.invalidate();
    this.#refs = 0;
    this.#typing.dispose();
    this.#host.release(this);
    this.#setStatus("unsubscribed", false);
    this.#events.emit("unsubscribed", info);
    this.#changed();
  }

  #setStatus(status: SubscriptionStatus, notify = true): void {
    if (this.#status === status) return;
    this.#status = status;
    if (notify) this.#changed();
  }

  #changed(): void {
    this.#snapshot = this.#makeSnapshot(this.#snapshot.lastMessage);
    this.#events.emit("change", this.#snapshot);
  }

  #makeSnapshot(lastMessage: ChannelMessage | undefined): SubscriptionSnapshot {
    return {
      status: this.#status,
      position: this.#follower.position,
      lastMessage,
      presence: this.#presence.state,
      typing: this.#typing.users,
    };
  }
}
