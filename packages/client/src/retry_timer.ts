import { type BackoffOptions, fullJitterDelay } from "./backoff.js";

/** The wait before the next reconnect attempt: backoff with full jitter, which events may cut short. */
export class RetryTimer {
  readonly #options: BackoffOptions;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #run: (() => void) | undefined;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** Consecutive attempts since the last successful connect (or reset). */
  get attempt(): number {
    return this.#attempt;
  }

  get pending(): boolean {
    return this.#timer !== undefined;
  }

  reset(): void {
    this.#attempt = 0;
  }

  /** Runs `run` after the backoff delay, or after `atLeastMs` when the server asked for longer; returns that wait, in ms. */
  schedule(run: () => void, atLeastMs = 0): number {
    this.cancel();
    this.#run = run;
    const delay = Math.max(fullJitterDelay(this.#attempt++, this.#options), atLeastMs);
    this.#timer = setTimeout(() => this.fireNow(), delay);
    return delay;
  }

  /** Runs the pending attempt at once; false when none was pending. */
  fireNow(): boolean {
    const run = this.#run;
    if (!run) return false;
    this.cancel();
    run();
    return true;
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#run = undefined;
  }
}
