/**
 * Client-side mirror of the server's per-connection token bucket (announced in
 * `connected.limits`). Pacing on our side means flushing a full offline queue after a reconnect
 * does not trip `rate_limited` errors or a 4429 close.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = () => Date.now()) {
    this.#rate = Math.max(ratePerSecond, 0.001);
    this.#burst = Math.max(burst, 1);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#at = now();
  }

  /** Takes a token and returns 0, or returns how many ms until one will be available. */
  take(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }
}
