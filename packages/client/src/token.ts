/** A fixed token, or a callback the SDK calls whenever it needs a fresh one. */
export type TokenProvider = string | (() => string | Promise<string>);

/** The `exp` claim (seconds since epoch) of a JWT, or undefined when it has none or is opaque. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="))) as {
      exp?: unknown;
    };
    return typeof json.exp === "number" ? json.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When to refresh a token that expires at `expSeconds`: `beforeMs` ahead of expiry, but never
 * sooner than half the remaining lifetime, so short-lived tokens cannot make us refresh in a
 * tight loop.
 */
export function refreshDelayMs(expSeconds: number, nowMs: number, beforeMs: number): number {
  const remaining = expSeconds * 1000 - nowMs;
  if (remaining <= 0) return 0;
  return Math.max(remaining - beforeMs, remaining / 2);
}

/**
 * Caches the current token so reconnects do not call the application's callback each time, and
 * fetches a new one when the server said the old one expired or it is about to.
 */
export class TokenSource {
  #provider: TokenProvider;
  #cached: string | undefined;
  #stale = false;

  constructor(provider: TokenProvider) {
    this.#provider = provider;
  }

  /** A fixed string cannot be refreshed; the SDK skips refreshes it cannot perform. */
  get refreshable(): boolean {
    return typeof this.#provider === "function";
  }

  get current(): string | undefined {
    return this.#cached;
  }

  /** Replaces the token or callback; the cached token is dropped. */
  set(provider: TokenProvider): void {
    this.#provider = provider;
    this.#cached = undefined;
    this.#stale = false;
  }

  /** Forces the next `get` to call the provider. */
  invalidate(): void {
    this.#stale = true;
  }

  /** Whether the next `get()` would reuse a cached token (so a 4401 may be worth one retry). */
  willReuse(nowMs: number, marginMs: number): boolean {
    if (typeof this.#provider === "string") return false;
    if (this.#stale || this.#cached === undefined) return false;
    const exp = tokenExpiry(this.#cached);
    return exp === undefined || exp * 1000 - nowMs > marginMs;
  }

  async get(options: { fresh?: boolean; nowMs?: number; marginMs?: number } = {}): Promise<string> {
    if (typeof this.#provider === "string") return this.#provider;
    const reuse =
      !options.fresh && this.willReuse(options.nowMs ?? Date.now(), options.marginMs ?? 0);
    if (reuse && this.#cached !== undefined) return this.#cached;
    const token = await this.#provider();
    if (typeof token !== "string" || token.length === 0) {
      throw new TypeError("the token callback must return a non-empty string");
    }
    this.#cached = token;
    this.#stale = false;
    return token;
  }
}
