/**
 * How often the silence is measured against the wall clock. A sleeping machine stops the timer
 * clock (setTimeout) but not the wall clock (Date.now), so one timer for the whole limit would,
 * after a wake-up, still wait out what was left of it while the connection is long dead. Checking
 * every few seconds notices a sleep within that long of waking.
 */
export const WALL_CLOCK_CHECK_MS = 5000;

/**
 * Declares a connection dead when no frame at all has arrived for `limitMs`.
 *
 * The server pings every `connected.ping` seconds, so silence longer than that plus a grace
 * means the socket is a zombie: a laptop that slept, a NAT that forgot us, a proxy that holds
 * the TCP connection open while nothing flows. The OS may not notice for many minutes, so we do.
 * One timer is re-armed lazily from the last-frame time instead of being reset on every frame,
 * which keeps a busy connection cheap; it never sleeps longer than WALL_CLOCK_CHECK_MS.
 */
export class LivenessWatchdog {
  readonly #onDead: () => void;
  readonly #now: () => number;
  #limitMs = 0;
  #lastFrameAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(onDead: () => void, now: () => number = () => Date.now()) {
    this.#onDead = onDead;
    this.#now = now;
  }

  get lastFrameAt(): number {
    return this.#lastFrameAt;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(limitMs: number): void {
    this.stop();
    this.#limitMs = limitMs;
    this.#lastFrameAt = this.#now();
    if (limitMs > 0 && Number.isFinite(limitMs)) this.#arm(limitMs);
  }

  /** Call for every frame received. */
  touch(): void {
    this.#lastFrameAt = this.#now();
  }

  /**
   * True when the silence already exceeds the limit. Timers are frozen while a machine sleeps
   * and throttled in background tabs, so callers check this when the page becomes visible.
   */
  isStale(): boolean {
    return this.running && this.#now() - this.#lastFrameAt >= this.#limitMs;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(
      () => {
        const silentFor = this.#now() - this.#lastFrameAt;
        if (silentFor >= this.#limitMs) {
          this.#timer = undefined;
          this.#onDead();
        } else {
          this.#arm(this.#limitMs - silentFor);
        }
      },
      Math.min(delayMs, WALL_CLOCK_CHECK_MS),
    );
  }
}
