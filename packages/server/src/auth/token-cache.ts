import type { Identity } from "./identity.js";

/** How long a verified token is trusted without checking it again, at most (seconds). */
export const TOKEN_CACHE_MAX_AGE_S = 60;

interface Entry {
  identity: Identity;
  /** Seconds since epoch after which the entry is not used. */
  until: number;
}

/**
 * Tokens verified lately, keyed by the whole token string, so a client that sends the same
 * token with every request (REST, reconnects) pays for signature and claim checks once a
 * minute instead of every time. The key is the full token: a signature alone is not enough, a
 * forged payload could borrow it. Entries end at the token's `exp` and after at most a minute,
 * so a key withdrawn from a JWKS stops working as soon as the key set is fetched again.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeS = TOKEN_CACHE_MAX_AGE_S,
  ) {}

  get(token: string, nowS: number): Identity | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (nowS >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    // A copy: callers may extend an identity (a server route marks an admin `server`).
    return { ...entry.identity };
  }

  set(token: string, identity: Identity, nowS: number): void {
    if (this.maxEntries <= 0) return;
    const until = Math.min(identity.exp ?? Number.POSITIVE_INFINITY, nowS + this.maxAgeS);
    if (until <= nowS) return;
    if (this.entries.size >= this.maxEntries) {
      // Map iteration is insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    // The entry itself is never handed out (get copies it), so only what a copy shares with it
    // (caps, module claims) is frozen: freezing every identity cost more than the lookup saves
    // in a connect storm, where every token is new.
    this.entries.set(token, { identity: freezeNested(identity), until });
  }

  get size(): number {
    return this.entries.size;
  }
}

function freezeNested(identity: Identity): Identity {
  if (identity.caps) deepFreeze(identity.caps);
  if (identity.claims) deepFreeze(identity.claims);
  return identity;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
