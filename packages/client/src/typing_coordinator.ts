import type { ChannelMessage, SubscriptionHost } from "./subscription_types.js";
import { isTypingSignal, TYPING_EVENT, TypingThrottle, TypingTracker } from "./typing.js";

/**
 * Typing indicators for one channel over ephemeral signals (no history, no offsets): sends
 * ours at most every 2 s while the user types, and tracks who else is typing with expiry.
 */
export class TypingCoordinator {
  readonly #host: SubscriptionHost;
  readonly #channel: string;
  readonly #throttle = new TypingThrottle();
  readonly #tracker: TypingTracker;

  constructor(
    host: SubscriptionHost,
    channel: string,
    onChange: (users: readonly string[]) => void,
  ) {
    this.#host = host;
    this.#channel = channel;
    this.#tracker = new TypingTracker(onChange);
  }

  get users(): readonly string[] {
    return this.#tracker.users;
  }

  typing(): void {
    // A typing signal is only worth anything now: never queue it for later.
    if (this.#host.state !== "connected" || !this.#throttle.take()) return;
    this.#send(true);
  }

  stop(): void {
    if (!this.#throttle.active) return;
    this.#throttle.reset();
    if (this.#host.state === "connected") this.#send(false);
  }

  /** Feeds an incoming signal; ignores our own echo and anything that is not a typing signal. */
  signal(frame: ChannelMessage): void {
    if (frame.event !== TYPING_EVENT || !isTypingSignal(frame.data)) return;
    const user = frame.from?.user;
    if (!user || user === this.#host.userId) return;
    this.#tracker.update(user, frame.data.typing);
  }

  dispose(): void {
    this.#tracker.clear();
  }

  #send(typing: boolean): void {
    this.#host.signal(this.#channel, TYPING_EVENT, { typing }).catch(() => {
      // Best effort: a lost typing signal expires on the other side anyway.
    });
  }
}
