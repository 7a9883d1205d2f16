import { refreshDelayMs, type TokenSource, tokenExpiry } from "./token.js";

/** setTimeout overflows past 2^31-1 ms and would fire at once; long waits are done in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RefresherDeps {
  token: TokenSource;
  /** Sends `refresh` with the new token; resolves on the server's `ok`. */
  send(token: string): Promise<void>;
  onError(error: unknown): void;
  beforeMs: number;
  /** Lower bound between two refreshes, so a server that keeps asking cannot make us spin. */
  minIntervalMs?: number;
}

/**
 * Keeps the connection's token fresh. Two triggers: the server's `refresh` frame (the primary
 * one) and our own timer from the token's `exp`, which still fires if that frame is lost or the
 * server is an older build, so an expiring token never costs a 4403 disconnect.
 */
export class TokenRefresher {
  readonly #deps: RefresherDeps;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = false;
  #lastStartedAt = Number.NEGATIVE_INFINITY;
  /** Bumped by stop() so results of a refresh begun on an older connection are ignored. */
  #run = 0;

  constructor(deps: RefresherDeps) {
    this.#deps = deps;
  }

  /** Arms the proactive timer for a token that expires at `exp` (seconds since epoch). */
  schedule(exp: number | undefined): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (exp === undefined || !this.#deps.token.refreshable) return;
    const delay = refreshDelayMs(exp, Date.now(), this.#deps.beforeMs);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        if (refreshDelayMs(exp, Date.now(), this.#deps.beforeMs) > 1000) this.schedule(exp);
        else void this.refresh();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  /** Refreshes now (server asked, or the timer fired), unless one is running or just ran. */
  async refresh(): Promise<void> {
    if (this.#inFlight || !this.#deps.token.refreshable) return;
    const minInterval = this.#deps.minIntervalMs ?? 1000;
    const sinceLast = Date.now() - this.#lastStartedAt;
    if (sinceLast < minInterval) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.refresh();
      }, minInterval - sinceLast);
      return;
    }
    const run = this.#run;
    this.#inFlight = true;
    this.#lastStartedAt = Date.now();
    try {
      const token = await this.#deps.token.get({ fresh: true });
      if (run !== this.#run) return;
      await this.#deps.send(token);
      if (run !== this.#run) return;
      // An opaque token has no readable exp: rely on the server's `refresh` frame from here on.
      this.schedule(tokenExpiry(token));
    } catch (error) {
      if (run === this.#run) this.#deps.onError(error);
    } finally {
      if (run === this.#run) this.#inFlight = false;
    }
  }

  stop(): void {
    this.#run++;
    this.#inFlight = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
