/** How often `typing()` actually sends a signal while the user keeps typing. */
export const TYPING_THROTTLE_MS = 2000;
/** How long someone counts as typing after their last signal (a missed "stop" must not stick). */
export const TYPING_EXPIRY_MS = 5000;
export const TYPING_EVENT = "typing";

/** Data of the "typing" signal. */
export interface TypingSignal {
  typing: boolean;
}

export function isTypingSignal(data: unknown): data is TypingSignal {
  return (
    typeof data === "object" && data !== null && typeof (data as TypingSignal).typing === "boolean"
  );
}

/** Decides when the local user's "typing" signal is worth sending. */
export class TypingThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(intervalMs = TYPING_THROTTLE_MS, now: () => number = () => Date.now()) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** True when we are currently announced as typing. */
  get active(): boolean {
    return this.#now() - this.#lastSentAt < TYPING_EXPIRY_MS;
  }

  /** Returns true (and records it) when a keystroke should send a signal now. */
  take(): boolean {
    const now = this.#now();
    if (now - this.#lastSentAt < this.#intervalMs) return false;
    this.#lastSentAt = now;
    return true;
  }

  /** After "stop typing", the next keystroke is news again. */
  reset(): void {
    this.#lastSentAt = Number.NEGATIVE_INFINITY;
  }
}

/** Who else is typing, from incoming signals, each entry expiring on its own. */
export class TypingTracker {
  readonly #onChange: (users: readonly string[]) => void;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #expiry = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #users: readonly string[] = [];

  constructor(
    onChange: (users: readonly string[]) => void,
    ttlMs = TYPING_EXPIRY_MS,
    now: () => number = () => Date.now(),
  ) {
    this.#onChange = onChange;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get users(): readonly string[] {
    return this.#users;
  }

  update(user: string, typing: boolean): void {
    const known = this.#expiry.has(user);
    if (typing) this.#expiry.set(user, this.#now() + this.#ttlMs);
    else this.#expiry.delete(user);
    if (known !== typing) this.#changed();
    this.#arm();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#expiry.size === 0) return;
    this.#expiry.clear();
    this.#changed();
  }

  #changed(): void {
    this.#users = [...this.#expiry.keys()];
    this.#onChange(this.#users);
  }

  /** One timer, for the next entry to expire. */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#expiry.size === 0) return;
    const next = Math.min(...this.#expiry.values());
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, next - this.#now()));
  }

  #expire(): void {
    const now = this.#now();
    let changed = false;
    for (const [user, at] of this.#expiry) {
      if (at <= now) {
        this.#expiry.delete(user);
        changed = true;
      }
    }
    if (changed) this.#changed();
    this.#arm();
  }
}
