import {
  type Member,
  type MessageFrame,
  type PresenceMember,
  type StreamPosition,
  type SubscribedFrame,
  UnsubscribeReason,
} from "@switchboard/protocol";
import type { ChannelFrame } from "./connection.js";
import { Emitter } from "./emitter.js";
import { type SwitchboardError, toError } from "./errors.js";
import { PresenceMap, type PresenceState } from "./presence.js";
import { interpretSubscribed, judgeLive } from "./stream.js";
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

/** Error codes after which subscribing again cannot succeed without a change. */
const FINAL_CODES = new Set(["forbidden", "not_found", "bad_request", "unauthorized", "too_large"]);

function toMessage(frame: MessageFrame): ChannelMessage {
  return {
    channel: frame.channel,
    event: frame.event,
    data: frame.data,
    ts: frame.ts,
    ...(frame.offset !== undefined && { offset: frame.offset }),
    ...(frame.epoch !== undefined && { epoch: frame.epoch }),
    ...(frame.from !== undefined && { from: frame.from }),
  };
}

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
  readonly #presence = new PresenceMap();
  readonly #typing: TypingCoordinator;
  #trackPresence: boolean;
  readonly #invisible: boolean;
  #refs = 0;
  #status: SubscriptionStatus = "subscribing";
  #position: StreamPosition | undefined;
  /** Live frames that arrive while a subscribe is in flight wait here, behind recovered ones. */
  #buffer: MessageFrame[] | undefined;
  /** Bumped whenever an in-flight subscribe becomes irrelevant, so its reply is ignored. */
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #snapshot: SubscriptionSnapshot;

  constructor(
    host: SubscriptionHost,
    channel: string,
    options: { presence?: boolean; recover?: StreamPosition },
  ) {
    this.#host = host;
    this.channel = channel;
    this.#position = options.recover;
    this.#trackPresence = options.presence === true;
    this.#invisible = options.presence === false;
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
    return this.#position;
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
    if (options.presence && !this.#trackPresence) {
      this.#trackPresence = true;
      if (this.#status === "subscribed") void this.#loadPresence();
    }
    return this;
  }

  /** @internal The connection is up: (re)subscribe, recovering from our position. */
  _connected(): void {
    if (this.#refs > 0) this.#subscribe();
  }

  /** @internal The socket is gone; we will resubscribe on the next connection. */
  _lost(): void {
    if (this.#status === "unsubscribed") return;
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#buffer = undefined;
    this.#setStatus("subscribing");
  }

  /** @internal */
  _frame(frame: ChannelFrame): void {
    if (this.#status === "unsubscribed") return;
    switch (frame.type) {
      case "message":
        if (this.#buffer) this.#buffer.push(frame);
        else this.#live(frame);
        return;
      case "join":
        this.#member("join", frame.member);
        return;
      case "leave":
        this.#member("leave", frame.member);
        return;
      case "unsubscribed":
        if (frame.code === UnsubscribeReason.Resubscribe) {
          this.#subscribe();
          return;
        }
        this.#finish({ code: frame.code, reason: frame.reason });
        return;
    }
  }

  // ---- internals ----

  #subscribe(): void {
    if (this.#host.state !== "connected" || this.#refs === 0) return;
    const attempt = ++this.#attempt;
    clearTimeout(this.#retryTimer);
    this.#buffer = [];
    this.#setStatus("subscribing");
    const recover = this.#position;
    this.#host
      .request({
        type: "subscribe",
        channel: this.channel,
        ...(recover && { recover }),
        ...(this.#invisible && { presence: false }),
      })
      .then(
        (reply) => {
          if (attempt === this.#attempt) this.#onSubscribed(reply, recover);
        },
        (error: SwitchboardError) => {
          if (attempt === this.#attempt) this.#onSubscribeError(error);
        },
      );
  }

  #onSubscribed(reply: SubscribedFrame, recover: StreamPosition | undefined): void {
    const outcome = interpretSubscribed(reply, recover);
    this.#position = outcome.position;
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    this.#setStatus("subscribed", false);
    if (outcome.kind === "recovered") {
      for (const publication of outcome.publications) {
        this.#deliver({ channel: this.channel, epoch: reply.epoch, ...publication });
      }
    }
    this.#events.emit("subscribed", {
      epoch: reply.epoch,
      offset: reply.offset,
      recovered: reply.recovered,
    });
    if (outcome.kind === "recovered") {
      this.#events.emit("recovered", {
        publications: outcome.publications.length,
        position: outcome.position,
      });
    } else if (outcome.kind === "gap") {
      this.#events.emit("gap", { position: outcome.position, previous: outcome.previous });
    }
    this.#changed();
    for (const frame of buffered) this.#live(frame);
    if (this.#trackPresence) void this.#loadPresence();
  }

  #onSubscribeError(error: SwitchboardError): void {
    this.#buffer = undefined;
    this.#events.emit("error", error);
    const reason = (error.details as { reason?: unknown } | undefined)?.reason;
    if (reason === "connection_lost" || reason === "closed") return; // _connected() retries
    if (FINAL_CODES.has(error.code)) {
      this.#finish({ code: error.code, reason: error.message });
      return;
    }
    // Transient (unavailable, internal, timeout, conflict): try again shortly.
    const delay = error.retryAfterMs ?? 500 + Math.random() * 1500;
    this.#retryTimer = setTimeout(() => {
      if (error.code === "conflict") {
        this.#host.request({ type: "unsubscribe", channel: this.channel }).catch(() => {});
      }
      this.#subscribe();
    }, delay);
  }

  #live(frame: MessageFrame): void {
    switch (judgeLive(this.#position, frame)) {
      case "duplicate":
        return;
      case "resync":
        // Something was skipped (or the stream was reset): let the server tell us what.
        this.#host.request({ type: "unsubscribe", channel: this.channel }).catch(() => {});
        this.#subscribe();
        return;
      case "ephemeral":
        this.#typing.signal(frame);
        this.#deliver(toMessage(frame));
        return;
      case "deliver":
        if (frame.offset !== undefined) {
          this.#position = {
            epoch: frame.epoch ?? this.#position?.epoch ?? "",
            offset: frame.offset,
          };
        }
        this.#deliver(toMessage(frame));
        return;
    }
  }

  #deliver(message: ChannelMessage): void {
    this.#snapshot = this.#makeSnapshot(message);
    this.#events.emit("message", message);
    this.#host.delivered(message);
    this.#events.emit("change", this.#snapshot);
  }

  #member(kind: "join" | "leave", member: Member): void {
    this.#events.emit(kind, member);
    if (!this.#trackPresence) return;
    const changed = kind === "join" ? this.#presence.join(member) : this.#presence.leave(member);
    if (changed) this.#presenceChanged();
  }

  async #loadPresence(): Promise<void> {
    const attempt = this.#attempt;
    try {
      const state = await this.#host.presence(this.channel);
      if (attempt !== this.#attempt || this.#status !== "subscribed") return;
      this.#presence.reset(state.members, state.count);
      this.#presenceChanged();
    } catch (error) {
      if (attempt === this.#attempt) this.#events.emit("error", toError(error));
    }
  }

  #presenceChanged(): void {
    this.#events.emit("presence", this.#presence.state.members);
    this.#changed();
  }

  #finish(info: { code: string; reason: string }): void {
    this.#attempt++;
    this.#refs = 0;
    clearTimeout(this.#retryTimer);
    this.#buffer = undefined;
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
      position: this.#position,
      lastMessage,
      presence: this.#presence.state,
      typing: this.#typing.users,
    };
  }
}
