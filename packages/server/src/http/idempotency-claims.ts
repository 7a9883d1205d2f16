import { randomUUID } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { SwitchboardError } from "../errors.js";
import type { Database } from "../store/schema.js";

/** The longest a request keeps renewing its claim. */
const MAX_HOLD_MS = 10 * 60 * 1000;

/** One request's hold on an Idempotency-Key. */
export interface Claim {
  scope: string;
  key: string;
  /** Unique per request: writes and answers are fenced by it, so a taken-over claim cannot commit. */
  token: string;
}

export type ClaimOutcome =
  | { kind: "claimed"; claim: Claim }
  | { kind: "answered"; status: number; body: string }
  | { kind: "busy"; retryAfterMs: number }
  | { kind: "mismatch" };

export interface ClaimsOptions {
  /** Who claims (shows in `claimed_by`). */
  nodeId: string;
  /** A claim not renewed for this long is stale: its holder died or lost the database. */
  leaseMs: number;
  retentionMs: number;
  logger?: Logger;
}

/**
 * Claims on Idempotency-Keys in the database, shared by every node. A claim records who holds
 * the key and since when; the holder renews it while its request runs. A claim left behind (the
 * node was killed, or the database went away before the key could be freed) goes stale after the
 * lease, and the next retry takes it over instead of hearing "in progress" for a day.
 *
 * The answer is stored under the claim's token, in the write's own transaction where the route
 * allows it (`inTransaction`): a request whose claim was taken over cannot commit any more, and a
 * write that committed is answered from the stored response on retry, even if its node died
 * before replying.
 */
export class IdempotencyClaims {
  /** Claims of this node's running requests, by token, with when they were taken. */
  private readonly held = new Map<string, { claim: Claim; since: number }>();
  private readonly renewer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly o: ClaimsOptions,
  ) {
    this.renewer = setInterval(() => void this.renew(), Math.max(250, Math.floor(o.leaseMs / 3)));
    this.renewer.unref();
  }

  async claim(scope: string, key: string, hash: string): Promise<ClaimOutcome> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      const token = randomUUID();
      const inserted = await this.db
        .insertInto("idempotency_keys")
        .values({
          scope,
          key,
          request_hash: hash,
          status: null,
          body: null,
          created_at: now.toISOString(),
          claim: token,
          claimed_by: this.o.nodeId,
          claimed_at: now.toISOString(),
        })
        .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return this.hold(scope, key, token);
      const row = await this.db
        .selectFrom("idempotency_keys")
        .selectAll()
        .where("scope", "=", scope)
        .where("key", "=", key)
        .executeTakeFirst();
      if (!row) continue; // freed meanwhile (a failed first attempt): claim it again
      if (Date.parse(row.created_at) < now.getTime() - this.o.retentionMs) {
        await this.db
          .deleteFrom("idempotency_keys")
          .where("scope", "=", scope)
          .where("key", "=", key)
          .where("created_at", "=", row.created_at)
          .execute();
        continue;
      }
      if (row.request_hash !== hash) return { kind: "mismatch" };
      if (row.status !== null)
        return { kind: "answered", status: row.status, body: row.body ?? "" };
      // Rows from before claims were recorded have no claimed_at: their age is their creation.
      const since = Date.parse(row.claimed_at ?? row.created_at);
      const staleIn = since + this.o.leaseMs - now.getTime();
      if (staleIn > 0)
        return { kind: "busy", retryAfterMs: Math.min(Math.max(staleIn, 200), 2000) };
      let takeover = this.db
        .updateTable("idempotency_keys")
        .set({ claim: token, claimed_by: this.o.nodeId, claimed_at: now.toISOString() })
        .where("scope", "=", scope)
        .where("key", "=", key)
        .where("status", "is", null);
      takeover =
        row.claim === null
          ? takeover.where("claim", "is", null)
          : takeover.where("claim", "=", row.claim);
      const taken = await takeover.executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) {
        this.o.logger?.warn(
          { scope, key, from: row.claimed_by, claimedAt: row.claimed_at ?? row.created_at },
          "took over a stale Idempotency-Key claim",
        );
        return this.hold(scope, key, token);
      }
    }
    return { kind: "busy", retryAfterMs: 500 };
  }

  private hold(scope: string, key: string, token: string): ClaimOutcome {
    const claim = { scope, key, token };
    this.held.set(token, { claim, since: Date.now() });
    return { kind: "claimed", claim };
  }

  /**
   * Stores the answer under the claim, inside the write's transaction; throws (rolling the write
   * back) when the claim was taken over meanwhile, so the key's write happens once.
   */
  async keepInTransaction(
    trx: Transaction<Database>,
    claim: Claim,
    status: number,
    body: string,
  ): Promise<void> {
    const r = await trx
      .updateTable("idempotency_keys")
      .set({ status, body })
      .where("scope", "=", claim.scope)
      .where("key", "=", claim.key)
      .where("claim", "=", claim.token)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      throw new SwitchboardError(
        "unavailable",
        "this request's Idempotency-Key was taken over by a retry; nothing was written",
      );
    }
  }

  /** Stores the answer after the fact (routes whose write did not keep it in its transaction). */
  async answer(claim: Claim, status: number, body: string): Promise<void> {
    this.held.delete(claim.token);
    await this.db
      .updateTable("idempotency_keys")
      .set({ status, body })
      .where("scope", "=", claim.scope)
      .where("key", "=", claim.key)
      .where("claim", "=", claim.token)
      .execute();
  }

  /**
   * Frees the key after a server failure so a retry runs for real — unless the write committed
   * with its answer (a failure after the commit): then the retry gets that answer.
   */
  async release(claim: Claim): Promise<void> {
    this.held.delete(claim.token);
    await this.db
      .deleteFrom("idempotency_keys")
      .where("scope", "=", claim.scope)
      .where("key", "=", claim.key)
      .where("claim", "=", claim.token)
      .where("status", "is", null)
      .execute();
  }

  /** Keeps this node's running requests' claims fresh. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const now = Date.now();
    const claims: Claim[] = [];
    for (const [token, { claim, since }] of this.held) {
      // A request that never answered (its reply was lost with its socket) stops holding the key.
      if (now - since > MAX_HOLD_MS) this.held.delete(token);
      else claims.push(claim);
    }
    const at = new Date(now).toISOString();
    try {
      for (let i = 0; i < claims.length; i += 200) {
        const batch = claims.slice(i, i + 200);
        await this.db
          .updateTable("idempotency_keys")
          .set({ claimed_at: at })
          .where((eb) =>
            eb.or(batch.map((c) => eb.and([eb("scope", "=", c.scope), eb("key", "=", c.key)]))),
          )
          .where(
            "claim",
            "in",
            batch.map((c) => c.token),
          )
          .where("status", "is", null)
          .execute();
      }
    } catch (error) {
      this.o.logger?.warn({ err: error }, "could not renew Idempotency-Key claims");
    }
  }

  stop(): void {
    clearInterval(this.renewer);
  }
}
