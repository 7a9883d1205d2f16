import type { MessageFrame, StreamPosition, SubscribedFrame } from "@switchboard/protocol";
import type { SwitchboardError } from "./errors.js";
import {
  interpretSubscribed,
  judgeLive,
  type SubscribeOutcome,
  subscribeErrorAction,
  toMessage,
} from "./stream.js";
import type { ChannelMessage, SubscriptionHost } from "./subscription_types.js";

export interface FollowerHooks {
  /** A subscribe went out; nothing is delivered until its reply. */
  subscribing(): void;
  /** The subscribe was accepted; called before any publication of this subscribe is delivered. */
  accepted(): void;
  /** Every publication and signal, once, in stream order. */
  deliver(message: ChannelMessage): void;
  /** Recovered publications (if any) were delivered; buffered live ones come next. */
  subscribed(reply: SubscribedFrame, outcome: SubscribeOutcome): void;
  /** The subscribe failed; `final` means it will not be retried. */
  failed(error: SwitchboardError, final: boolean): void;
}

/**
 * Follows one channel's stream across subscribes: asks to recover from the last position,
 * holds live frames back until the reply's recovered publications are out, drops duplicates,
 * and resubscribes when the live stream skips ahead. This is the part of a subscription that
 * makes "every publication once, in order, or a gap event" true.
 */
export class StreamFollower {
  readonly #host: SubscriptionHost;
  readonly #channel: string;
  readonly #invisible: boolean;
  readonly #tracking: () => boolean;
  readonly #hooks: FollowerHooks;
  #position: StreamPosition | undefined;
  /** Live frames that arrive while a subscribe is in flight wait here, behind recovered ones. */
  #buffer: MessageFrame[] | undefined;
  /** Bumped whenever an in-flight subscribe becomes irrelevant, so its reply is ignored. */
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    host: SubscriptionHost,
    channel: string,
    options: {
      invisible: boolean;
      position: StreamPosition | undefined;
      /** Whether the subscription tracks presence now (it may start to later). */
      tracking?: () => boolean;
    },
    hooks: FollowerHooks,
  ) {
    this.#host = host;
    this.#channel = channel;
    this.#invisible = options.invisible;
    this.#tracking = options.tracking ?? (() => false);
    this.#position = options.position;
    this.#hooks = hooks;
  }

  get position(): StreamPosition | undefined {
    return this.#position;
  }

  /**
   * Subscribes (again), recovering from the current position when there is one. `early`: right
   * behind an unanswered `connect` (the connection allows it then). Returns whether it went out.
   */
  subscribe(early = false): boolean {
    if (this.#host.state !== "connected" && !early) return false;
    const attempt = ++this.#attempt;
    clearTimeout(this.#retryTimer);
    this.#buffer = [];
    this.#hooks.subscribing();
    const recover = this.#position;
    this.#host
      .request({
        type: "subscribe",
        channel: this.#channel,
        ...(recover && { recover }),
        // `presence: true` also asks for the count of count-only channels (product:*)
        ...(this.#invisible ? { presence: false } : this.#tracking() && { presence: true }),
      })
      .then(
        (reply) => {
          if (attempt === this.#attempt) this.#onSubscribed(reply, recover);
        },
        (error: SwitchboardError) => {
          if (attempt === this.#attempt) this.#onError(error);
        },
      );
    return true;
  }

  /** Forget any subscribe in flight (connection lost, or the subscription ended). */
  stop(): void {
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#buffer = undefined;
  }

  message(frame: MessageFrame): void {
    if (this.#buffer) this.#buffer.push(frame);
    else this.#live(frame);
  }

  #onSubscribed(reply: SubscribedFrame, recover: StreamPosition | undefined): void {
    const outcome = interpretSubscribed(reply, recover);
    this.#position = outcome.position;
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    this.#hooks.accepted();
    if (outcome.kind === "recovered") {
      for (const publication of outcome.publications) {
        this.#hooks.deliver({ channel: this.#channel, epoch: reply.epoch, ...publication });
      }
    }
    this.#hooks.subscribed(reply, outcome);
    for (const frame of buffered) this.#live(frame);
  }

  #onError(error: SwitchboardError): void {
    this.#buffer = undefined;
    const action = subscribeErrorAction(error);
    if (action === "wait") return; // the connection dropped: the next one subscribes again
    this.#hooks.failed(error, action === "final");
    if (action === "final") return;
    const delay = error.retryAfterMs ?? 500 + Math.random() * 1500;
    this.#retryTimer = setTimeout(() => {
      // "Already subscribed": the server kept an old subscription we no longer track.
      if (error.code === "conflict") this.#unsubscribeOnServer();
      this.subscribe();
    }, delay);
  }

  #live(frame: MessageFrame): void {
    switch (judgeLive(this.#position, frame)) {
      case "duplicate":
        return;
      case "resync":
        // Something was skipped (or the stream was reset): let the server tell us what.
        this.#unsubscribeOnServer();
        this.subscribe();
        return;
      case "ephemeral":
        this.#hooks.deliver(toMessage(frame));
        return;
      case "deliver":
        if (frame.offset !== undefined) {
          const epoch = frame.epoch ?? this.#position?.epoch ?? "";
          this.#position = { epoch, offset: frame.offset };
        }
        this.#hooks.deliver(toMessage(frame));
        return;
    }
  }

  #unsubscribeOnServer(): void {
    this.#host.request({ type: "unsubscribe", channel: this.#channel }).catch(() => {});
  }
}
